import { describe, expect, it } from 'vitest';
import { mulberry32, unit } from '../random.ts';
import { ActivationShareIndex } from './shareIndex.ts';
import { tauForShare } from './tau.ts';

// The reference: the pipeline's rule on the pooled scores (tauForShare) and a plain count of S > τ per site.
function reference(sites: Float32Array[], share: number) {
  const t = tauForShare(sites, share);
  const shares = sites.map((s) => (s.length ? s.filter((v) => v > t.tau).length / s.length : 0));
  return { t, shares };
}

function check(sites: Float32Array[], shares: number[]) {
  const index = ActivationShareIndex.fromScores(sites);
  for (const share of shares) {
    const ref = reference(sites, share);
    const got = index.answer(share);
    expect(got.tau.fp8, `share ${share}`).toBe(ref.t.fp8);
    expect(got.tau.requested).toBe(ref.t.requested);
    expect(got.tau.total).toBe(ref.t.total);
    // −0 and +0 are one threshold (S > τ reads them alike).
    expect(got.tau.tau === ref.t.tau, `τ ${got.tau.tau} vs ${ref.t.tau} at ${share}`).toBe(true);
    expect([...got.shares]).toEqual(ref.shares);
  }
}

describe('ActivationShareIndex', () => {
  it('equals tauForShare and the per-site count at every budget on continuous scores', () => {
    const rand = unit(mulberry32(7));
    const sites = [300, 17, 1024, 64].map((n) => Float32Array.from({ length: n }, () => -Math.log(rand()) * 3));
    check(
      sites,
      Array.from({ length: 101 }, (_, i) => i / 100),
    );
  });

  it('follows the tie rule on heavily tied scores, with NaN, ±0, ±Infinity and an empty site', () => {
    const rand = unit(mulberry32(11));
    const pick = [0, -0, 1, 1, 2, 2, 2, 5, NaN, Infinity, -Infinity, -3, 0.5];
    const sites = [200, 0, 33, 500, 7].map((n) =>
      Float32Array.from({ length: n }, () => pick[Math.floor(rand() * pick.length)]),
    );
    check(
      sites,
      Array.from({ length: 201 }, (_, i) => i / 200),
    );
  });

  it('hand-computed: two sites, 40 % of 10 blocks', () => {
    // Pooled descending: 9 8 7 | 6 5 4 3 2 1 0 → k = 4: FP8 are 9, 8, 7, 6; τ = 5 (the highest NVFP4 score).
    const index = ActivationShareIndex.fromScores([
      Float32Array.from([0, 9, 2, 7]),
      Float32Array.from([5, 8, 1, 6, 3, 4]),
    ]);
    const a = index.answer(0.4);
    expect(a.tau.tau).toBe(5);
    expect([...a.shares]).toEqual([2 / 4, 2 / 6]);
    expect(index.answer(0).tau.tau).toBe(Infinity);
    expect([...index.answer(1).shares]).toEqual([1, 1]);
  });

  it('rebuilds from its parts (the worker → page wire form) with the same answers', () => {
    const rand = unit(mulberry32(3));
    const sites = [50, 80].map((n) => Float32Array.from({ length: n }, () => Math.round(rand() * 10)));
    const a = ActivationShareIndex.fromScores(sites);
    const b = ActivationShareIndex.fromParts(structuredClone(a.parts()));
    for (const s of [0.1, 0.33, 0.5, 0.9]) expect(b.answer(s)).toEqual(a.answer(s));
    expect(() => ActivationShareIndex.fromParts({ sorted: [new Float32Array(1)], blocks: [] })).toThrow(/block count/);
    expect(() => a.answer(1.5)).toThrow(/\[0, 1\]/);
  });
});

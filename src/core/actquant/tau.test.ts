import { describe, expect, it } from 'vitest';
import { tauForShare } from './tau.ts';

const countAbove = (scores: readonly ArrayLike<number>[], tau: number) =>
  scores.reduce((n, s) => n + Array.from(s).filter((v) => v > tau).length, 0);

describe('activation threshold calibration', () => {
  it('gives exactly round(p·M) FP8 blocks when the boundary is not a tie, pooled over arrays', () => {
    const a = Float32Array.from([0.5, 3, 1, 7, 2]);
    const b = Float32Array.from([6, 4, 0, 5, 8, 9]);
    const all = [a, b];
    for (let k = 0; k <= 11; k++) {
      const share = k / 11;
      const t = tauForShare(all, share);
      expect(t.requested).toBe(k);
      expect(t.fp8).toBe(k);
      expect(countAbove(all, t.tau)).toBe(k);
      expect(t.achievedShare).toBe(k / 11);
    }
    expect(tauForShare(all, 0).tau).toBe(Infinity);
    expect(tauForShare(all, 1).tau).toBe(-Infinity);
  });

  it('at a tie across the boundary takes the nearest achievable count (fewer on equal distance) and says so', () => {
    // Sorted descending: 9, 5, 5, 5, 5, 2, 1, 0, 0, 0 (M = 10).
    const s = [Float32Array.from([5, 0, 9, 5, 1, 0, 5, 2, 5, 0])];
    const cases: [number, number][] = [
      [0.1, 1], // k=1: 9 alone, exact
      [0.2, 1], // k=2 inside the tie of four 5s: 1 (|1−2| = 1) beats 5 (3)
      [0.3, 1], // k=3: 1 (distance 2) and 5 (distance 2): the smaller
      [0.4, 5], // k=4: 5 (distance 1)
      [0.5, 5], // exact
      [0.7, 7], // k=7: 7 exact
      [0.8, 7], // k=8 inside the tie of three 0s: 7 (1) vs 10 (2)
      [0.9, 10], // k=9: 10 (1) vs 7 (2)
    ];
    for (const [share, fp8] of cases) {
      const t = tauForShare(s, share);
      expect(t.fp8, `share ${share}`).toBe(fp8);
      expect(countAbove(s, t.tau), `share ${share}`).toBe(fp8);
    }
  });

  it('NaN scores count as blocks but never become FP8; float32 scores compare exactly with τ', () => {
    const s = [Float32Array.from([NaN, 1e-8, 3e-8, 2e-8, NaN])];
    const t = tauForShare(s, 0.4);
    expect(t).toMatchObject({ fp8: 2, total: 5, requested: 2 });
    expect(t.tau).toBe(Math.fround(1e-8));
    expect(tauForShare(s, 1)).toMatchObject({ fp8: 3, tau: -Infinity });
    expect(() => tauForShare(s, 1.5)).toThrow(/\[0, 1\]/);
    expect(() => tauForShare(s, Number.NaN)).toThrow(/\[0, 1\]/);
  });
});

import { describe, expect, it } from 'vitest';
import { lcg32, unit } from '../random';
import { PROJECTIONS, type Projection } from '../model/types';
import {
  allMasks,
  answerBlockCount,
  answerBudget,
  findTensor,
  rankGlobally,
  rankPerTensor,
  tensorMask,
  type ScoredTensor,
} from './policy';
import { sortDescendingStable } from './sort';

const lcg = (seed: number) => unit(lcg32(seed));

/** Brute-force reference: every block with (score, layer, proj index, block) sorted by comparator. */
function bruteForceFp8(tensors: ScoredTensor[], k: number): Map<string, Uint8Array> {
  const all: { s: number; layer: number; p: number; b: number; key: string }[] = [];
  for (const t of tensors)
    for (let b = 0; b < t.scores.length; b++)
      all.push({ s: t.scores[b], layer: t.layer, p: PROJECTIONS.indexOf(t.proj), b, key: `${t.layer}/${t.proj}` });
  all.sort((x, y) => y.s - x.s || x.layer - y.layer || x.p - y.p || x.b - y.b);
  const masks = new Map<string, Uint8Array>();
  for (const t of tensors) masks.set(`${t.layer}/${t.proj}`, new Uint8Array(t.scores.length));
  for (let i = 0; i < k; i++) masks.get(all[i].key)![all[i].b] = 1;
  return masks;
}

function randomTensors(seed: number, nLayers: number, levels?: number): ScoredTensor[] {
  const rnd = lcg(seed);
  const out: ScoredTensor[] = [];
  for (let layer = 0; layer < nLayers; layer++)
    for (const proj of PROJECTIONS) {
      const rows = 1 + Math.floor(rnd() * 5);
      const cols = 1 + Math.floor(rnd() * 60);
      const n = rows * Math.ceil(cols / 16);
      // Few distinct levels -> many ties across tensors.
      const scores = Float64Array.from({ length: n }, () => (levels ? Math.floor(rnd() * levels) : rnd()));
      out.push({ layer, proj, rows, cols, scores });
    }
  return out;
}

describe('sortDescendingStable', () => {
  it('matches a comparator sort (descending, ties by id) on values with negatives, zeros, infinities and ties', () => {
    const rnd = lcg(7);
    const special = [0, -0, Infinity, -Infinity, 1e-300, -1e-300, 5e-324, 1.5, 1.5, -2];
    const xs = Array.from({ length: 3000 }, (_, i) =>
      i < special.length ? special[i] : Math.floor(rnd() * 50) - 25 + (rnd() < 0.5 ? 0 : rnd()),
    );
    const got = Array.from(sortDescendingStable(xs));
    const want = xs.map((_, i) => i).sort((a, b) => (xs[b] === xs[a] ? a - b : xs[b] - xs[a]));
    expect(got).toEqual(want);
  });

  it('puts NaN first (a broken block stays in FP8), in id order', () => {
    expect(Array.from(sortDescendingStable([1, NaN, 3, NaN, Infinity]))).toEqual([1, 3, 4, 2, 0]);
  });

  it('sorts a subset of ids', () => {
    expect(Array.from(sortDescendingStable([5, 1, 4, 9, 4], Uint32Array.of(1, 2, 4)))).toEqual([2, 4, 1]);
  });
});

describe('global policy on a hand-made model', () => {
  // layer 0 q: 2 rows × 32 cols = 4 blocks; layer 0 k: 1 row × 20 cols = 2 blocks (16 + 4); layer 1 q: 1 × 16.
  // Given out of canonical order on purpose.
  const tensors: ScoredTensor[] = [
    { layer: 1, proj: 'q', rows: 1, cols: 16, scores: [5] },
    { layer: 0, proj: 'k', rows: 1, cols: 20, scores: [7, 2] },
    { layer: 0, proj: 'q', rows: 2, cols: 32, scores: [1, 9, 5, 3] },
  ];
  const ranking = rankGlobally(tensors);

  it('orders tensors canonically and blocks by score, ties by (layer, projection, position)', () => {
    expect(ranking.tensors.map((t) => `${t.layer}${t.proj}`)).toEqual(['0q', '0k', '1q']);
    // Global ids: 0q -> 0..3, 0k -> 4..5, 1q -> 6. Scores 9 (1), 7 (4), 5 (2), 5 (6), 3 (3), 2 (5), 1 (0).
    expect(Array.from(ranking.order!)).toEqual([1, 4, 2, 6, 3, 5, 0]);
  });

  it('answers a budget with threshold, counts, shares and masks', () => {
    // p = 0.5 of 7 blocks -> k = round(3.5) = 4: scores 9, 7, 5 (0q block 2), 5 (1q).
    const a = answerBudget(ranking, 0.5);
    expect(a.k).toBe(4);
    expect(a.threshold).toBe(5);
    expect(a.nextScore).toBe(3);
    expect(Array.from(a.fp8Counts)).toEqual([2, 1, 1]);
    expect(Array.from(tensorMask(ranking, a, 0))).toEqual([0, 1, 1, 0]);
    expect(Array.from(tensorMask(ranking, a, 1))).toEqual([1, 0]);
    expect(Array.from(tensorMask(ranking, a, 2))).toEqual([1]);
    expect(a.perLayer).toEqual([
      { layer: 0, blocks: 6, fp8: 3, share: 0.5 },
      { layer: 1, blocks: 1, fp8: 1, share: 1 },
    ]);
    expect(a.perProjection).toEqual([
      { proj: 'q', blocks: 5, fp8: 3, share: 0.6 },
      { proj: 'k', blocks: 2, fp8: 1, share: 0.5 },
    ]);
    expect(a.perTensor.map((r) => r.threshold)).toEqual([5, 7, 5]);
  });

  it('splits a tie at the threshold by the stable order', () => {
    // k = 3: the two blocks scoring 5 tie; 0q (layer 0) comes before 1q.
    const a = answerBlockCount(ranking, 3);
    expect(a.threshold).toBe(5);
    expect(a.nextScore).toBe(5);
    expect(Array.from(a.fp8Counts)).toEqual([2, 1, 0]);
    expect(Array.from(tensorMask(ranking, a, 2))).toEqual([0]);
  });

  it('budget 0 keeps nothing in FP8 and budget 1 everything', () => {
    const none = answerBudget(ranking, 0);
    expect(none.k).toBe(0);
    expect(none.threshold).toBe(Infinity);
    expect(allMasks(ranking, none).every((m) => m.every((x) => x === 0))).toBe(true);
    const all = answerBudget(ranking, 1);
    expect(all.k).toBe(7);
    expect(all.nextScore).toBe(-Infinity);
    expect(allMasks(ranking, all).every((m) => m.every((x) => x === 1))).toBe(true);
  });

  it('rejects bad input with clear messages', () => {
    expect(() => answerBudget(ranking, 1.5)).toThrow(/budget must be in \[0, 1\]/);
    expect(() => answerBudget(ranking, NaN)).toThrow(/budget/);
    expect(() => answerBlockCount(ranking, 8)).toThrow(/\[0, 7\]/);
    expect(() => rankGlobally([{ layer: 0, proj: 'q', rows: 2, cols: 16, scores: [1] }])).toThrow(
      /expected one per block/,
    );
    expect(() => rankGlobally([...tensors, tensors[0]])).toThrow(/given twice/);
    expect(() => rankGlobally([{ layer: 0, proj: 'x' as Projection, rows: 1, cols: 16, scores: [1] }])).toThrow(
      /unknown projection/,
    );
  });
});

describe('global policy on random models', () => {
  for (const [name, levels] of [
    ['distinct scores', undefined],
    ['heavy ties (3 levels)', 3],
  ] as const) {
    it(`masks equal a brute-force sort at every budget (${name})`, () => {
      const tensors = randomTensors(11, 3, levels);
      const ranking = rankGlobally(tensors);
      for (let k = 0; k <= ranking.totalBlocks; k += 7) {
        const a = answerBlockCount(ranking, k);
        const want = bruteForceFp8(tensors, k);
        ranking.tensors.forEach((t, i) =>
          expect(Array.from(tensorMask(ranking, a, i))).toEqual(Array.from(want.get(`${t.layer}/${t.proj}`)!)),
        );
        // Threshold exact: every FP8 block scores >= threshold, every other block <= threshold.
        ranking.tensors.forEach((t, i) => {
          const m = tensorMask(ranking, a, i);
          for (let b = 0; b < m.length; b++) {
            const s = ranking.scores[t.offset + b];
            if (m[b]) expect(s).toBeGreaterThanOrEqual(a.threshold);
            else expect(s).toBeLessThanOrEqual(a.threshold);
          }
        });
      }
    });
  }

  it('per-layer and per-projection shares, weighted by block counts, give the global share exactly', () => {
    const ranking = rankGlobally(randomTensors(5, 4, 4));
    for (const p of [0, 0.05, 0.1, 0.2, 0.3, 0.333, 0.5, 0.77, 1]) {
      const a = answerBudget(ranking, p);
      expect(a.k).toBe(Math.round(p * ranking.totalBlocks));
      const fromLayers = a.perLayer.reduce((s, r) => s + r.share * r.blocks, 0);
      const fromProj = a.perProjection.reduce((s, r) => s + r.share * r.blocks, 0);
      expect(Math.round(fromLayers)).toBe(a.k);
      expect(fromLayers / ranking.totalBlocks).toBeCloseTo(a.fp8Share, 12);
      expect(Math.round(fromProj)).toBe(a.k);
      expect(a.fp8Counts.reduce((s, x) => s + x, 0)).toBe(a.k);
      const maskOnes = allMasks(ranking, a).reduce((s, m) => s + m.reduce((u, x) => u + x, 0), 0);
      expect(maskOnes).toBe(a.k);
    }
  });

  it('finds tensors by layer and projection', () => {
    const ranking = rankGlobally(randomTensors(3, 2));
    expect(findTensor(ranking, 1, 'up')).toBe(7 + PROJECTIONS.indexOf('up'));
    expect(findTensor(ranking, 5, 'up')).toBe(-1);
  });
});

describe('per-layer uniform policy', () => {
  it('gives every tensor floor or ceil of p·n_t FP8 blocks, Σ = round(p·N), ranked inside the tensor', () => {
    const tensors = randomTensors(9, 3);
    const ranking = rankPerTensor(tensors);
    for (const p of [0, 0.1, 0.3, 0.5, 0.9, 1]) {
      const a = answerBudget(ranking, p);
      expect(a.fp8Counts.reduce((s, x) => s + x, 0)).toBe(Math.round(p * ranking.totalBlocks));
      expect(Number.isNaN(a.threshold)).toBe(true);
      ranking.tensors.forEach((t, i) => {
        const n = t.grid.blockCount;
        const quota = (a.k * n) / ranking.totalBlocks;
        expect(a.fp8Counts[i]).toBeGreaterThanOrEqual(Math.floor(quota));
        expect(a.fp8Counts[i]).toBeLessThanOrEqual(Math.ceil(quota));
        // The FP8 blocks are the tensor's top scores.
        const src = tensors.find((x) => x.layer === t.layer && x.proj === t.proj)!;
        const m = tensorMask(ranking, a, i);
        const kept = Array.from(src.scores).filter((_, b) => m[b]);
        const dropped = Array.from(src.scores).filter((_, b) => !m[b]);
        if (kept.length && dropped.length) expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...dropped));
      });
    }
  });

  it('hand example: two tensors of 4 and 6 blocks at 50% get 2 and 3', () => {
    const ranking = rankPerTensor([
      { layer: 0, proj: 'q', rows: 4, cols: 16, scores: [4, 3, 2, 1] },
      { layer: 0, proj: 'k', rows: 6, cols: 16, scores: [0, 0, 9, 0, 8, 0] },
    ]);
    const a = answerBudget(ranking, 0.5);
    expect(Array.from(a.fp8Counts)).toEqual([2, 3]);
    expect(Array.from(tensorMask(ranking, a, 0))).toEqual([1, 1, 0, 0]);
    // Third FP8 block of k: ties at 0, first position wins.
    expect(Array.from(tensorMask(ranking, a, 1))).toEqual([1, 0, 1, 0, 1, 0]);
  });
});

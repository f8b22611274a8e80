import { describe, expect, it } from 'vitest';
import { mulberry32, unit } from '../random';
import type { Projection } from '../model/types';
import { answerBitsPerWeight } from './bitsBudget';
import { weightStorageBits } from './mixed';
import {
  allMasks,
  answerBlockCount,
  rankGlobally,
  rankPerTensor,
  type BlockRanking,
  type ScoredTensor,
} from './policy';

function tensors(seed: number): ScoredTensor[] {
  const rnd = unit(mulberry32(seed));
  // Tails of 8 and of 1 element (a 1-element block is cheaper in FP8 than in NVFP4: bits are not monotone).
  const shapes: [number, Projection, number, number][] = [
    [0, 'q', 3, 32],
    [0, 'down', 2, 40],
    [1, 'up', 2, 33],
    [1, 'down', 3, 16],
  ];
  return shapes.map(([layer, proj, rows, cols]) => ({
    layer,
    proj,
    rows,
    cols,
    scores: Float64Array.from({ length: rows * Math.ceil(cols / 16) }, rnd),
  }));
}

/** Brute force from masks: bits per weight at every k. */
function curve(ranking: BlockRanking): number[] {
  const elements = ranking.tensors.reduce((s, t) => s + t.grid.rows * t.grid.cols, 0);
  const out: number[] = [];
  for (let k = 0; k <= ranking.totalBlocks; k++) {
    const masks = allMasks(ranking, answerBlockCount(ranking, k));
    const bits = ranking.tensors.reduce(
      (s, t, i) => s + weightStorageBits(t.grid.rows, t.grid.cols, masks[i], { metadata: 'always' }).totalBits,
      0,
    );
    out.push(bits / elements);
  }
  return out;
}

describe('budgets in bits per weight', () => {
  it('answer the largest feasible FP8 count (brute force over every k, global and per-tensor)', () => {
    for (const seed of [1, 2, 3]) {
      for (const ranking of [rankGlobally(tensors(seed)), rankPerTensor(tensors(seed))]) {
        const c = curve(ranking);
        const lo = Math.min(c[0], c[c.length - 1]);
        const hi = Math.max(c[0], c[c.length - 1]);
        for (let j = 0; j <= 40; j++) {
          const target = lo + ((hi - lo) * j) / 40;
          let want = -1;
          for (let k = 0; k < c.length; k++) if (c[k] <= target) want = k;
          const got = answerBitsPerWeight(ranking, target);
          expect(got.k).toBe(want);
          expect(got.bitsPerWeight).toBeCloseTo(c[want], 12);
          expect(got.bitsPerWeight).toBeLessThanOrEqual(target);
        }
      }
    }
  });

  it('the paper point: 30 % FP8 of full blocks is 4.5·0.7 + 8·0.3 + 1/16 bits, plus scales', () => {
    const rows = 64;
    const cols = 160;
    const ranking = rankGlobally([
      { layer: 0, proj: 'q', rows, cols, scores: Float64Array.from({ length: rows * 10 }, (_, i) => i) },
    ]);
    const r = answerBitsPerWeight(ranking, 4.5 * 0.7 + 8 * 0.3 + 1 / 16 + 64 / (rows * cols) + 1e-12);
    expect(r.k).toBe(0.3 * rows * 10);
  });

  it('refuses targets outside the feasible range, saying what it is', () => {
    const ranking = rankGlobally(tensors(4));
    expect(() => answerBitsPerWeight(ranking, 3)).toThrow(
      /out of range: this model's feasible range is \d\.\d{4}–\d\.\d{4} bits per weight \(all-NVFP4 to all-FP8\)/,
    );
    expect(() => answerBitsPerWeight(ranking, 9)).toThrow(/out of range/);
    expect(() => answerBitsPerWeight(ranking, NaN)).toThrow(/finite/);
  });
});

import { describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../model/types';
import { simulateHardware, weightColumnCounts } from '../hw/index';
import { allMasks, answerBudget, rankGlobally, rankPerTensor, type ScoredTensor } from './policy';
import { IncrementalBudget } from './incremental';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** Random scored tensors; some with a short last block (cols % 16 != 0), ties from few score levels. */
function tensors(seed: number): ScoredTensor[] {
  const u = lcg(seed);
  const out: ScoredTensor[] = [];
  for (let layer = 0; layer < 2; layer++)
    for (const proj of PROJECTIONS) {
      const rows = 3 + Math.floor(u() * 6);
      const cols = (1 + Math.floor(u() * 4)) * 16 + (u() < 0.4 ? 5 : 0);
      const n = rows * Math.ceil(cols / 16);
      out.push({ layer, proj, rows, cols, scores: Float64Array.from({ length: n }, () => Math.floor(u() * 9)) });
    }
  return out;
}

describe('IncrementalBudget', () => {
  for (const [name, rank] of [
    ['global', rankGlobally],
    ['per-tensor', rankPerTensor],
  ] as const) {
    it(`masks, column counts and energy equal a from-scratch answer after every step (${name})`, () => {
      const ranking = rank(tensors(3));
      const inc = new IncrementalBudget(ranking);
      const u = lcg(8);
      // Slider steps, jumps, repeats, both ends.
      const budgets = [0.3, 0.31, 0.29, 0.29, 1, 0, 0.5, ...Array.from({ length: 30 }, () => u()), 0.05, 1, 1, 0];
      let prev = new Uint32Array(ranking.tensors.length);
      for (const p of budgets) {
        const step = inc.setBudget(p);
        const fresh = answerBudget(ranking, p);
        expect(Array.from(step.answer.fp8Counts)).toEqual(Array.from(fresh.fp8Counts));
        expect(step.changed).toBe(fresh.fp8Counts.reduce((s, c, i) => s + Math.abs(c - prev[i]), 0));
        prev = Uint32Array.from(fresh.fp8Counts);
        const masks = allMasks(ranking, fresh);
        masks.forEach((m, i) => {
          expect(Array.from(inc.masks[i])).toEqual(Array.from(m));
          expect(Array.from(inc.columnCounts[i])).toEqual(Array.from(weightColumnCounts(ranking.tensors[i].grid, m)));
        });
        const want = simulateHardware(
          ranking.tensors.map((t, i) => ({
            layer: t.layer,
            proj: t.proj,
            rows: t.grid.rows,
            cols: t.grid.cols,
            weightMask: masks[i],
            tokens: 64,
            activationFp8Share: 0.3,
          })),
        );
        const got = inc.energy(64, 0.3);
        expect(got.total.total).toBeCloseTo(want.total.total, 6);
        expect(got.vsFp8).toBeCloseTo(want.vsFp8, 12);
        expect(got.weightBits.mixed).toBe(want.weightBits.mixed);
        got.perLinear.forEach((r, i) => expect(r.energy.total / want.perLinear[i].energy.total).toBeCloseTo(1, 12));
      }
    });
  }

  it('a step touches only the blocks that change precision', () => {
    const ranking = rankGlobally(tensors(5));
    const inc = new IncrementalBudget(ranking);
    expect(inc.setBlockCount(10).changed).toBe(10);
    expect(inc.setBlockCount(12).changed).toBe(2);
    expect(inc.setBlockCount(12).changed).toBe(0);
    expect(inc.setBlockCount(7).changed).toBe(5);
    expect(() => inc.setBudget(2)).toThrow(/budget must be in \[0, 1\]/);
  });
});

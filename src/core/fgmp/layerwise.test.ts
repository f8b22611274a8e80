import { describe, expect, it } from 'vitest';
import { mulberry32, unit } from '../random';
import { PROJECTIONS } from '../model/types';
import { answerLayerwise, knapsack, type LayerwiseItem } from './layerwise';
import { storageFromCounts } from './mixed';
import { rankGlobally, type ScoredTensor } from './policy';

/** Every subset: the best value within capacity (ties: the first subset found in mask order). */
function bruteForce(items: LayerwiseItem[], capacity: number): number {
  let best = 0;
  for (let m = 0; m < 1 << items.length; m++) {
    let cost = 0;
    let value = 0;
    items.forEach((it, i) => {
      if (m & (1 << i)) {
        cost += it.cost;
        value += it.value;
      }
    });
    if (cost <= capacity && value > best) best = value;
  }
  return best;
}

describe('layerwise baseline (exact knapsack)', () => {
  it('is optimal: equals brute force over every subset on random small cases', () => {
    const rnd = unit(mulberry32(11));
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rnd() * 11);
      const unitCost = [56, 112, 300, 301][Math.floor(rnd() * 4)];
      const items = Array.from({ length: n }, () => ({
        value: Math.floor(rnd() * 50) / 7,
        cost: unitCost * (1 + Math.floor(rnd() * 9)),
      }));
      const total = items.reduce((s, it) => s + it.cost, 0);
      const capacity = Math.floor(rnd() * total * 1.1);
      const chosen = knapsack(items, capacity);
      const cost = items.reduce((s, it, i) => s + (chosen[i] ? it.cost : 0), 0);
      const value = items.reduce((s, it, i) => s + (chosen[i] ? it.value : 0), 0);
      expect(cost).toBeLessThanOrEqual(capacity);
      expect(value).toBeCloseTo(bruteForce(items, capacity), 9);
    }
  });

  it('chooses whole tensors by their summed scores under the target bits, never above it', () => {
    const rnd = unit(mulberry32(5));
    const ts: ScoredTensor[] = [];
    for (let layer = 0; layer < 2; layer++)
      for (const proj of PROJECTIONS) {
        const [rows, cols] = proj === 'down' ? [8, 40] : [proj === 'gate' || proj === 'up' ? 10 : 8, 32];
        ts.push({
          layer,
          proj,
          rows,
          cols,
          scores: Float64Array.from({ length: rows * Math.ceil(cols / 16) }, () => rnd() * (proj === 'down' ? 3 : 1)),
        });
      }
    const ranking = rankGlobally(ts);
    const nvfp4 = ranking.tensors.reduce((s, t) => s + storageFromCounts(t.grid.rows, t.grid.cols, 0, 0).totalBits, 0);
    const fp8 = ranking.tensors.reduce(
      (s, t) => s + storageFromCounts(t.grid.rows, t.grid.cols, t.grid.blockCount, t.grid.rows * t.grid.cols).totalBits,
      0,
    );
    for (const f of [0, 0.1, 0.3, 0.5, 1]) {
      const target = nvfp4 + f * (fp8 - nvfp4);
      const r = answerLayerwise(ranking, target);
      expect(r.bits).toBeLessThanOrEqual(target);
      r.answer.perTensor.forEach((row) => expect(row.fp8 === 0 || row.fp8 === row.blocks).toBe(true));
      // Optimal against brute force over the 14 tensors.
      const items = ranking.tensors.map((t) => {
        let value = 0;
        for (let j = 0; j < t.grid.blockCount; j++) value += ranking.scores[t.offset + j];
        const lo = storageFromCounts(t.grid.rows, t.grid.cols, 0, 0).totalBits;
        return {
          value,
          cost:
            storageFromCounts(t.grid.rows, t.grid.cols, t.grid.blockCount, t.grid.rows * t.grid.cols).totalBits - lo,
        };
      });
      expect(r.value).toBeCloseTo(bruteForce(items, target - nvfp4), 9);
    }
    expect(answerLayerwise(ranking, nvfp4 - 1).answer.k).toBe(0);
    expect(answerLayerwise(ranking, fp8).answer.k).toBe(ranking.totalBlocks);
  });
});

import { describe, expect, it } from 'vitest';
import { PROJECTIONS, projectionShape, randomModel } from '../model/types';
import { simulateHardware } from '../hw/energy';
import { allMasks, answerBudget } from './policy';
import { buildRanking, POLICY_KINDS, prepareWeights } from './prepare';
import { magnitudeScores } from './scores';
import { tinyConfig } from '../../../tests/support/models';

// Tiny shape with a hidden size that is not a multiple of 16 (down has 40 cols: 2 blocks + 8).
const config = tinyConfig({ vocabSize: 64, maxSeqLen: 16 });
const model = randomModel(config, 3);
const fisherOf = (layer: number, proj: (typeof PROJECTIONS)[number]) => {
  const [r, c] = projectionShape(config, proj);
  return Float32Array.from({ length: r * c }, (_, i) => 1 + ((i * 7 + layer * 13) % 5));
};

describe('prepareWeights + buildRanking', () => {
  const prepared = prepareWeights(config, model.weights, { clip: 'fisher', fisher: fisherOf });

  it('quantizes every projection of every layer in canonical order', () => {
    expect(prepared.map((t) => `${t.layer}${t.proj}`)).toEqual(
      [0, 1].flatMap((l) => PROJECTIONS.map((p) => `${l}${p}`)),
    );
    const down = prepared.find((t) => t.proj === 'down')!;
    expect([down.rows, down.cols, down.quant.grid.blockCount]).toEqual([32, 40, 96]);
  });

  it('ranks for every policy; the magnitude ranking orders blocks by amax', () => {
    for (const kind of POLICY_KINDS) {
      const ranking = buildRanking(prepared, kind, { seed: 1 });
      const a = answerBudget(ranking, 0.3);
      expect(a.fp8Counts.reduce((s, x) => s + x, 0)).toBe(Math.round(0.3 * ranking.totalBlocks));
    }
    const mag = buildRanking(prepared, 'magnitude');
    const t = prepared[3];
    expect(
      Array.from(mag.scores.subarray(mag.tensors[3].offset, mag.tensors[3].offset + t.quant.grid.blockCount)),
    ).toEqual(Array.from(magnitudeScores(t.rows, t.cols, t.weight)));
  });

  it('masks from a budget feed the hardware model', () => {
    const ranking = buildRanking(prepared, 'fgmp');
    const a = answerBudget(ranking, 0.3);
    const masks = allMasks(ranking, a);
    const rep = simulateHardware(
      ranking.tensors.map((t, i) => ({
        layer: t.layer,
        proj: t.proj,
        rows: t.grid.rows,
        cols: t.grid.cols,
        weightMask: masks[i],
        tokens: 8,
        activationFp8Share: 0.3,
      })),
    );
    expect(rep.vsFp8).toBeLessThan(1);
    expect(rep.vsNvfp4).toBeGreaterThan(1);
  });

  it('asks for calibration when a Fisher-based policy has no Fisher', () => {
    const noFisher = prepareWeights(config, model.weights, { clip: 'mse', layers: [1] });
    expect(noFisher).toHaveLength(7);
    expect(() => buildRanking(noFisher, 'fgmp')).toThrow(/needs the weight Fisher of layer 1 q/);
    expect(() => buildRanking(noFisher, 'uniform')).toThrow(/run calibration first/);
    expect(buildRanking(noFisher, 'unweighted').totalBlocks).toBe(
      noFisher.reduce((s, t) => s + t.quant.grid.blockCount, 0),
    );
    expect(() => prepareWeights(config, model.weights, { layers: [2] })).toThrow(/layer 2 not in the model/);
  });

  it('--rank unclipped scores the alpha = 1 values: the ranking of clip none, while the model keeps the clipped values', () => {
    const none = prepareWeights(config, model.weights, { clip: 'none', fisher: fisherOf });
    for (const kind of ['fgmp', 'unweighted', 'error'] as const) {
      const unclipped = buildRanking(prepared, kind, { rank: 'unclipped' });
      expect(Array.from(unclipped.scores)).toEqual(Array.from(buildRanking(none, kind).scores));
      const clipped = buildRanking(prepared, kind, { rank: 'clipped' });
      expect(Array.from(clipped.scores)).toEqual(Array.from(buildRanking(prepared, kind).scores));
      expect(Array.from(clipped.scores)).not.toEqual(Array.from(unclipped.scores));
    }
    expect(() => buildRanking(prepared, 'fgmp', { rank: 'raw' as 'clipped' })).toThrow(/unknown rank mode "raw"/);
  });
});

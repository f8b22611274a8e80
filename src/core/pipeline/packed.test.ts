// The compact quantized weights against prepareWeights / buildRanking / mixTensor (the oracle): every
// value bit for bit (compared as float32 bit patterns, so -0 and NaN count), every ranking array equal.
import { describe, expect, it } from 'vitest';
import { buildRanking, mixTensor, POLICY_KINDS, prepareWeights, quantizeWeight, CLIP_MODES } from '../fgmp/index';
import { PROJECTIONS, projectionShape, randomModel } from '../model/types';
import { tinyConfig } from '../../../tests/support/models';
import { CompactWeights, packNvfp4, unpackNvfp4 } from './packed';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// down has 40 columns: rows end in a short block of 8.
const config = tinyConfig({ vocabSize: 64, maxSeqLen: 16 });
const model = randomModel(config, 5);
const fisherOf = (layer: number, proj: (typeof PROJECTIONS)[number]) => {
  const [r, c] = projectionShape(config, proj);
  return Float32Array.from({ length: r * c }, (_, i) => 0.5 + ((i * 7 + layer * 13) % 5));
};

describe('packNvfp4', () => {
  it('gives NVFP4 values back bit for bit in every clip mode, odd row lengths, zeros, -0 and NaN', () => {
    const rows = 6;
    const cols = 37; // blocks of 16, 16, 5
    const w = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 11)) * 1e-2);
    w.fill(0, 16, 32); // a zero block
    w[40] = -0;
    w[70] = NaN; // its block is kept as float32
    w[100] = 3; // a block dominated by one value
    const fisher = Float32Array.from({ length: w.length }, (_, i) => 1 + (i % 3));
    for (const clip of CLIP_MODES) {
      const q = quantizeWeight(w, rows, cols, { clip, fisher });
      const p = packNvfp4(q.qLo, rows, cols, q.nvfp4TensorScale);
      expect(bits(unpackNvfp4(p)), clip).toEqual(bits(q.qLo));
      expect(p.raw.size, clip).toBe(1);
    }
  });

  it('keeps a block as it is when no scale code expresses it', () => {
    const v = new Float32Array(16).fill(0.3);
    v[0] = 0.1; // 0.3 and 0.1 are no E2M1 multiples of one E4M3 scale at this tensor scale
    const p = packNvfp4(v, 1, 16, 1 / 4096);
    expect(p.raw.size).toBe(1);
    expect(bits(unpackNvfp4(p))).toEqual(bits(v));
  });

  it('takes half a byte per element and one per block', () => {
    const [rows, cols] = projectionShape(config, 'q');
    const q = quantizeWeight(model.weights.layers[0].q, rows, cols, { clip: 'mse' });
    const p = packNvfp4(q.qLo, rows, cols, q.nvfp4TensorScale);
    expect([p.codes.length, p.scaleCodes.length, p.raw.size]).toEqual([(rows * cols) / 2, (rows * cols) / 16, 0]);
  });
});

describe('CompactWeights', () => {
  for (const fp8Scale of ['tensor', 'row'] as const)
    for (const clip of ['none', 'fisher', 'mse-sweep'] as const)
      it(`equals prepareWeights, buildRanking and mixTensor (clip ${clip}, FP8 per ${fp8Scale})`, () => {
        const options = { clip, fp8Scale, fisher: fisherOf };
        const oracle = prepareWeights(config, model.weights, options);
        const progress: number[] = [];
        const compact = CompactWeights.prepare(config, model.weights, {
          ...options,
          onProgress: (d, total) => progress.push(d / total),
        });
        expect(progress.at(-1)).toBe(1);
        expect(progress.length).toBe(oracle.length);
        const lazy = compact.lazy();
        oracle.forEach((o, i) => {
          const t = compact.tensor(i, true);
          expect([t.layer, t.proj, t.rows, t.cols]).toEqual([o.layer, o.proj, o.rows, o.cols]);
          expect(bits(t.quant.qLo)).toEqual(bits(o.quant.qLo));
          expect(bits(t.quant.qHi)).toEqual(bits(o.quant.qHi));
          expect(bits(lazy[i].quant.qLo)).toEqual(bits(o.quant.qLo));
          expect(bits(lazy[i].quant.qHi)).toEqual(bits(o.quant.qHi));
          expect(bits(t.quant.clipRatio)).toEqual(bits(o.quant.clipRatio));
          expect(t.quant.fp8Scales).toEqual(o.quant.fp8Scales);
          expect(t.quant.curve).toEqual(o.quant.curve);
          const mask = Uint8Array.from({ length: o.quant.grid.blockCount }, (_, b) => ((b * 5 + i) % 3 === 0 ? 1 : 0));
          expect(bits(compact.mixed(i, mask))).toEqual(bits(mixTensor(o.rows, o.cols, o.quant.qLo, o.quant.qHi, mask)));
        });
        for (const kind of POLICY_KINDS)
          for (const rank of ['clipped', 'unclipped'] as const) {
            const want = buildRanking(oracle, kind, { seed: 3, rank });
            const got = compact.ranking(kind, { seed: 3, rank });
            expect(got.scores, `${kind} ${rank}`).toEqual(want.scores);
            expect(got.order, `${kind} ${rank}`).toEqual(want.order);
            expect(got.tensors.map((t) => [t.order, t.ranks])).toEqual(want.tensors.map((t) => [t.order, t.ranks]));
          }
        // Half a byte per element and a byte per block, against 8 bytes per element for both float32 versions.
        const elements = oracle.reduce((s, t) => s + t.rows * t.cols, 0);
        expect(compact.bytes).toBeLessThan(elements * 1.2);
      });
});

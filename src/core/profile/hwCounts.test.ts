// Memory and energy from FP8 counts (hwCounts.ts) against the hardware model on real masks.
import { describe, expect, it } from 'vitest';
import { simulateHardware } from '../hw/index.ts';
import type { LlamaConfig } from '../model/types.ts';
import { blocksPerRow, tensorTable } from './format.ts';
import { CountHardware } from './hwCounts.ts';
import { rng } from './testUtil.ts';

const config: LlamaConfig = {
  dim: 64,
  hiddenDim: 96,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 32,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};
const tensors = tensorTable(config);

/** Relative difference of every numeric leaf. */
function maxRel(a: unknown, b: unknown): number {
  if (typeof a === 'number')
    return a === b ? 0 : Math.abs(a - (b as number)) / Math.max(Math.abs(a), Math.abs(b as number), 1e-300);
  if (a && typeof a === 'object')
    return Math.max(
      0,
      ...Object.keys(a).map((k) => maxRel((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])),
    );
  return a === b ? 0 : Infinity;
}

describe('hardware figures from FP8 counts', () => {
  it.each(['prefill', 'decode', 'on-chip'] as const)(
    'equal the hardware model on masks (any FP8 pattern, uniform activation shares), preset %s',
    (preset) => {
      const options = { fp8Scale: 'tensor' as const, preset };
      const hw = CountHardware.build(tensors, 100, undefined, options);
      const r = rng(4);
      for (let trial = 0; trial < 6; trial++) {
        // Endpoints (no FP8 block / all FP8: the tensor scales step) mixed with interior counts.
        const counts = tensors.map((t, i) => {
          const n = t.rows * blocksPerRow(t.cols);
          const k = (i + trial) % 4;
          return k === 0 ? 0 : k === 1 ? n : k === 2 ? 1 + Math.floor(r() * (n - 1)) : n - 1;
        });
        const shares = tensors.map(() => (trial === 0 ? 1 : r()));
        // Masks with those counts at random positions: only the counts matter.
        const inputs = tensors.map((t, i) => {
          const n = t.rows * blocksPerRow(t.cols);
          const mask = new Uint8Array(n);
          const ids = Array.from({ length: n }, (_, j) => j).sort(() => r() - 0.5);
          for (let j = 0; j < counts[i]; j++) mask[ids[j]] = 1;
          return {
            layer: t.layer,
            proj: t.proj,
            rows: t.rows,
            cols: t.cols,
            weightMask: mask,
            tokens: 100,
            activationFp8Share: shares[i],
          };
        });
        const live = simulateHardware(inputs, undefined, options);
        const fast = hw.report(counts, shares);
        expect(maxRel(fast.total, live.total)).toBeLessThan(1e-12);
        expect(maxRel(fast.perLayer, live.perLayer)).toBeLessThan(1e-12);
        expect(maxRel(fast.weightBits, live.weightBits)).toBeLessThan(1e-12);
        expect(maxRel(fast.vsFp8, live.vsFp8)).toBeLessThan(1e-12);
        expect(fast.perLinear.map((x) => [x.layer, x.proj])).toEqual(live.perLinear.map((x) => [x.layer, x.proj]));
      }
    },
  );

  it('each preset gives its own energy (decode reads the weights per token, on-chip never from DRAM)', () => {
    const counts = tensors.map((t) => Math.floor((t.rows * blocksPerRow(t.cols)) / 3));
    const shares = tensors.map(() => 0.25);
    const total = (preset: 'prefill' | 'decode' | 'on-chip') =>
      CountHardware.build(tensors, 100, undefined, { fp8Scale: 'tensor', preset }).report(counts, shares).total.total;
    const [p, d, o] = [total('prefill'), total('decode'), total('on-chip')];
    expect(d).toBeGreaterThan(p);
    expect(o).toBeLessThan(p);
  });
});

import { describe, expect, it } from 'vitest';
import { mulberry32, unitOpen } from '../random';
import {
  absmaxThreshold,
  blockClipSearch,
  clipRatioSearch,
  defaultClipGrid,
  klThreshold,
  parseClipMethod,
  percentileThreshold,
  ratiosForThreshold,
} from './index.ts';
import { quantizeNvfp4 } from '../formats/nvfp4.ts';
import { quantizeGrouped } from '../formats/grouped.ts';
import { quantizeMx } from '../formats/mx.ts';
import { blockLayout } from '../formats/layout.ts';

/** Seeded uniform in (0, 1) (mulberry32). */
const rng = (seed: number) => unitOpen(mulberry32(seed));

function laplace(n: number, seed: number): Float32Array {
  const u = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const v = u() - 0.5;
    return -Math.sign(v) * Math.log(1 - 2 * Math.abs(v));
  });
}

describe('KL (TensorRT saturate) calibration', () => {
  it('picks a threshold well below absmax on a heavy-tailed sample', () => {
    // Laplace(0, 1), 200k samples, plus 5 outliers at ±60. Over [0, amax] the 128 int8 levels
    // would be ~0.5 apart, so almost all the mass (|x| < 3) collapses into a handful of levels:
    // Q is far from P. A threshold near the bulk keeps the bulk's shape at the cost of folding the
    // rare tail into the last bin, which costs little KL because the tail holds little mass.
    const x = laplace(200_000, 42);
    x.set([60, -60, 55, -58, 59], 0);
    const r = klThreshold(x);
    expect(r.amax).toBe(60);
    expect(r.threshold).toBeLessThan(0.5 * r.amax);
    expect(r.threshold).toBeGreaterThan(3); // but it does not cut into the bulk
    expect(r.kl).toBeLessThan(r.curve[r.curve.length - 1]); // better than keeping absmax
  });

  it('picks absmax on a uniform sample', () => {
    // Exactly flat histogram: 10 values in each of the 2048 bins (the max, 2048·w, sits in the last
    // bin). Keeping all bins, each of the 128 chunks holds 16 equal bins, so Q = P and KL = 0.
    // Any lower threshold folds the clipped bins into the last kept bin, which Q cannot match
    // (it spreads that chunk evenly): KL > 0. So the minimum is at absmax.
    const w = 2 ** -10;
    const xs: number[] = [];
    for (let k = 0; k < 2048; k++)
      for (let j = 0; j < 10; j++) xs.push((k === 2047 && j === 9 ? 2048 : k + 0.5) * w * (j % 2 ? -1 : 1));
    const r = klThreshold(Float32Array.from(xs));
    expect(r.amax).toBe(2048 * w);
    expect(r.kl).toBe(0);
    expect(r.threshold).toBe(r.amax);
    // A seeded random uniform sample (sampling noise only) stays at or next to absmax.
    const u = rng(3);
    const y = Float32Array.from({ length: 1_000_000 }, () => 2 * u() - 1);
    const ry = klThreshold(y);
    expect(ry.threshold).toBeGreaterThan(0.98 * ry.amax);
  });

  it('handles all-zero input', () => {
    expect(klThreshold(new Float32Array(5)).threshold).toBe(0);
  });
});

describe('percentile and absmax', () => {
  it('percentile of |x| with linear interpolation (numpy "linear")', () => {
    const x = [-4, 1, 2, -3, 0];
    // sorted |x| = 0 1 2 3 4; p50 -> position 2 -> 2; p90 -> position 3.6 -> 3.6; p100 -> 4
    expect(percentileThreshold(x, 50)).toBe(2);
    expect(percentileThreshold(x, 90)).toBeCloseTo(3.6, 12);
    expect(percentileThreshold(x, 100)).toBe(4);
    expect(absmaxThreshold([NaN, -5, Infinity, 2])).toBe(5);
    expect(() => percentileThreshold(x, 0)).toThrow(/percentile/);
  });
  it('parses clip specs and rejects junk', () => {
    expect(parseClipMethod('percentile:99.9')).toEqual({ kind: 'percentile', p: 99.9 });
    expect(parseClipMethod('kl')).toEqual({ kind: 'kl' });
    expect(() => parseClipMethod('percentile:abc')).toThrow(/percentile/);
    expect(() => parseClipMethod('max')).toThrow(/unknown clip method "max"/);
  });
});

describe('clip-ratio search', () => {
  const x = laplace(4096, 9);
  x[17] = 25; // one outlier makes clipping worthwhile for its block / the tensor

  it('per tensor (INT4): never worse than no clipping in its own objective, and better here', () => {
    const r = clipRatioSearch(x, (a) => quantizeGrouped(x, 'int4', { clip: a }).values);
    const none = r.curve.find((c) => c.alpha === 1)!;
    expect(r.objective).toBeLessThanOrEqual(none.objective);
    expect(r.alpha).toBeLessThan(1);
    expect(r.curve.map((c) => c.alpha)).toEqual(defaultClipGrid());
  });

  it('per block (NVFP4), MSE and weighted MSE: every block at most its no-clip objective', () => {
    const layout = blockLayout(x.length, 16, 256);
    const ts = quantizeNvfp4(x).tensorScale;
    const run = (clip: Float32Array) => quantizeNvfp4(x, { rowLength: 256, tensorScale: ts, clip }).values;
    const u = rng(5);
    const weights = Float32Array.from(x, () => u() ** 4);
    for (const opts of [{}, { weights }]) {
      const r = blockClipSearch(x, layout, run, opts);
      let improved = 0;
      for (let b = 0; b < layout.blocks; b++) {
        expect(r.objective[b]).toBeLessThanOrEqual(r.baseline[b]);
        if (r.objective[b] < r.baseline[b]) improved++;
      }
      expect(improved).toBeGreaterThan(0);
      // Re-running with the chosen ratios reproduces the per-block objectives.
      const q = run(r.clip);
      let total = 0;
      let chosen = 0;
      for (let i = 0; i < x.length; i++)
        total += ((opts as { weights?: Float32Array }).weights?.[i] ?? 1) * (x[i] - q[i]) ** 2;
      for (const o of r.objective) chosen += o;
      expect(total).toBeCloseTo(chosen, 6);
    }
  });

  it('threshold to per-block ratios clips only blocks above it (MX)', () => {
    const layout = blockLayout(x.length, 32);
    const ratios = ratiosForThreshold(x, layout, 5);
    expect(ratios[0]).toBeCloseTo(5 / 25, 6);
    const q = quantizeMx(x, 'e2m1', { clip: ratios });
    // clipped amax ≤ 5 -> X ≤ 2^(floor(log2 5) − 2) = 1, so |values| ≤ 6·1; the outlier saturates to 6
    expect(Math.max(...Array.from(q.values, Math.abs))).toBe(6);
  });
});

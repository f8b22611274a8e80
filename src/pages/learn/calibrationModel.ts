// Lesson 6's computations: thresholds from the core's calibration strategies on a heavy-tailed sample,
// and FGMP's Fisher-weighted NVFP4 clipping (core fgmp quantizers) against plain MSE clipping.
import { clipRatioSearch, klThreshold, percentileThreshold, absmaxThreshold } from '../../core/calib';
import { errorMetrics, INT4, INT8, quantizeGrouped, weightedMse, type ErrorMetrics } from '../../core/formats';
import { quantizeWeight, clippingCurve } from '../../core/fgmp';
import { gaussianTensor, seededRandom, studentTTensor } from './synthetic';

export const CALIB_SAMPLE = { n: 16384, nu: 3, scale: 1, seed: 21 } as const;

export function calibrationSample(): Float32Array {
  const { n, nu, scale, seed } = CALIB_SAMPLE;
  return studentTTensor(n, nu, scale, seed);
}

export type IntBits = 'int8' | 'int4';

/** A fine geometric grid of clip ratios from 1 down to 0.02 (heavy tails want strong clipping). */
export const FINE_GRID: readonly number[] = Array.from({ length: 60 }, (_, i) =>
  Number(Math.pow(0.02, i / 59).toPrecision(6)),
);

export function quantizeAtRatio(x: Float32Array, bits: IntBits, alpha: number): Float32Array {
  return quantizeGrouped(x, bits === 'int8' ? INT8 : INT4, { granularity: 'tensor', clip: alpha }).values;
}

/** The MSE-optimal per-tensor clip ratio on FINE_GRID (the core's clip search). */
export function mseClipRatio(x: Float32Array, bits: IntBits): number {
  return clipRatioSearch(x, (a) => quantizeAtRatio(x, bits, a), { grid: FINE_GRID }).alpha;
}

export interface ThresholdRow {
  id: 'absmax' | 'mse' | 'kl' | 'percentile';
  label: string;
  threshold: number;
  metrics: ErrorMetrics;
  clippedShare: number;
}

/** Quantizes at threshold T and reports the error and the share of values beyond T. */
export function thresholdRow(
  x: Float32Array,
  bits: IntBits,
  amax: number,
  id: ThresholdRow['id'],
  label: string,
  threshold: number,
): ThresholdRow {
  const q = quantizeAtRatio(x, bits, threshold / amax);
  let clipped = 0;
  for (const v of x) if (Math.abs(v) > threshold) clipped++;
  return { id, label, threshold, metrics: errorMetrics(x, q), clippedShare: clipped / x.length };
}

/** The thresholds that do not depend on the percentile (the expensive part: clip search and KL). */
export function calibrationBase(x: Float32Array, bits: IntBits) {
  const amax = absmaxThreshold(x);
  const levels = bits === 'int8' ? INT8.maxFinite + 1 : INT4.maxFinite + 1;
  const search = clipRatioSearch(x, (a) => quantizeAtRatio(x, bits, a), { grid: FINE_GRID });
  const kl = klThreshold(x, { levels });
  return {
    amax,
    levels,
    search,
    kl,
    rows: [
      thresholdRow(x, bits, amax, 'absmax', 'absmax (no clipping)', amax),
      thresholdRow(x, bits, amax, 'mse', 'MSE-optimal clip', search.alpha * amax),
      thresholdRow(x, bits, amax, 'kl', 'KL divergence (TensorRT saturate)', kl.threshold),
    ],
  };
}

export function percentileRow(x: Float32Array, bits: IntBits, amax: number, percentile: number): ThresholdRow {
  return thresholdRow(x, bits, amax, 'percentile', `${percentile}th percentile`, percentileThreshold(x, percentile));
}

export type CalibrationTable = ReturnType<typeof calibrationBase>;

export const FISHER_TENSOR = { rows: 8, cols: 256, std: 0.02, seed: 31 } as const;
export type Importance = 'large' | 'small' | 'random';

export function fisherWeights(): Float32Array {
  const { rows, cols, std, seed } = FISHER_TENSOR;
  return gaussianTensor(rows * cols, std, seed);
}

/**
 * A synthetic importance (Fisher) vector: 'large' makes the large-magnitude weights matter most
 * (F ∝ w⁴ on a floor), 'small' the small ones, 'random' draws it independently of the weights.
 */
export function syntheticFisher(w: Float32Array, kind: Importance): Float32Array {
  const f = new Float32Array(w.length);
  const rand = seededRandom(97);
  let m2 = 0;
  for (const v of w) m2 += v * v;
  const rms = Math.sqrt(m2 / w.length);
  for (let i = 0; i < w.length; i++) {
    const z = Math.abs(w[i]) / rms;
    f[i] = kind === 'large' ? 0.05 + z ** 4 : kind === 'small' ? 1 / (0.05 + z ** 4) : -Math.log(1 - rand());
  }
  return f;
}

export function fisherClipping(w: Float32Array, fisher: Float32Array) {
  const { rows, cols } = FISHER_TENSOR;
  const none = quantizeWeight(w, rows, cols, { clip: 'none' });
  const mse = quantizeWeight(w, rows, cols, { clip: 'mse', fisher });
  const fisherQ = quantizeWeight(w, rows, cols, { clip: 'fisher', fisher });
  const curve = clippingCurve(w, rows, cols, { fisher });
  const summary = (q: typeof none) => ({
    mse: errorMetrics(w, q.qLo).mse,
    weighted: weightedMse(w, q.qLo, fisher),
    ratios: q.clipRatio,
  });
  return { curve, none: summary(none), mse: summary(mse), fisher: summary(fisherQ) };
}

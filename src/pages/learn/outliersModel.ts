// Lesson 5's computations: an activation matrix with one outlier feature, per-tensor and per-token INT8,
// LLM.int8() mixed-precision decomposition and SmoothQuant's scale migration (both in src/core/outliers).
import { errorMetrics, INT8, quantizeGrouped, type ErrorMetrics } from '../../core/formats';
import { int8Decomposition, matmulTransposed, smoothQuant as smoothQuantCore } from '../../core/outliers';
import { seededNormal } from './synthetic';

export { channelAbsMax } from '../../core/outliers';

export const OUTLIER_SETUP = { tokens: 64, channels: 64, outputs: 48, outlierChannel: 13, seed: 5 } as const;

/** Activations [tokens, channels]: N(0,1), except one feature with a large negative value on every token. */
export function outlierActivations(gain: number): Float32Array {
  const { tokens, channels, outlierChannel, seed } = OUTLIER_SETUP;
  const normal = seededNormal(seed);
  const x = new Float32Array(tokens * channels);
  for (let t = 0; t < tokens; t++) {
    for (let c = 0; c < channels; c++) {
      const z = normal();
      x[t * channels + c] = c === outlierChannel ? -gain * (1 + 0.15 * z) : z;
    }
  }
  return x;
}

/** Weights [outputs, channels], N(0, 1/channels). */
export function outlierWeights(): Float32Array {
  const { outputs, channels, seed } = OUTLIER_SETUP;
  const normal = seededNormal(seed + 1000);
  const w = new Float32Array(outputs * channels);
  for (let i = 0; i < w.length; i++) w[i] = normal() / Math.sqrt(channels);
  return w;
}

export function reference(x: Float32Array, w: Float32Array): Float64Array {
  const { tokens, channels, outputs } = OUTLIER_SETUP;
  return matmulTransposed(x, w, tokens, channels, outputs);
}

const int8 = (x: Float32Array, granularity: 'tensor' | 'row', rowLength: number) =>
  quantizeGrouped(x, INT8, { granularity, rowLength });

/** W8A8: activations per tensor or per token, weights per output row, then the float product. */
export function w8a8(x: Float32Array, w: Float32Array, activations: 'tensor' | 'row') {
  const { tokens, channels, outputs } = OUTLIER_SETUP;
  const xq = int8(x, activations, channels);
  const wq = int8(w, 'row', channels);
  return { xq, y: matmulTransposed(xq.values, wq.values, tokens, channels, outputs) };
}

/** The largest |code| among the normal (non-outlier) channels: how many INT8 levels they actually use. */
export function maxCodeOutside(codes: Float64Array, skip: readonly number[]): number {
  const { channels } = OUTLIER_SETUP;
  const skipSet = new Set(skip);
  let m = 0;
  for (let i = 0; i < codes.length; i++) if (!skipSet.has(i % channels)) m = Math.max(m, Math.abs(codes[i]));
  return m;
}

/** LLM.int8(): feature columns with any |x| >= threshold go through FP16, the rest through vector-wise INT8. */
export function decomposition(x: Float32Array, w: Float32Array, threshold: number) {
  const { outliers, y } = int8Decomposition(x, w, OUTLIER_SETUP, threshold);
  return { outliers, y };
}

/** SmoothQuant: s_j = max|X_j|^α / max|W_j|^(1−α); X/s per tensor INT8, W·s per output row INT8. */
export function smoothQuant(x: Float32Array, w: Float32Array, alpha: number) {
  return smoothQuantCore(x, w, OUTLIER_SETUP, alpha);
}

export const ALPHAS = Array.from({ length: 21 }, (_, i) => i / 20);

export function smoothCurve(x: Float32Array, w: Float32Array, yRef: Float64Array): { alpha: number; sqnrDb: number }[] {
  return ALPHAS.map((alpha) => ({ alpha, sqnrDb: errorMetrics(yRef, smoothQuant(x, w, alpha).y).sqnrDb }));
}

export function outputError(yRef: Float64Array, y: Float64Array): ErrorMetrics {
  return errorMetrics(yRef, y);
}

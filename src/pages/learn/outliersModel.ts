// Lesson 5's computations: an activation matrix with one outlier feature, per-tensor and per-token INT8,
// LLM.int8-style mixed-precision decomposition, and SmoothQuant's scale migration. All rounding by the core.
import { errorMetrics, FP16, INT8, quantizeGrouped, type ErrorMetrics } from '../../core/formats';
import { matmulTransposed, outlierColumns, seededNormal } from './synthetic';

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

/** Keeps the listed columns and zeroes the others (or the reverse). */
function columns(m: Float32Array, cols: number, keep: readonly number[], invert: boolean): Float32Array {
  const set = new Set(keep);
  const out = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = set.has(i % cols) !== invert ? m[i] : 0;
  return out;
}

/** LLM.int8(): feature columns with any |x| >= threshold go through FP16, the rest through vector-wise INT8. */
export function decomposition(x: Float32Array, w: Float32Array, threshold: number) {
  const { tokens, channels, outputs } = OUTLIER_SETUP;
  const outliers = outlierColumns(x, tokens, channels, threshold);
  const xHi = quantizeGrouped(columns(x, channels, outliers, false), FP16).values;
  const wHi = quantizeGrouped(columns(w, channels, outliers, false), FP16).values;
  const xLo = int8(columns(x, channels, outliers, true), 'row', channels).values;
  const wLo = int8(columns(w, channels, outliers, true), 'row', channels).values;
  const yHi = matmulTransposed(xHi, wHi, tokens, channels, outputs);
  const yLo = matmulTransposed(xLo, wLo, tokens, channels, outputs);
  const y = new Float64Array(yHi.length);
  for (let i = 0; i < y.length; i++) y[i] = yHi[i] + yLo[i];
  return { outliers, y };
}

/** Per input channel: max over rows of |m[r, c]|. */
export function channelAbsMax(m: Float32Array, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < m.length; i++) out[i % cols] = Math.max(out[i % cols], Math.abs(m[i]));
  return out;
}

/** SmoothQuant: s_j = max|X_j|^α / max|W_j|^(1−α); X/s per tensor INT8, W·s per output row INT8. */
export function smoothQuant(x: Float32Array, w: Float32Array, alpha: number) {
  const { tokens, channels, outputs } = OUTLIER_SETUP;
  const xMax = channelAbsMax(x, channels);
  const wMax = channelAbsMax(w, channels);
  const s = new Float64Array(channels);
  for (let c = 0; c < channels; c++) s[c] = Math.max(Math.pow(xMax[c], alpha) / Math.pow(wMax[c], 1 - alpha), 1e-8);
  const xs = new Float32Array(x.length);
  const ws = new Float32Array(w.length);
  for (let i = 0; i < x.length; i++) xs[i] = x[i] / s[i % channels];
  for (let i = 0; i < w.length; i++) ws[i] = w[i] * s[i % channels];
  const xq = int8(xs, 'tensor', channels).values;
  const wq = int8(ws, 'row', channels).values;
  // The activations as the layer effectively sees them, back in the original units: Q(X/s)·s.
  const xBack = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) xBack[i] = xq[i] * s[i % channels];
  return { xs, ws, xBack, y: matmulTransposed(xq, wq, tokens, channels, outputs) };
}

export const ALPHAS = Array.from({ length: 21 }, (_, i) => i / 20);

export function smoothCurve(x: Float32Array, w: Float32Array, yRef: Float64Array): { alpha: number; sqnrDb: number }[] {
  return ALPHAS.map((alpha) => ({ alpha, sqnrDb: errorMetrics(yRef, smoothQuant(x, w, alpha).y).sqnrDb }));
}

export function outputError(yRef: Float64Array, y: Float64Array): ErrorMetrics {
  return errorMetrics(yRef, y);
}

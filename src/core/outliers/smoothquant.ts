// SmoothQuant (Xiao et al. 2023, eq. 4): migrate quantization difficulty from activations to weights
// with a per-input-channel scale s_j = max|X_j|^α / max|W_j|^(1−α). Y = (X·diag(s)⁻¹)·(W·diag(s))ᵀ is the
// same product, but X/s has flatter channels, so one per-tensor INT8 scale fits it; W·s goes through INT8
// per output row. α = 0.5 is the paper's default; larger α moves more of the range into the weights.
import { INT8, quantizeGrouped } from '../formats';
import { channelAbsMax, checkShape, matmulTransposed, type LinearShape } from './matrix';

/** Below this a scale would divide by ~0 (an all-zero channel): the floor keeps X/s finite. */
export const MIN_SMOOTHING_SCALE = 1e-8;

/** s_j = max|X_j|^α / max|W_j|^(1−α), floored at MIN_SMOOTHING_SCALE. */
export function smoothingScales(xAbsMax: Float64Array, wAbsMax: Float64Array, alpha: number): Float64Array {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`SmoothQuant α must be in [0, 1], got ${alpha}`);
  if (xAbsMax.length !== wAbsMax.length) throw new RangeError('activation and weight channel counts differ');
  const s = new Float64Array(xAbsMax.length);
  for (let j = 0; j < s.length; j++)
    s[j] = Math.max(Math.pow(xAbsMax[j], alpha) / Math.pow(wAbsMax[j], 1 - alpha), MIN_SMOOTHING_SCALE);
  return s;
}

/** X/s and W·s (per input channel j), in float32 like the tensors they replace. */
export function migrate(x: Float32Array, w: Float32Array, s: Float64Array): { xs: Float32Array; ws: Float32Array } {
  const k = s.length;
  const xs = new Float32Array(x.length);
  const ws = new Float32Array(w.length);
  for (let i = 0; i < x.length; i++) xs[i] = x[i] / s[i % k];
  for (let i = 0; i < w.length; i++) ws[i] = w[i] * s[i % k];
  return { xs, ws };
}

export interface SmoothQuantResult {
  scales: Float64Array;
  xs: Float32Array;
  ws: Float32Array;
  /** Q(X/s): per-tensor INT8. */
  xq: Float32Array;
  /** Q(W·s): INT8 per output row. */
  wq: Float32Array;
  /** The activations as the layer effectively sees them, in the original units: Q(X/s)·s. */
  xBack: Float32Array;
  /** Q(X/s)·Q(W·s)ᵀ [tokens, outputs]. */
  y: Float64Array;
}

export function smoothQuant(x: Float32Array, w: Float32Array, shape: LinearShape, alpha: number): SmoothQuantResult {
  checkShape(x, w, shape);
  const { tokens, channels, outputs } = shape;
  const scales = smoothingScales(channelAbsMax(x, channels), channelAbsMax(w, channels), alpha);
  const { xs, ws } = migrate(x, w, scales);
  const xq = quantizeGrouped(xs, INT8, { granularity: 'tensor' }).values;
  const wq = quantizeGrouped(ws, INT8, { granularity: 'row', rowLength: channels }).values;
  const xBack = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) xBack[i] = xq[i] * scales[i % channels];
  return { scales, xs, ws, xq, wq, xBack, y: matmulTransposed(xq, wq, tokens, channels, outputs) };
}

// Lesson 2's computation: drop (or round away) the low mantissa bits of float32 values. Rounding uses a
// core Minifloat with FP32's exponent and fewer mantissa bits (7 bits is exactly BF16, 10 is TF32).
import { errorMetrics, Minifloat, quantizeGrouped, type ErrorMetrics } from '../../core/formats';
import { gaussianTensor } from './synthetic';

export const TRUNCATION_TENSOR = { n: 4096, std: 0.02, seed: 7 } as const;

export function truncationTensor(): Float32Array {
  return gaussianTensor(TRUNCATION_TENSOR.n, TRUNCATION_TENSOR.std, TRUNCATION_TENSOR.seed);
}

/** Zeroes the lowest 23 − keep mantissa bits of each float32 (rounds toward zero). */
export function truncateMantissa(x: Float32Array, keep: number): Float32Array {
  if (!Number.isInteger(keep) || keep < 0 || keep > 23) throw new RangeError(`mantissa bits to keep must be 0..23, got ${keep}`);
  const out = new Float32Array(x);
  const bits = new Uint32Array(out.buffer);
  const mask = (0xffffffff << (23 - keep)) >>> 0;
  for (let i = 0; i < bits.length; i++) bits[i] = (bits[i] & mask) >>> 0;
  return out;
}

const roundFormats = new Map<number, Minifloat>();
/** FP32's sign and exponent with `keep` mantissa bits: the core rounds to it (nearest, ties to even). */
export function fp32WithMantissa(keep: number): Minifloat {
  let f = roundFormats.get(keep);
  if (!f) {
    f = new Minifloat({ id: `e8m${keep}`, name: `E8M${keep}`, expBits: 8, manBits: keep, bias: 127, specials: 'ieee' });
    roundFormats.set(keep, f);
  }
  return f;
}

export function roundMantissa(x: Float32Array, keep: number): Float32Array {
  if (keep === 23) return new Float32Array(x);
  return quantizeGrouped(x, fp32WithMantissa(keep), { scaling: 'none' }).values;
}

export interface TruncationPoint {
  keep: number;
  truncate: ErrorMetrics;
  round: ErrorMetrics;
}

export function truncationCurve(x: Float32Array): TruncationPoint[] {
  const out: TruncationPoint[] = [];
  for (let keep = 0; keep <= 23; keep++) {
    out.push({ keep, truncate: errorMetrics(x, truncateMantissa(x, keep)), round: errorMetrics(x, roundMantissa(x, keep)) });
  }
  return out;
}

/** Least-squares slope of SQNR (dB) per kept bit over [from, to]. */
export function dbPerBit(curve: TruncationPoint[], from: number, to: number, pick: (p: TruncationPoint) => number): number {
  const pts = curve.filter((p) => p.keep >= from && p.keep <= to);
  const mx = pts.reduce((s, p) => s + p.keep, 0) / pts.length;
  const my = pts.reduce((s, p) => s + pick(p), 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const p of pts) {
    num += (p.keep - mx) * (pick(p) - my);
    den += (p.keep - mx) ** 2;
  }
  return num / den;
}

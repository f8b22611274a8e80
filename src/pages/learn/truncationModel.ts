// Lesson 2's computation: drop (or round away) the low mantissa bits of float32 values, with the core's
// src/core/formats/truncate.ts (the pipeline worker truncates the loaded model's weights with the same code).
import { errorMetrics, type ErrorMetrics } from '../../core/formats';
import { roundMantissa, truncateMantissa } from '../../core/formats/truncate';
import { gaussianTensor } from './synthetic';

export const TRUNCATION_TENSOR = { n: 4096, std: 0.02, seed: 7 } as const;

export function truncationTensor(): Float32Array {
  return gaussianTensor(TRUNCATION_TENSOR.n, TRUNCATION_TENSOR.std, TRUNCATION_TENSOR.seed);
}

export {
  fp32WithMantissa,
  reduceMantissa,
  roundMantissa,
  truncateMantissa,
  type MantissaMode,
} from '../../core/formats/truncate';

export interface TruncationPoint {
  keep: number;
  truncate: ErrorMetrics;
  round: ErrorMetrics;
}

export function truncationCurve(x: Float32Array): TruncationPoint[] {
  const out: TruncationPoint[] = [];
  for (let keep = 0; keep <= 23; keep++) {
    out.push({
      keep,
      truncate: errorMetrics(x, truncateMantissa(x, keep)),
      round: errorMetrics(x, roundMantissa(x, keep)),
    });
  }
  return out;
}

/** Least-squares slope of SQNR (dB) per kept bit over [from, to]. */
export function dbPerBit(
  curve: TruncationPoint[],
  from: number,
  to: number,
  pick: (p: TruncationPoint) => number,
): number {
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

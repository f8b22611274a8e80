// Quantization error metrics. Positions where the reference is NaN are skipped and counted;
// everything is accumulated in float64.

export interface ErrorMetrics {
  /** Mean squared error over the compared elements. */
  mse: number;
  /** Largest |reference - quantized|. */
  maxAbs: number;
  /** Signal-to-quantization-noise ratio 10·log10(Σx² / Σ(x-q)²) in dB (Infinity when exact). */
  sqnrDb: number;
  /** Elements compared (reference not NaN). */
  count: number;
  /** Reference elements that are NaN (skipped). */
  nanCount: number;
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
}

export function errorMetrics(reference: ArrayLike<number>, quantized: ArrayLike<number>): ErrorMetrics {
  checkLengths(reference, quantized);
  let se = 0;
  let signal = 0;
  let maxAbs = 0;
  let count = 0;
  let nanCount = 0;
  for (let i = 0; i < reference.length; i++) {
    const x = reference[i];
    if (x !== x) {
      nanCount++;
      continue;
    }
    const d = x - quantized[i];
    const ad = Math.abs(d);
    // Inf - Inf is NaN: an infinity kept as the same infinity is no error.
    const e = ad !== ad && x === quantized[i] ? 0 : ad;
    se += e * e;
    signal += x * x;
    if (e > maxAbs || e !== e) maxAbs = e !== e ? NaN : Math.max(maxAbs, e);
    count++;
  }
  const mse = count ? se / count : 0;
  const sqnrDb = se === 0 ? Infinity : 10 * Math.log10(signal / se);
  return { mse, maxAbs, sqnrDb, count, nanCount };
}

export function mse(reference: ArrayLike<number>, quantized: ArrayLike<number>): number {
  return errorMetrics(reference, quantized).mse;
}

export function maxAbsError(reference: ArrayLike<number>, quantized: ArrayLike<number>): number {
  return errorMetrics(reference, quantized).maxAbs;
}

export function sqnrDb(reference: ArrayLike<number>, quantized: ArrayLike<number>): number {
  return errorMetrics(reference, quantized).sqnrDb;
}

/** Σ w_i (x_i - q_i)² over non-NaN references (the Fisher-weighted perturbation when w = F). */
export function weightedSse(
  reference: ArrayLike<number>,
  quantized: ArrayLike<number>,
  weights: ArrayLike<number>,
  start = 0,
  end = reference.length,
): number {
  checkLengths(reference, quantized);
  checkLengths(reference, weights);
  let s = 0;
  for (let i = start; i < end; i++) {
    const x = reference[i];
    if (x !== x) continue;
    const d = x - quantized[i];
    s += weights[i] * d * d;
  }
  return s;
}

/** Weighted MSE: Σ w_i (x_i - q_i)² / n over non-NaN references (equals the MSE when w ≡ 1). */
export function weightedMse(
  reference: ArrayLike<number>,
  quantized: ArrayLike<number>,
  weights: ArrayLike<number>,
): number {
  let n = 0;
  for (let i = 0; i < reference.length; i++) if (reference[i] === reference[i]) n++;
  return n ? weightedSse(reference, quantized, weights) / n : 0;
}

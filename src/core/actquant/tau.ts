// Calibration of the activation threshold τ: given the block scores of calibration activations, pick
// τ so that a share p_a of blocks has S > τ (FP8). τ is one of the scores (float32), so the graph,
// comparing float32 scores with it, reproduces the count exactly on the calibration set. When scores
// tie across the boundary no threshold splits them: τ then takes the achievable count nearest to
// round(p_a·M) (the smaller one on a tie), and the result says what was achieved.

export interface TauChoice {
  /** FP8 when score > tau (+Infinity: none; -Infinity: all). */
  tau: number;
  /** Blocks the rule puts in FP8 on the calibration scores. */
  fp8: number;
  /** Blocks considered (NaN scores included: they are never FP8). */
  total: number;
  /** The count asked for: round(share · total). */
  requested: number;
  /** fp8 / total. */
  achievedShare: number;
}

/** τ for a share in [0, 1] of the given scores (any number of arrays, pooled). */
export function tauForShare(scores: readonly ArrayLike<number>[], share: number): TauChoice {
  if (!(share >= 0 && share <= 1)) throw new Error(`activation FP8 share must be in [0, 1], got ${share}`);
  let total = 0;
  let finite = 0;
  for (const s of scores) total += s.length;
  const pooled = new Float32Array(total);
  for (const s of scores)
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v === v) pooled[finite++] = v; // NaN scores never compare > tau
    }
  const sorted = pooled.subarray(0, finite).sort(); // ascending; the k-th largest is sorted[finite - k]
  const requested = Math.round(share * total);
  const result = (tau: number, fp8: number): TauChoice => ({ tau, fp8, total, requested, achievedShare: total ? fp8 / total : 0 });
  if (requested === 0 || finite === 0) return result(Infinity, 0);
  if (requested >= finite) return result(-Infinity, finite);
  const kth = sorted[finite - requested]; // lowest score that should be FP8
  const next = sorted[finite - requested - 1]; // highest score that should stay NVFP4
  if (kth > next) return result(next, requested);
  // A tie at the boundary: count strictly above the tied value, or all of it.
  const v = kth;
  let above = 0; // #{S > v}
  let lo = 0;
  let hi = finite;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  above = finite - lo;
  lo = 0;
  hi = finite;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] >= v) hi = mid;
    else lo = mid + 1;
  }
  const atOrAbove = finite - lo;
  const below = lo > 0 ? sorted[lo - 1] : -Infinity; // highest score under the tie
  if (atOrAbove - requested < requested - above) return result(below, atOrAbove);
  return result(v, above);
}

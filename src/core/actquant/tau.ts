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

/**
 * The scores τ is placed on, seen only through their order: one pooled sorted array (tauForShare) or one
 * sorted array per site searched together (shareIndex.ts, which answers every slider move without a sort).
 */
export interface OrderedScores {
  /** Blocks considered, NaN scores included. */
  total: number;
  /** Blocks whose score is not NaN. */
  finite: number;
  /** The r-th smallest non-NaN score (0-based). */
  at(r: number): number;
  /** #{S < v} among the non-NaN scores. */
  countBelow(v: number): number;
  /** #{S ≤ v} among the non-NaN scores. */
  countAtMost(v: number): number;
}

/** τ for a share in [0, 1] of the given scores (any number of arrays, pooled). */
export function tauForShare(scores: readonly ArrayLike<number>[], share: number): TauChoice {
  checkTauShare(share);
  let total = 0;
  let finite = 0;
  for (const s of scores) total += s.length;
  const pooled = new Float32Array(total);
  for (const s of scores)
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v === v) pooled[finite++] = v; // NaN scores never compare > tau
    }
  const sorted = pooled.subarray(0, finite).sort(); // ascending
  const n = finite;
  // First index whose score is not below v (strict: > v when `after`).
  const bound = (v: number, after: boolean) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after ? sorted[mid] > v : sorted[mid] >= v) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return tauOnOrdered(
    { total, finite, at: (r) => sorted[r], countBelow: (v) => bound(v, false), countAtMost: (v) => bound(v, true) },
    share,
  );
}

function checkTauShare(share: number): void {
  if (!(share >= 0 && share <= 1)) throw new Error(`activation FP8 share must be in [0, 1], got ${share}`);
}

/** The τ rule on scores known by their order (see the file comment for the tie rule). */
export function tauOnOrdered(o: OrderedScores, share: number): TauChoice {
  checkTauShare(share);
  const { total, finite } = o;
  const requested = Math.round(share * total);
  const result = (tau: number, fp8: number): TauChoice => ({
    tau,
    fp8,
    total,
    requested,
    achievedShare: total ? fp8 / total : 0,
  });
  if (requested === 0 || finite === 0) return result(Infinity, 0);
  if (requested >= finite) return result(-Infinity, finite);
  const kth = o.at(finite - requested); // lowest score that should be FP8
  const next = o.at(finite - requested - 1); // highest score that should stay NVFP4
  if (kth > next) return result(next, requested);
  // A tie at the boundary: count strictly above the tied value, or all of it.
  const v = kth;
  const above = finite - o.countAtMost(v); // #{S > v}
  const lo = o.countBelow(v);
  const atOrAbove = finite - lo;
  const below = lo > 0 ? o.at(lo - 1) : -Infinity; // highest score under the tie
  if (atOrAbove - requested < requested - above) return result(below, atOrAbove);
  return result(v, above);
}

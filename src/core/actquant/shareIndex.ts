// The activation budget answered on the UI thread: each site's calibration activation scores sorted once,
// then τ for any share by the live rule (tauOnOrdered, the very code tauForShare runs on the pooled scores)
// and each site's realised FP8 share, #{S > τ} / blocks, by binary search. A slider move costs
// O(32 · sites · log blocks) instead of a sort of every calibration score.
import { tauOnOrdered, type OrderedScores, type TauChoice } from './tau.ts';

/** What travels from the worker (structured clone): the sorted non-NaN scores and the block count per site. */
export interface ShareIndexParts {
  sorted: Float32Array[];
  blocks: number[];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Float32 → uint32 with the same order (negative floats flipped, positive ones above them). */
function keyOf(v: number): number {
  f32[0] = v;
  const b = u32[0];
  return (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
}
function valueOf(k: number): number {
  u32[0] = k & 0x80000000 ? k & 0x7fffffff : ~k >>> 0;
  return f32[0];
}

/** #{a[i] ≤ v} (after) or #{a[i] < v} in an ascending array. */
function bound(a: Float32Array, v: number, after: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after ? a[mid] > v : a[mid] >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export class ActivationShareIndex implements OrderedScores {
  readonly total: number;
  readonly finite: number;
  private readonly lo: number;
  private readonly hi: number;

  private constructor(
    /** Per site, its non-NaN scores ascending (−0 stored as +0: they compare equal with τ). */
    readonly sorted: Float32Array[],
    /** Per site, its blocks (NaN scores included: they count but are never FP8). */
    readonly blocks: number[],
  ) {
    this.total = blocks.reduce((a, b) => a + b, 0);
    this.finite = sorted.reduce((a, s) => a + s.length, 0);
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of sorted)
      if (s.length) {
        lo = Math.min(lo, s[0]);
        hi = Math.max(hi, s[s.length - 1]);
      }
    this.lo = this.finite ? keyOf(lo) : 0;
    this.hi = this.finite ? keyOf(hi) : 0;
  }

  /** Sorts each site's scores once (tensor order; each array is [tokens, blocks per row], any layout). */
  static fromScores(scores: readonly ArrayLike<number>[]): ActivationShareIndex {
    return ActivationShareIndex.fromParts({
      sorted: scores.map(ActivationShareIndex.sortScores),
      blocks: scores.map((s) => s.length),
    });
  }

  /** One site's part: its non-NaN scores ascending, −0 as +0. */
  static sortScores(s: ArrayLike<number>): Float32Array {
    const out = new Float32Array(s.length);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v === v) out[n++] = v === 0 ? 0 : v;
    }
    return out.slice(0, n).sort();
  }

  static fromParts(p: ShareIndexParts): ActivationShareIndex {
    if (p.sorted.length !== p.blocks.length) throw new Error('activation share index: one block count per site');
    return new ActivationShareIndex(p.sorted, p.blocks);
  }

  parts(): ShareIndexParts {
    return { sorted: this.sorted, blocks: this.blocks };
  }

  countAtMost(v: number): number {
    let n = 0;
    for (const s of this.sorted) n += bound(s, v, true);
    return n;
  }

  countBelow(v: number): number {
    let n = 0;
    for (const s of this.sorted) n += bound(s, v, false);
    return n;
  }

  /** The r-th smallest score over every site: the least float32 v with #{S ≤ v} > r (a search on its bits). */
  at(r: number): number {
    let lo = this.lo;
    let hi = this.hi;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.countAtMost(valueOf(mid)) > r) hi = mid;
      else lo = mid + 1;
    }
    return valueOf(lo);
  }

  /** τ for an activation budget, pooled over every site (the pipeline's 'global' granularity). */
  tau(share: number): TauChoice {
    return tauOnOrdered(this, share);
  }

  /** τ and each site's realised FP8 share on the calibration activations. */
  answer(share: number): { tau: TauChoice; shares: Float64Array } {
    const tau = this.tau(share);
    const shares = new Float64Array(this.sorted.length);
    this.sorted.forEach((s, i) => {
      const fp8 = s.length - bound(s, tau.tau, true);
      shares[i] = this.blocks[i] ? fp8 / this.blocks[i] : 0;
    });
    return { tau, shares };
  }
}

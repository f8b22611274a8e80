// Histograms of block scores (docs/profile-format.md §4) and the budget answer they give within the stated
// bound. Bins are read off the IEEE-754 binary64 bit pattern (exponent and the top m mantissa bits), so every
// producer bins identically without a log, and a bin spans a score ratio of at most 1 + 2^-m.
//
// Columns of a row: 0 = underflow (s ≤ 0 or below the lowest bin), 1..B regular, B+1 overflow (+Inf too),
// B+2 NaN. Rank order, most sensitive first: B+2, B+1, …, 0 — the live sort's order (NaN first).
import type { HistogramSpec } from './format.ts';

export const histogramColumns = (spec: HistogramSpec): number => spec.bins + 3;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = (() => {
  f64[0] = 1;
  return u32[1] === 0x3ff00000 ? 1 : 0;
})();

/** Column of one score. */
export function histogramColumn(s: number, spec: HistogramSpec): number {
  if (s !== s) return spec.bins + 2;
  if (!(s > 0)) return 0;
  f64[0] = s;
  const key = u32[HI] >>> (20 - spec.mantissaBits);
  const j = key - spec.keyMin;
  return j < 0 ? 0 : j >= spec.bins ? spec.bins + 1 : 1 + j;
}

/** 1 + key(s) − keyMin for a positive finite score, without clamping to the spec's range. */
export function histogramColumnUnbounded(s: number, spec: HistogramSpec): number {
  f64[0] = s;
  return 1 + (u32[HI] >>> (20 - spec.mantissaBits)) - spec.keyMin;
}

/** Smallest score of a regular column (1..B); 0 for the underflow column, the overflow edge for B+1. */
export function columnLowerEdge(col: number, spec: HistogramSpec): number {
  if (col <= 0) return 0;
  if (col > spec.bins + 1) return NaN;
  const key = spec.keyMin + col - 1;
  f64[0] = 0;
  u32[HI] = key << (20 - spec.mantissaBits);
  return f64[0];
}

/** Adds the scores to one histogram row (counts), in place. Fast path over the float64 bit pattern. */
export function accumulateHistogram(
  scores: ArrayLike<number>,
  spec: HistogramSpec,
  row: Float64Array | Int32Array,
): void {
  const { bins, keyMin } = spec;
  const shift = 20 - spec.mantissaBits;
  const n = scores.length;
  const CH = 65536;
  const buf = new Float64Array(Math.min(CH, n));
  const words = new Uint32Array(buf.buffer);
  for (let o = 0; o < n; o += CH) {
    const m = Math.min(CH, n - o);
    for (let i = 0; i < m; i++) buf[i] = scores[o + i];
    for (let i = 0; i < m; i++) {
      const s = buf[i];
      let col: number;
      if (s !== s) col = bins + 2;
      else if (!(s > 0)) col = 0;
      else {
        const j = (words[2 * i + HI] >>> shift) - keyMin;
        col = j < 0 ? 0 : j >= bins ? bins + 1 : 1 + j;
      }
      row[col]++;
    }
  }
}

/** A histogram of one score array (a fresh row). */
export function scoreHistogram(scores: ArrayLike<number>, spec: HistogramSpec): Int32Array {
  const row = new Float64Array(histogramColumns(spec));
  accumulateHistogram(scores, spec, row);
  const out = new Int32Array(row.length);
  for (let i = 0; i < row.length; i++) {
    if (row[i] > 0x7fffffff) throw new Error(`histogram bin ${i} holds ${row[i]} scores, above the format's 2^31 - 1`);
    out[i] = row[i];
  }
  return out;
}

export interface HistogramAnswer {
  /** Requested count k = round(p·N) and total N. */
  k: number;
  totalBlocks: number;
  /** FP8 blocks per tensor (Σ = k exactly). */
  fp8Counts: Float64Array;
  /** Per tensor: its blocks in the boundary bin, the bound on |fp8 − exact fp8|. */
  slack: Float64Array;
  /** Boundary column j* (−1 when k = 0). */
  boundary: number;
  /** Lower edge of the boundary bin (the threshold is within one bin of it); +Infinity when k = 0. */
  thresholdLowerEdge: number;
}

/**
 * Model-wide index over per-tensor histogram rows [T, C]: suffix sums so a budget answer costs a binary
 * search over columns plus O(T) for the counts and O(T log T) for the apportionment of the boundary bin.
 */
export class HistogramIndex {
  readonly tensors: number;
  readonly columns: number;
  /** Per-tensor totals. */
  readonly totals: Float64Array;
  readonly totalBlocks: number;
  /** Global count at or above column c in rank order (c..C−1), length C + 1 (last 0). */
  private readonly globalAtOrAbove: Float64Array;
  /** Per-tensor count strictly above column c, [T, C]. */
  private readonly above: Float64Array;

  constructor(
    readonly rows: Int32Array,
    tensors: number,
    readonly spec: HistogramSpec,
  ) {
    const C = histogramColumns(spec);
    if (rows.length !== tensors * C) throw new Error(`histogram has ${rows.length} counts, expected ${tensors} x ${C}`);
    this.tensors = tensors;
    this.columns = C;
    this.totals = new Float64Array(tensors);
    this.above = new Float64Array(tensors * C);
    this.globalAtOrAbove = new Float64Array(C + 1);
    for (let t = 0; t < tensors; t++) {
      let acc = 0;
      for (let c = C - 1; c >= 0; c--) {
        this.above[t * C + c] = acc;
        const h = rows[t * C + c];
        if (h < 0) throw new Error(`histogram row ${t} has a negative count in column ${c}`);
        acc += h;
        this.globalAtOrAbove[c] += h;
      }
      this.totals[t] = acc;
    }
    for (let c = C - 1; c >= 0; c--) this.globalAtOrAbove[c] += this.globalAtOrAbove[c + 1];
    this.totalBlocks = this.globalAtOrAbove[0];
  }

  /** FP8 counts for a share p of all blocks (k = round(p·N)), within the bound of the format. */
  answerBudget(budget: number): HistogramAnswer {
    if (!(budget >= 0 && budget <= 1)) throw new Error(`budget must be in [0, 1], got ${budget}`);
    return this.answerCount(Math.round(budget * this.totalBlocks));
  }

  answerCount(k: number): HistogramAnswer {
    const N = this.totalBlocks;
    if (!Number.isInteger(k) || k < 0 || k > N)
      throw new Error(`FP8 block count must be an integer in [0, ${N}], got ${k}`);
    const T = this.tensors;
    const C = this.columns;
    const fp8Counts = new Float64Array(T);
    const slack = new Float64Array(T);
    if (k === 0) return { k, totalBlocks: N, fp8Counts, slack, boundary: -1, thresholdLowerEdge: Infinity };
    // Largest column j with globalAtOrAbove[j] >= k (globalAtOrAbove is non-increasing in j).
    let lo = 0;
    let hi = C - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.globalAtOrAbove[mid] >= k) lo = mid;
      else hi = mid - 1;
    }
    const j = lo;
    const A = this.globalAtOrAbove[j + 1];
    const H = this.globalAtOrAbove[j] - A;
    const r = k - A;
    const rema = new Float64Array(T);
    let given = 0;
    for (let t = 0; t < T; t++) {
      const h = this.rows[t * C + j];
      slack[t] = h;
      let q: number;
      if (r === H) {
        q = h;
        rema[t] = 0;
      } else if (r * h <= Number.MAX_SAFE_INTEGER) {
        q = Math.floor((r * h) / H);
        rema[t] = r * h - q * H;
      } else {
        const num = BigInt(r) * BigInt(h);
        const bq = num / BigInt(H);
        q = Number(bq);
        rema[t] = Number(num - bq * BigInt(H));
      }
      fp8Counts[t] = this.above[t * C + j] + q;
      given += q;
    }
    if (given < r) {
      const idx = Array.from({ length: T }, (_, t) => t).filter((t) => slack[t] > 0);
      idx.sort((a, b) => rema[b] - rema[a] || a - b);
      for (let i = 0; i < r - given; i++) fp8Counts[idx[i]]++;
    }
    return { k, totalBlocks: N, fp8Counts, slack, boundary: j, thresholdLowerEdge: columnLowerEdge(j, this.spec) };
  }
}

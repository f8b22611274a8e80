// Calibration strategies: choose the clipping threshold (or clip ratio alpha = threshold / amax)
// that a quantizer's scale is computed from.
//   absmax      no clipping: threshold = max |x|
//   percentile  threshold = the p-th percentile of |x| (linear interpolation, like numpy)
//   clip search grid of ratios (1.00, 0.95, ..., 0.50), keep the one minimising (weighted) MSE of
//               the quantizer's own output; per tensor or independently per block
//   KL          TensorRT "saturate" entropy calibration: 2048-bin histogram of |x|; for each
//               candidate threshold i·width (i = levels..bins) the reference P is the histogram up
//               to i with the outliers folded into its last bin, Q is those i bins merged into
//               `levels` chunks and spread back over the chunk's non-empty bins; pick min KL(P‖Q).
import { blockRange, finiteAbsMax, type BlockLayout } from '../formats/layout.ts';

/** mse-sweep: NVFP4 only, every positive finite E4M3 block scale (formats/clipsearch.ts). */
export type ClipMethod =
  | { kind: 'none' }
  | { kind: 'mse' }
  | { kind: 'mse-sweep' }
  | { kind: 'kl' }
  | { kind: 'percentile'; p: number };

/** Parses a CLI/URL clip spec: none | mse | mse-sweep | kl | percentile:99.9 */
export function parseClipMethod(spec: string): ClipMethod {
  if (spec === 'none' || spec === 'absmax') return { kind: 'none' };
  if (spec === 'mse') return { kind: 'mse' };
  if (spec === 'mse-sweep') return { kind: 'mse-sweep' };
  if (spec === 'kl') return { kind: 'kl' };
  const m = /^percentile:(.+)$/.exec(spec);
  if (m) {
    const p = Number(m[1]);
    if (m[1].trim() === '' || !Number.isFinite(p) || p <= 0 || p > 100)
      throw new RangeError(`percentile must be a number in (0, 100], got "${m[1]}"`);
    return { kind: 'percentile', p };
  }
  throw new RangeError(
    `unknown clip method "${spec}" (use none, mse, mse-sweep, kl or percentile:P, e.g. percentile:99.9)`,
  );
}

export function absmaxThreshold(x: ArrayLike<number>): number {
  return finiteAbsMax(x);
}

/** p-th percentile (0 < p <= 100) of |x| over finite elements, linear interpolation between order statistics. */
export function percentileThreshold(x: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const a: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]);
    if (Number.isFinite(v)) a.push(v);
  }
  if (a.length === 0) return 0;
  const s = Float64Array.from(a).sort();
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export interface KlOptions {
  /** Histogram bins over [0, amax] (default 2048). */
  bins?: number;
  /** Quantization levels of the target magnitude grid (default 128: INT8). */
  levels?: number;
}

export interface KlResult {
  threshold: number;
  /** Number of histogram bins kept (threshold = binsKept · width). */
  binsKept: number;
  kl: number;
  /** KL divergence for each candidate binsKept = levels..bins. */
  curve: Float64Array;
  amax: number;
}

/** Moves a little mass (eps per empty bin) into empty bins so KL stays finite (as MXNet/TensorRT do). */
function smooth(p: Float64Array, eps = 1e-4): boolean {
  let zeros = 0;
  for (const v of p) if (v === 0) zeros++;
  const nonzeros = p.length - zeros;
  if (nonzeros === 0) return false;
  const eps1 = (eps * zeros) / nonzeros;
  for (let k = 0; k < p.length; k++) p[k] = p[k] === 0 ? eps : p[k] - eps1;
  return true;
}

export function klThreshold(x: ArrayLike<number>, options: KlOptions = {}): KlResult {
  const bins = options.bins ?? 2048;
  const levels = options.levels ?? 128;
  if (!Number.isInteger(bins) || !Number.isInteger(levels) || levels < 1 || bins < levels)
    throw new RangeError(`need integers bins >= levels >= 1, got bins ${bins}, levels ${levels}`);
  const amax = finiteAbsMax(x);
  if (amax === 0) return { threshold: 0, binsKept: bins, kl: 0, curve: new Float64Array(0), amax };
  const width = amax / bins;
  const hist = new Float64Array(bins);
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (!Number.isFinite(a)) continue;
    hist[Math.min(bins - 1, Math.floor(a / width))]++;
  }
  // suffix[i] = Σ hist[i..bins): the outliers clipped by a threshold at bin i
  const suffix = new Float64Array(bins + 1);
  for (let i = bins - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + hist[i];

  const curve = new Float64Array(bins - levels + 1);
  let best = Infinity;
  let bestI = bins;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  for (let i = levels; i <= bins; i++) {
    const P = p.subarray(0, i);
    const Q = q.subarray(0, i);
    P.set(hist.subarray(0, i));
    P[i - 1] += suffix[i];
    Q.fill(0);
    const chunk = i / levels;
    for (let j = 0; j < levels; j++) {
      const start = Math.floor(j * chunk);
      const end = j === levels - 1 ? i : Math.floor((j + 1) * chunk);
      let total = 0;
      let nonzero = 0;
      for (let k = start; k < end; k++) {
        total += hist[k];
        if (hist[k] !== 0) nonzero++;
      }
      if (nonzero === 0) continue;
      const v = total / nonzero;
      for (let k = start; k < end; k++) if (hist[k] !== 0) Q[k] = v;
    }
    normalize(P);
    normalize(Q);
    let kl: number;
    if (!smooth(Q) || !smooth(P)) kl = Infinity;
    else {
      normalize(P);
      normalize(Q);
      kl = 0;
      for (let k = 0; k < i; k++) if (P[k] > 0) kl += P[k] * Math.log(P[k] / Q[k]);
    }
    curve[i - levels] = kl;
    // Strict < keeps the first minimum; ties between a candidate and absmax go to absmax below.
    if (kl < best || (kl === best && i === bins)) {
      best = kl;
      bestI = i;
    }
  }
  return { threshold: bestI === bins ? amax : bestI * width, binsKept: bestI, kl: best, curve, amax };
}

function normalize(a: Float64Array): void {
  let s = 0;
  for (const v of a) s += v;
  if (s > 0) for (let k = 0; k < a.length; k++) a[k] /= s;
}

/** Default clip-ratio grid 1.00, 0.95, ..., 0.50 (DESIGN.md §3). */
export function defaultClipGrid(): number[] {
  return Array.from({ length: 11 }, (_, i) => Math.round((1 - 0.05 * i) * 100) / 100);
}

function withNoClip(grid: readonly number[]): number[] {
  for (const a of grid)
    if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`clip ratios must be positive, got ${a}`);
  return grid.includes(1) ? [...grid] : [1, ...grid];
}

export interface ClipSearchOptions {
  /** Candidate ratios; 1 (no clipping) is always tried first, so the result is never worse than it. */
  grid?: readonly number[];
  /** Per-element weights (e.g. Fisher information): objective Σ w (x − q)² instead of Σ (x − q)². */
  weights?: ArrayLike<number>;
}

export interface ClipSearchResult {
  alpha: number;
  objective: number;
  /** Objective for every ratio tried (mean over elements). */
  curve: { alpha: number; objective: number }[];
}

function objectiveOf(
  x: ArrayLike<number>,
  q: ArrayLike<number>,
  w: ArrayLike<number> | undefined,
  start: number,
  end: number,
): number {
  let s = 0;
  for (let i = start; i < end; i++) {
    const xi = x[i];
    if (xi !== xi) continue;
    const d = xi - q[i];
    s += (w ? w[i] : 1) * d * d;
  }
  return s;
}

/** Per-tensor clip-ratio search: quantizeAt(alpha) returns the dequantized tensor for ratio alpha. */
export function clipRatioSearch(
  x: ArrayLike<number>,
  quantizeAt: (alpha: number) => ArrayLike<number>,
  options: ClipSearchOptions = {},
): ClipSearchResult {
  const grid = withNoClip(options.grid ?? defaultClipGrid());
  const n = Math.max(1, x.length);
  const curve = grid.map((alpha) => ({
    alpha,
    objective: objectiveOf(x, quantizeAt(alpha), options.weights, 0, x.length) / n,
  }));
  let best = curve[0];
  for (const c of curve) if (c.objective < best.objective) best = c;
  return { alpha: best.alpha, objective: best.objective, curve };
}

export interface BlockClipResult {
  /** Chosen ratio per block. */
  clip: Float32Array;
  /** Objective (Σ w·err² over the block) at the chosen ratio and without clipping. */
  objective: Float64Array;
  baseline: Float64Array;
}

/** Independent clip-ratio search for every block of a block quantizer. Blocks do not interact
 *  (given a fixed tensor scale), so running the whole tensor at one ratio per grid point and keeping
 *  each block's best ratio is exact. run(clip) returns the dequantized tensor for per-block ratios. */
export function blockClipSearch(
  x: ArrayLike<number>,
  layout: BlockLayout,
  run: (clip: Float32Array) => ArrayLike<number>,
  options: ClipSearchOptions = {},
): BlockClipResult {
  const grid = withNoClip(options.grid ?? defaultClipGrid());
  const nb = layout.blocks;
  const clip = new Float32Array(nb).fill(1);
  const objective = new Float64Array(nb).fill(Infinity);
  const baseline = new Float64Array(nb);
  const ratios = new Float32Array(nb);
  for (const alpha of grid) {
    ratios.fill(alpha);
    const q = run(ratios);
    for (let b = 0; b < nb; b++) {
      const [s, e] = blockRange(layout, b);
      const o = objectiveOf(x, q, options.weights, s, e);
      if (alpha === 1) baseline[b] = o;
      if (o < objective[b]) {
        objective[b] = o;
        clip[b] = alpha;
      }
    }
  }
  return { clip, objective, baseline };
}

/** Per-block ratios that clip every block at a tensor-level threshold: min(1, threshold / block amax). */
export function ratiosForThreshold(x: ArrayLike<number>, layout: BlockLayout, threshold: number): Float32Array {
  const out = new Float32Array(layout.blocks);
  for (let b = 0; b < layout.blocks; b++) {
    const [s, e] = blockRange(layout, b);
    const amax = finiteAbsMax(x, s, e);
    out[b] = amax > threshold && amax > 0 ? threshold / amax : 1;
  }
  return out;
}

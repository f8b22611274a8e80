// Weight quantizers of FGMP (DESIGN.md §2–3): for one linear weight [rows, cols], both fake-quantized
// versions of every 16-element block — Q_lo (NVFP4, per-block block scale chosen by a clip search) and
// Q_hi (FP8 E4M3) — plus the chosen ratios and the clipping curve. The rounding is the formats core's;
// the heavy lifting runs in its wasm SIMD kernels (formats/fastquant.ts, bit-identical to the TS).
// Clip modes (formats/clipsearch.ts has the exact objective, float32 with a fixed summation order):
//   none           alpha = 1
//   mse | fisher   best ratio of the grid per block (plain or Fisher-weighted error); ties keep the first
//   mse-sweep | fisher-sweep   best of every positive finite E4M3 block scale (issue 14's ModelOpt-style
//                  sweep, 126 codes around the amax-derived one); never worse than the grid or none.
import {
  E4M3_TABLE,
  finiteAbsMax,
  finiteAbsMaxFast,
  fp8Scale,
  nvfp4ClipSearch,
  nvfp4TensorScale,
  quantizeE4M3Fast,
  quantizeNvfp4Fast,
} from '../formats/index.ts';
import { blockGrid, checkTensorLength, BLOCK_SIZE, type BlockGrid } from './blocks';

/** Clip ratios searched, 1.00 down to 0.50 in steps of 0.05 (11 values). 1.00 first: no clipping wins ties. */
export const CLIP_GRID: readonly number[] = Array.from({ length: 11 }, (_, i) => (100 - 5 * i) / 100);

/** How each NVFP4 block's scale is chosen (see the header). */
export type ClipMode = 'none' | 'mse' | 'fisher' | 'mse-sweep' | 'fisher-sweep';
export const CLIP_MODES: readonly ClipMode[] = ['none', 'mse', 'fisher', 'mse-sweep', 'fisher-sweep'];

/** Whether a clip mode's objective is Fisher-weighted (and so needs the Fisher). */
export function clipNeedsFisher(mode: ClipMode): boolean {
  return mode === 'fisher' || mode === 'fisher-sweep';
}

export interface WeightQuantOptions {
  clip?: ClipMode;
  /** Per-element Fisher of the weight (same shape). Required for clip 'fisher'; used by the curves. */
  fisher?: ArrayLike<number>;
  /** Clip ratios to search (each in (0, 1]); default CLIP_GRID. Must contain 1 to guarantee "never worse than none". */
  grid?: readonly number[];
  /** FP8 scale granularity: one per tensor (amax/448, default) or one per output row. */
  fp8Scale?: 'tensor' | 'row';
  /**
   * Compute the whole-tensor clipping curve (default true). false: `curve` is null and the search may
   * skip grid ratios a bound rules out (the same choices; clippingCurve gives the curve on demand).
   */
  curve?: boolean;
}

export interface ClipCurve {
  grid: readonly number[];
  /** Mean over elements of (v − Q_lo(v; α))², per grid ratio. */
  mse: Float64Array;
  /** Mean over elements of F·(v − Q_lo(v; α))², per grid ratio (zeros when no Fisher was given). */
  fisherMse: Float64Array;
}

export interface QuantizedWeight {
  rows: number;
  cols: number;
  grid: BlockGrid;
  clipMode: ClipMode;
  clipGrid: readonly number[];
  /** NVFP4 fake-quantized values with the chosen per-block clip ratios. */
  qLo: Float32Array;
  /** FP8 E4M3 fake-quantized values. */
  qHi: Float32Array;
  /** Chosen clip ratio per block (row-major). */
  clipRatio: Float32Array;
  /** FP32 tensor scale of NVFP4: amax / (6·448) of the unclipped tensor. */
  nvfp4TensorScale: number;
  /** FP8 scales: length 1 (per tensor) or one per row. */
  fp8Scales: Float32Array;
  /** Whole-tensor clipping curve (every block at the same ratio); null for clip 'none' or with options.curve false. */
  curve: ClipCurve | null;
}

function checkGrid(grid: readonly number[]): void {
  if (grid.length === 0) throw new Error('clip grid is empty');
  for (const a of grid) if (!(a > 0 && a <= 1)) throw new Error(`clip ratios must be in (0, 1], got ${a}`);
}

/**
 * FP8 E4M3 fake quantization of a weight [rows, cols] with one scale amax/448 per tensor (default)
 * or per row — the formats core's quantizeE4M3 (through its kernel).
 */
export function fakeQuantFp8(
  w: Float32Array,
  rows: number,
  cols: number,
  granularity: 'tensor' | 'row' = 'tensor',
  out?: Float32Array,
): { values: Float32Array; scales: Float32Array } {
  checkTensorLength('weight', w, blockGrid(rows, cols));
  const { values, scales } = quantizeE4M3Fast(w, { rowLength: cols, perRow: granularity === 'row', out });
  return { values, scales };
}

/** Both fake-quantized versions of one weight tensor, with the per-block clip search. */
export function quantizeWeight(
  w: Float32Array,
  rows: number,
  cols: number,
  options: WeightQuantOptions = {},
): QuantizedWeight {
  const grid = blockGrid(rows, cols);
  checkTensorLength('weight', w, grid);
  const mode = options.clip ?? 'none';
  if (!CLIP_MODES.includes(mode)) throw new Error(`unknown clip mode "${mode}" (${CLIP_MODES.join(', ')})`);
  const fisher = options.fisher;
  if (fisher) checkTensorLength('Fisher', fisher, grid);
  if (clipNeedsFisher(mode) && !fisher) throw new Error(`clip mode "${mode}" needs the weight Fisher`);
  const clipGrid = options.grid ?? CLIP_GRID;
  checkGrid(clipGrid);
  // One amax pass for both tensor scales (NVFP4 amax/2688, FP8 amax/448).
  const amax = finiteAbsMaxFast(w);
  const tensorScale = nvfp4TensorScale(amax);
  const granularity = options.fp8Scale ?? 'tensor';
  const { values: qHi, scales: fp8Scales } =
    granularity === 'tensor'
      ? quantizeE4M3Fast(w, { rowLength: cols, scale: fp8Scale(amax), codes: false })
      : fakeQuantFp8(w, rows, cols, granularity);
  const clipRatio = new Float32Array(grid.blockCount);

  if (mode === 'none') {
    clipRatio.fill(1);
    const qLo = quantizeNvfp4Fast(w, { rowLength: cols, tensorScale, codes: false }).values;
    return {
      rows,
      cols,
      grid,
      clipMode: mode,
      clipGrid,
      qLo,
      qHi,
      clipRatio,
      nvfp4TensorScale: tensorScale,
      fp8Scales,
      curve: null,
    };
  }

  const f32Fisher = fisher ? (fisher instanceof Float32Array ? fisher : Float32Array.from(fisher)) : undefined;
  const r = nvfp4ClipSearch(w, cols, tensorScale, {
    fisher: f32Fisher,
    amax,
    codes: false,
    grid: clipGrid,
    fisherObjective: clipNeedsFisher(mode),
    sweep: mode.endsWith('-sweep'),
    curve: options.curve !== false,
  });
  const alphas = Float32Array.from(clipGrid);
  let b = 0;
  for (let row = 0; row < rows; row++)
    for (let c = 0; c < grid.blocksPerRow; c++, b++) {
      const g = r.gridIndex[b];
      if (g !== 255) clipRatio[b] = alphas[g];
      else {
        // A sweep choice: the ratio of the chosen block scale to the amax-derived one, amax / 6.
        const start = row * cols + c * BLOCK_SIZE;
        const amax = finiteAbsMax(w, start, Math.min(start + BLOCK_SIZE, (row + 1) * cols));
        clipRatio[b] = amax > 0 ? (E4M3_TABLE[r.scaleCodes[b]] * tensorScale * 6) / amax : 1;
      }
    }
  const n = rows * cols;
  const mse = Float64Array.from(r.curveMse, (v) => v / n);
  const fisherMse = Float64Array.from(r.curveFisher, (v) => v / n);
  return {
    rows,
    cols,
    grid,
    clipMode: mode,
    clipGrid,
    qLo: r.values,
    qHi,
    clipRatio,
    nvfp4TensorScale: tensorScale,
    fp8Scales,
    curve: options.curve !== false ? { grid: clipGrid, mse, fisherMse } : null,
  };
}

/**
 * Clipping curve of a whole tensor (every block at the same ratio) or of one block (`block` = its
 * row-major index), with the tensor's own NVFP4 tensor scale.
 */
export function clippingCurve(
  w: Float32Array,
  rows: number,
  cols: number,
  options: { fisher?: ArrayLike<number>; grid?: readonly number[]; block?: number } = {},
): ClipCurve {
  const grid = blockGrid(rows, cols);
  checkTensorLength('weight', w, grid);
  const fisher = options.fisher;
  if (fisher) checkTensorLength('Fisher', fisher, grid);
  const clipGrid = options.grid ?? CLIP_GRID;
  checkGrid(clipGrid);
  const tensorScale = nvfp4TensorScale(finiteAbsMaxFast(w));
  let start = 0;
  let end = w.length;
  let rowLength = cols;
  if (options.block !== undefined) {
    const b = options.block;
    if (!Number.isInteger(b) || b < 0 || b >= grid.blockCount)
      throw new Error(`block ${b} out of range (0..${grid.blockCount - 1})`);
    const r = Math.floor(b / grid.blocksPerRow);
    const c = b - r * grid.blocksPerRow;
    start = r * cols + c * BLOCK_SIZE;
    end = Math.min(start + BLOCK_SIZE, (r + 1) * cols);
    rowLength = end - start;
  }
  const x = w.subarray(start, end);
  const f = fisher ? Float32Array.from({ length: x.length }, (_, i) => fisher[start + i]) : undefined;
  // The search's own curve sums (the same objective as quantizeWeight), divided by the element count.
  const r = nvfp4ClipSearch(x, rowLength, tensorScale, {
    fisher: f,
    grid: clipGrid,
    fisherObjective: false,
    sweep: false,
  });
  return {
    grid: clipGrid,
    mse: Float64Array.from(r.curveMse, (v) => v / x.length),
    fisherMse: Float64Array.from(r.curveFisher, (v) => v / x.length),
  };
}

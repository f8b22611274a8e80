// Weight quantizers of FGMP (DESIGN.md §2–3): for one linear weight [rows, cols], both fake-quantized
// versions of every 16-element block — Q_lo (NVFP4, per-block clip ratio chosen from a grid) and
// Q_hi (FP8 E4M3) — plus the chosen ratios and the clipping curves. The element and scale rounding is
// the formats core's (quantizeNvfp4, quantizeE4M3); this file only chooses clip ratios and keeps results.
import { finiteAbsMax, nvfp4TensorScale, quantizeE4M3, quantizeNvfp4 } from '../formats/index.ts';
import { blockGrid, checkTensorLength, BLOCK_SIZE, type BlockGrid } from './blocks';

/** Clip ratios searched, 1.00 down to 0.50 in steps of 0.05 (11 values). 1.00 first: no clipping wins ties. */
export const CLIP_GRID: readonly number[] = Array.from({ length: 11 }, (_, i) => (100 - 5 * i) / 100);

/** How each NVFP4 block's clip ratio is chosen: none (α = 1), plain MSE, or Fisher-weighted MSE. */
export type ClipMode = 'none' | 'mse' | 'fisher';
export const CLIP_MODES: readonly ClipMode[] = ['none', 'mse', 'fisher'];

export interface WeightQuantOptions {
  clip?: ClipMode;
  /** Per-element Fisher of the weight (same shape). Required for clip 'fisher'; used by the curves. */
  fisher?: ArrayLike<number>;
  /** Clip ratios to search (each in (0, 1]); default CLIP_GRID. Must contain 1 to guarantee "never worse than none". */
  grid?: readonly number[];
  /** FP8 scale granularity: one per tensor (amax/448, default) or one per output row. */
  fp8Scale?: 'tensor' | 'row';
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
  /** Whole-tensor clipping curve (every block at the same ratio); null for clip 'none'. */
  curve: ClipCurve | null;
}

function checkGrid(grid: readonly number[]): void {
  if (grid.length === 0) throw new Error('clip grid is empty');
  for (const a of grid) if (!(a > 0 && a <= 1)) throw new Error(`clip ratios must be in (0, 1], got ${a}`);
}

/**
 * FP8 E4M3 fake quantization of a weight [rows, cols] with one scale amax/448 per tensor (default)
 * or per row — the formats core's quantizeE4M3.
 */
export function fakeQuantFp8(w: Float32Array, rows: number, cols: number, granularity: 'tensor' | 'row' = 'tensor', out?: Float32Array): { values: Float32Array; scales: Float32Array } {
  checkTensorLength('weight', w, blockGrid(rows, cols));
  const { values, scales } = quantizeE4M3(w, { rowLength: cols, perRow: granularity === 'row', out });
  return { values, scales };
}

/** Both fake-quantized versions of one weight tensor, with the per-block clip search. */
export function quantizeWeight(w: Float32Array, rows: number, cols: number, options: WeightQuantOptions = {}): QuantizedWeight {
  const grid = blockGrid(rows, cols);
  checkTensorLength('weight', w, grid);
  const mode = options.clip ?? 'none';
  if (!['none', 'mse', 'fisher'].includes(mode)) throw new Error(`unknown clip mode "${mode}" (none, mse, fisher)`);
  const fisher = options.fisher;
  if (fisher) checkTensorLength('Fisher', fisher, grid);
  if (mode === 'fisher' && !fisher) throw new Error('clip mode "fisher" needs the weight Fisher');
  const clipGrid = options.grid ?? CLIP_GRID;
  checkGrid(clipGrid);
  const tensorScale = nvfp4TensorScale(finiteAbsMax(w));
  const { values: qHi, scales: fp8Scales } = fakeQuantFp8(w, rows, cols, options.fp8Scale ?? 'tensor');
  const clipRatio = new Float32Array(grid.blockCount);

  if (mode === 'none') {
    clipRatio.fill(1);
    const qLo = quantizeNvfp4(w, { rowLength: cols, tensorScale, blockSize: BLOCK_SIZE }).values;
    return { rows, cols, grid, clipMode: mode, clipGrid, qLo, qHi, clipRatio, nvfp4TensorScale: tensorScale, fp8Scales, curve: null };
  }

  const qLo = new Float32Array(rows * cols);
  const best = new Float64Array(grid.blockCount).fill(Infinity);
  const alphas = new Float32Array(grid.blockCount);
  const candidate = new Float32Array(rows * cols);
  const mse = new Float64Array(clipGrid.length);
  const fisherMse = new Float64Array(clipGrid.length);
  const n = rows * cols;
  for (let g = 0; g < clipGrid.length; g++) {
    const alpha = clipGrid[g];
    alphas.fill(alpha);
    quantizeNvfp4(w, { rowLength: cols, tensorScale, blockSize: BLOCK_SIZE, clip: alphas, out: candidate });
    let sumSq = 0;
    let sumF = 0;
    let b = 0;
    for (let r = 0; r < rows; r++) {
      const rowStart = r * cols;
      for (let c = 0; c < grid.blocksPerRow; c++, b++) {
        const start = rowStart + c * BLOCK_SIZE;
        const end = Math.min(start + BLOCK_SIZE, rowStart + cols);
        let e = 0;
        let ef = 0;
        for (let i = start; i < end; i++) {
          const d = w[i] - candidate[i];
          e += d * d;
          if (fisher) ef += fisher[i] * d * d;
        }
        sumSq += e;
        sumF += ef;
        const objective = mode === 'fisher' ? ef : e;
        // Strictly better only: the first ratio (1.00 in the default grid) wins ties.
        if (objective < best[b] || (g === 0 && objective !== objective)) {
          best[b] = objective;
          clipRatio[b] = alpha;
          qLo.set(candidate.subarray(start, end), start);
        }
      }
    }
    mse[g] = sumSq / n;
    fisherMse[g] = sumF / n;
  }
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
    curve: { grid: clipGrid, mse, fisherMse },
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
  const tensorScale = nvfp4TensorScale(finiteAbsMax(w));
  let start = 0;
  let end = w.length;
  let rowLength = cols;
  if (options.block !== undefined) {
    const b = options.block;
    if (!Number.isInteger(b) || b < 0 || b >= grid.blockCount) throw new Error(`block ${b} out of range (0..${grid.blockCount - 1})`);
    const r = Math.floor(b / grid.blocksPerRow);
    const c = b - r * grid.blocksPerRow;
    start = r * cols + c * BLOCK_SIZE;
    end = Math.min(start + BLOCK_SIZE, (r + 1) * cols);
    rowLength = end - start;
  }
  const x = w.subarray(start, end);
  const blocks = Math.ceil(rowLength / BLOCK_SIZE) * (x.length / rowLength);
  const alphas = new Float32Array(blocks);
  const mse = new Float64Array(clipGrid.length);
  const fisherMse = new Float64Array(clipGrid.length);
  for (let g = 0; g < clipGrid.length; g++) {
    alphas.fill(clipGrid[g]);
    const q = quantizeNvfp4(x, { rowLength, tensorScale, blockSize: BLOCK_SIZE, clip: alphas }).values;
    // Per-block partial sums, added in block order: bit-identical to quantizeWeight's curve.
    let e = 0;
    let ef = 0;
    const rowsHere = x.length / rowLength;
    for (let r = 0; r < rowsHere; r++)
      for (let s = 0; s < rowLength; s += BLOCK_SIZE) {
        let be = 0;
        let bf = 0;
        for (let i = r * rowLength + s; i < r * rowLength + Math.min(s + BLOCK_SIZE, rowLength); i++) {
          const d = x[i] - q[i];
          be += d * d;
          if (fisher) bf += fisher[start + i] * d * d;
        }
        e += be;
        ef += bf;
      }
    mse[g] = e / x.length;
    fisherMse[g] = ef / x.length;
  }
  return { grid: clipGrid, mse, fisherMse };
}

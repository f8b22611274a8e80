// Block scores (DESIGN.md §3): one number per 16-element weight block, higher = keep in FP8.
// Sums run in float64 in element order, so results are deterministic.
import { blockGrid, checkTensorLength, BLOCK_SIZE, type BlockGrid } from './blocks';
import { hash32 } from '../random';

/** The policies the app compares. 'uniform' ranks inside each tensor by the FGMP score. */
export type ScoreKind = 'fgmp' | 'unweighted' | 'error' | 'magnitude' | 'random';

function forEachBlock(grid: BlockGrid, fn: (block: number, start: number, end: number) => void): void {
  let b = 0;
  for (let r = 0; r < grid.rows; r++) {
    const rowStart = r * grid.cols;
    for (let c = 0; c < grid.blocksPerRow; c++, b++) {
      const start = rowStart + c * BLOCK_SIZE;
      fn(b, start, Math.min(start + BLOCK_SIZE, rowStart + grid.cols));
    }
  }
}

/**
 * Σ_{i∈b} F_i (a_i − b_i)² per block. With a = Q_lo, b = Q_hi this is the FGMP score; with F omitted
 * (F ≡ 1) the unweighted perturbation; with b = original values the error-vs-original variant.
 */
export function weightedSquaredDifference(
  rows: number,
  cols: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  fisher?: ArrayLike<number>,
): Float64Array {
  const grid = blockGrid(rows, cols);
  checkTensorLength('first tensor', a, grid);
  checkTensorLength('second tensor', b, grid);
  if (fisher) checkTensorLength('Fisher', fisher, grid);
  const out = new Float64Array(grid.blockCount);
  forEachBlock(grid, (blk, start, end) => {
    let s = 0;
    for (let i = start; i < end; i++) {
      const d = a[i] - b[i];
      s += (fisher ? fisher[i] : 1) * d * d;
    }
    out[blk] = s;
  });
  return out;
}

/** FGMP score S(b) = Σ F_i (Q_lo(v_i) − Q_hi(v_i))². */
export function fgmpScores(
  rows: number,
  cols: number,
  qLo: ArrayLike<number>,
  qHi: ArrayLike<number>,
  fisher: ArrayLike<number>,
): Float64Array {
  return weightedSquaredDifference(rows, cols, qLo, qHi, fisher);
}

/** Unweighted perturbation Σ (Q_lo − Q_hi)² (F ≡ 1). */
export function unweightedScores(
  rows: number,
  cols: number,
  qLo: ArrayLike<number>,
  qHi: ArrayLike<number>,
): Float64Array {
  return weightedSquaredDifference(rows, cols, qLo, qHi);
}

/** Error vs the original, Σ F_i (Q_lo(v_i) − v_i)² (F omitted: plain squared error). */
export function errorScores(
  rows: number,
  cols: number,
  qLo: ArrayLike<number>,
  original: ArrayLike<number>,
  fisher?: ArrayLike<number>,
): Float64Array {
  return weightedSquaredDifference(rows, cols, qLo, original, fisher);
}

/** Magnitude baseline: block amax of the original values (NaN propagates). */
export function magnitudeScores(rows: number, cols: number, w: ArrayLike<number>): Float64Array {
  const grid = blockGrid(rows, cols);
  checkTensorLength('weight', w, grid);
  const out = new Float64Array(grid.blockCount);
  forEachBlock(grid, (blk, start, end) => {
    let m = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(w[i]);
      if (a > m || a !== a) m = a;
      if (m !== m) break;
    }
    out[blk] = m;
  });
  return out;
}

/**
 * Random baseline: a uniform [0, 1) score per block, deterministic in (seed, stream, block id) through
 * the lowbias32 hash (src/core/random), so the
 * same seed gives the same blocks whatever order tensors are scored in. Use a distinct stream per tensor
 * (e.g. layer * 7 + projection index).
 */
export function randomScores(blockCount: number, seed: number, stream: number): Float64Array {
  if (!Number.isInteger(blockCount) || blockCount < 0) throw new Error(`invalid block count ${blockCount}`);
  const out = new Float64Array(blockCount);
  const base = hash32((hash32(seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  for (let i = 0; i < blockCount; i++) out[i] = hash32((base + Math.imul(i, 0x85ebca6b)) >>> 0) / 4294967296;
  return out;
}

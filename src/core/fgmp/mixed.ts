// A mixed-precision weight tensor from a precision mask: FP8 blocks from Q_hi, the rest from Q_lo,
// and its storage cost from the real bit layouts (DESIGN.md §2).
import { blockGrid, checkBlockLength, checkTensorLength, BLOCK_SIZE } from './blocks';

/** Fake-quantized tensor the model sees: mask[b] = 1 takes block b from qHi (FP8), 0 from qLo (NVFP4). */
export function mixTensor(
  rows: number,
  cols: number,
  qLo: Float32Array,
  qHi: Float32Array,
  mask: Uint8Array,
  out?: Float32Array,
): Float32Array {
  const grid = blockGrid(rows, cols);
  checkTensorLength('Q_lo', qLo, grid);
  checkTensorLength('Q_hi', qHi, grid);
  checkBlockLength('mask', mask, grid);
  const result = out ?? new Float32Array(rows * cols);
  checkTensorLength('output buffer', result, grid);
  result.set(qLo);
  let b = 0;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let c = 0; c < grid.blocksPerRow; c++, b++) {
      if (!mask[b]) continue;
      const start = rowStart + c * BLOCK_SIZE;
      const end = Math.min(start + BLOCK_SIZE, rowStart + cols);
      result.set(qHi.subarray(start, end), start);
    }
  }
  return result;
}

export interface StorageOptions {
  /** FP8 scales: one FP32 per tensor (default) or one per row. */
  fp8Scale?: 'tensor' | 'row';
  /**
   * Precision flag bits: 'when-mixed' (default) only for tensors holding both precisions, 'always' for a
   * deployment in the mixed format throughout (the paper's accounting), 'never' to leave them out.
   */
  metadata?: 'when-mixed' | 'always' | 'never';
}

export interface WeightStorage {
  elements: number;
  blocks: number;
  fp8Blocks: number;
  /** 4 bits per NVFP4 element + 8 bits per FP8 element. */
  elementBits: number;
  /** 8 bits (E4M3) per NVFP4 block. */
  blockScaleBits: number;
  /** 1 bit per block of precision flag (see StorageOptions.metadata). */
  metadataBits: number;
  /** FP32 tensor scale of NVFP4 (if any NVFP4 block) + FP32 scale(s) of FP8 (if any FP8 block). */
  tensorScaleBits: number;
  totalBits: number;
  /** totalBits / elements. */
  bitsPerWeight: number;
}

/**
 * Storage bits of one weight tensor given its FP8 mask. A tensor whose blocks are all one precision
 * needs no per-block flag; a mixed tensor pays 1 bit per block.
 */
export function weightStorageBits(
  rows: number,
  cols: number,
  mask: Uint8Array,
  options: StorageOptions = {},
): WeightStorage {
  const grid = blockGrid(rows, cols);
  checkBlockLength('mask', mask, grid);
  let fp8Blocks = 0;
  let fp8Elements = 0;
  let b = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < grid.blocksPerRow; c++, b++) {
      if (!mask[b]) continue;
      fp8Blocks++;
      fp8Elements += c === grid.blocksPerRow - 1 ? grid.lastBlockLength : BLOCK_SIZE;
    }
  }
  return storageFromCounts(rows, cols, fp8Blocks, fp8Elements, options);
}

/** Same as weightStorageBits from counts (FP8 blocks and the elements they hold). */
export function storageFromCounts(
  rows: number,
  cols: number,
  fp8Blocks: number,
  fp8Elements: number,
  options: StorageOptions = {},
): WeightStorage {
  const grid = blockGrid(rows, cols);
  const elements = rows * cols;
  const lowBlocks = grid.blockCount - fp8Blocks;
  const elementBits = 8 * fp8Elements + 4 * (elements - fp8Elements);
  const blockScaleBits = 8 * lowBlocks;
  const mode = options.metadata ?? 'when-mixed';
  const mixed = fp8Blocks > 0 && lowBlocks > 0;
  const metadataBits = mode === 'always' || (mode === 'when-mixed' && mixed) ? grid.blockCount : 0;
  const tensorScaleBits =
    (lowBlocks > 0 ? 32 : 0) + (fp8Blocks > 0 ? (options.fp8Scale === 'row' ? 32 * rows : 32) : 0);
  const totalBits = elementBits + blockScaleBits + metadataBits + tensorScaleBits;
  return {
    elements,
    blocks: grid.blockCount,
    fp8Blocks,
    elementBits,
    blockScaleBits,
    metadataBits,
    tensorScaleBits,
    totalBits,
    bitsPerWeight: totalBits / elements,
  };
}

/** Index-compatible view of a ranked tensor and its FP8 count (see policy.ts), for storage totals. */
export interface MaskedTensorShape {
  rows: number;
  cols: number;
  fp8Blocks: number;
  /** Needed only when cols % 16 != 0 (FP8 short blocks hold fewer elements); lazily produced. */
  mask?: () => Uint8Array;
}

/**
 * Storage of a whole set of tensors (e.g. every projection at one budget). Tensors whose rows are a
 * whole number of blocks are costed from their FP8 count alone; others from their mask.
 */
export function totalStorageBits(
  tensors: readonly MaskedTensorShape[],
  options: StorageOptions = {},
): { totalBits: number; elements: number; bitsPerWeight: number } {
  let totalBits = 0;
  let elements = 0;
  for (const t of tensors) {
    const s =
      t.cols % BLOCK_SIZE === 0 || t.fp8Blocks === 0
        ? storageFromCounts(t.rows, t.cols, t.fp8Blocks, t.fp8Blocks * BLOCK_SIZE, options)
        : t.mask
          ? weightStorageBits(t.rows, t.cols, t.mask(), options)
          : (() => {
              throw new Error(
                `tensor [${t.rows}, ${t.cols}] has a short last block: its mask is needed to count FP8 elements`,
              );
            })();
    totalBits += s.totalBits;
    elements += s.elements;
  }
  return { totalBits, elements, bitsPerWeight: elements ? totalBits / elements : 0 };
}

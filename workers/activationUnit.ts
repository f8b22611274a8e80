// The mixed-precision activation quantization unit (DESIGN.md §3 "Activations on the fly"), as the
// explorer's worker runs it until src/core/pipeline provides one: per token and per 16-channel block,
// S(x_b) = Σ f_c (Q_lo(x_c) − Q_hi(x_c))² with dynamic per-token scales (NVFP4 tensor scale amax/(6·448),
// FP8 scale amax/448); the block is FP8 when S ≥ τ, NVFP4 otherwise.
import { quantizeNvfp4 } from '../src/core/formats/index.ts';
import { fakeQuantFp8 } from '../src/core/fgmp/quantize';
import { BLOCK_SIZE } from '../src/core/fgmp/blocks';

export interface ActivationQuant {
  lo: Float32Array;
  hi: Float32Array;
  /** One score per (token, block), row-major. */
  scores: Float64Array;
  blocksPerRow: number;
}

/** Both quantized versions of x [rows, cols] (rows = tokens) and the block scores under channel Fisher f. */
export function quantizeActivations(x: ArrayLike<number>, rows: number, cols: number, channelFisher: ArrayLike<number>): ActivationQuant {
  const src = x instanceof Float32Array ? x : Float32Array.from(x);
  const lo = quantizeNvfp4(src, { rowLength: cols, perRowTensorScale: true, blockSize: BLOCK_SIZE }).values;
  const hi = fakeQuantFp8(src, rows, cols, 'row').values;
  const blocksPerRow = Math.ceil(cols / BLOCK_SIZE);
  const scores = new Float64Array(rows * blocksPerRow);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocksPerRow; b++) {
      let s = 0;
      const c0 = b * BLOCK_SIZE;
      const c1 = Math.min(c0 + BLOCK_SIZE, cols);
      for (let c = c0; c < c1; c++) {
        const d = lo[r * cols + c] - hi[r * cols + c];
        s += channelFisher[c] * d * d;
      }
      scores[r * blocksPerRow + b] = s;
    }
  }
  return { lo, hi, scores, blocksPerRow };
}

/** The activation the next matmul sees: FP8 blocks where S ≥ τ, NVFP4 elsewhere. Counts FP8 blocks. */
export function mixActivations(q: ActivationQuant, rows: number, cols: number, threshold: number): { values: Float32Array; fp8Blocks: number } {
  const values = new Float32Array(q.lo);
  let fp8Blocks = 0;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < q.blocksPerRow; b++) {
      if (!(q.scores[r * q.blocksPerRow + b] >= threshold)) continue;
      fp8Blocks++;
      const c0 = r * cols + b * BLOCK_SIZE;
      const c1 = r * cols + Math.min((b + 1) * BLOCK_SIZE, cols);
      values.set(q.hi.subarray(c0, c1), c0);
    }
  }
  return { values, fp8Blocks };
}

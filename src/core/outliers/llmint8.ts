// LLM.int8() mixed-precision decomposition (Dettmers et al. 2022, §3.2): the input channels where any
// |X| reaches the threshold (6.0 in the paper) multiply in 16-bit float; every other channel goes through
// vector-wise INT8 (absmax per row of X, i.e. per token, and per row of W, i.e. per output). The two
// partial products are summed: Y = X_O·W_Oᵀ (FP16) + Q(X_R)·Q(W_R)ᵀ (INT8).
import { FP16, INT8, quantizeGrouped } from '../formats';
import { checkShape, matmulTransposed, selectColumns, type LinearShape } from './matrix';

/** Columns of a row-major matrix whose largest |x| reaches the threshold (LLM.int8()'s outlier test). */
export function outlierColumns(x: Float32Array, rows: number, cols: number, threshold: number): number[] {
  const found: number[] = [];
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      if (Math.abs(x[r * cols + c]) >= threshold) {
        found.push(c);
        break;
      }
    }
  }
  return found;
}

export interface Int8Decomposition {
  /** The outlier input channels, ascending. */
  outliers: number[];
  /** The 16-bit part's product [tokens, outputs]. */
  yHi: Float64Array;
  /** The INT8 part's product [tokens, outputs]. */
  yLo: Float64Array;
  /** yHi + yLo. */
  y: Float64Array;
}

export function int8Decomposition(
  x: Float32Array,
  w: Float32Array,
  shape: LinearShape,
  threshold: number,
): Int8Decomposition {
  checkShape(x, w, shape);
  const { tokens, channels, outputs } = shape;
  const outliers = outlierColumns(x, tokens, channels, threshold);
  const xHi = quantizeGrouped(selectColumns(x, channels, outliers), FP16).values;
  const wHi = quantizeGrouped(selectColumns(w, channels, outliers), FP16).values;
  const rowWise = { granularity: 'row', rowLength: channels } as const;
  const xLo = quantizeGrouped(selectColumns(x, channels, outliers, true), INT8, rowWise).values;
  const wLo = quantizeGrouped(selectColumns(w, channels, outliers, true), INT8, rowWise).values;
  const yHi = matmulTransposed(xHi, wHi, tokens, channels, outputs);
  const yLo = matmulTransposed(xLo, wLo, tokens, channels, outputs);
  const y = new Float64Array(yHi.length);
  for (let i = 0; i < y.length; i++) y[i] = yHi[i] + yLo[i];
  return { outliers, yHi, yLo, y };
}

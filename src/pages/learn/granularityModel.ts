// Lesson 4's schemes: the same tensor quantized with scales at different granularities, all by the core.
import {
  errorMetrics,
  INT4,
  NF4,
  quantizeGrouped,
  quantizeMx,
  quantizeNvfp4,
  type ErrorMetrics,
} from '../../core/formats';
import { matrixWithOutlierColumns } from './synthetic';

export const GRANULARITY_TENSOR = { rows: 32, cols: 128, outlierCols: [19, 77] as const, seed: 11 };

export function granularityTensor(outlierGain: number): Float32Array {
  const { rows, cols, outlierCols, seed } = GRANULARITY_TENSOR;
  return matrixWithOutlierColumns(rows, cols, outlierCols, outlierGain, seed);
}

export type SchemeId = 'tensor' | 'row' | 'column' | 'group' | 'mxfp4' | 'nvfp4' | 'nf4';

export interface SchemeResult {
  id: SchemeId;
  title: string;
  /** How the scales are laid out and stored. */
  detail: string;
  values: Float32Array;
  metrics: ErrorMetrics;
  /** Storage: element bits plus all scale bits, per element. */
  bitsPerElement: number;
  /** Share of the nonzero inputs that come back as exactly 0. */
  zeroedShare: number;
  /** Scales per double-quantization super-group (NF4 with double quantization only). */
  superGroup?: number;
  /** The numbers in title and detail, for the catalog's wording (learn:granularity.scheme.<id>). */
  counts: SchemeCounts;
}

export interface SchemeCounts {
  scales: number;
  /** Group or block size. */
  size?: number;
  tensorScales?: number;
  superScales?: number;
  doubleQuant?: boolean;
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  return t;
}

function finish(
  id: SchemeId,
  title: string,
  detail: string,
  x: Float32Array,
  values: Float32Array,
  bitsPerElement: number,
  counts: SchemeCounts,
): SchemeResult {
  let nonzero = 0;
  let zeroed = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0) {
      nonzero++;
      if (values[i] === 0) zeroed++;
    }
  }
  return {
    id,
    title,
    detail,
    values,
    metrics: errorMetrics(x, values),
    bitsPerElement,
    zeroedShare: nonzero ? zeroed / nonzero : 0,
    counts,
  };
}

export function runSchemes(x: Float32Array, groupSize: number, doubleQuant: boolean): SchemeResult[] {
  const { rows, cols } = GRANULARITY_TENSOR;
  const n = x.length;
  const perTensor = quantizeGrouped(x, INT4, { granularity: 'tensor' });
  const perRow = quantizeGrouped(x, INT4, { granularity: 'row', rowLength: cols });
  // Per input channel: scales run down the columns, so quantize the transpose row by row.
  const perColT = quantizeGrouped(transpose(x, rows, cols), INT4, { granularity: 'row', rowLength: rows });
  const perCol = transpose(perColT.values, cols, rows);
  const perGroup = quantizeGrouped(x, INT4, { granularity: 'group', groupSize, rowLength: cols });
  const mx = quantizeMx(x, 'e2m1', { rowLength: cols });
  const nv = quantizeNvfp4(x, { rowLength: cols });
  const nf4 = quantizeGrouped(x, NF4, { granularity: 'group', groupSize: 64, rowLength: cols, doubleQuant });
  const nf4Scales = nf4.rawScales.length;
  const nf4ScaleBits = nf4.doubleQuant ? nf4Scales * 8 + nf4.doubleQuant.superScales.length * 32 + 32 : nf4Scales * 32;
  return [
    finish('tensor', 'INT4 per tensor', `1 FP32 scale`, x, perTensor.values, 4 + (32 * perTensor.scales.length) / n, {
      scales: 1,
    }),
    finish(
      'row',
      'INT4 per output channel (row)',
      `${perRow.scales.length} FP32 scales`,
      x,
      perRow.values,
      4 + (32 * perRow.scales.length) / n,
      { scales: perRow.scales.length },
    ),
    finish(
      'column',
      'INT4 per input channel (column)',
      `${perColT.scales.length} FP32 scales`,
      x,
      perCol,
      4 + (32 * perColT.scales.length) / n,
      { scales: perColT.scales.length },
    ),
    finish(
      'group',
      `INT4 per group of ${groupSize}`,
      `${perGroup.scales.length} FP32 scales`,
      x,
      perGroup.values,
      4 + (32 * perGroup.scales.length) / n,
      { scales: perGroup.scales.length, size: groupSize },
    ),
    finish(
      'mxfp4',
      `MXFP4 (E2M1, blocks of ${mx.layout.blockSize}, E8M0 scales)`,
      `${mx.scales.length} E8M0 scales`,
      x,
      mx.values,
      4 + (8 * mx.scales.length) / n,
      { scales: mx.scales.length, size: mx.layout.blockSize },
    ),
    finish(
      'nvfp4',
      `NVFP4 (E2M1, blocks of ${nv.layout.blockSize}, E4M3 scales + FP32 tensor scale)`,
      `${nv.scales.length} E4M3 scales, ${nv.tensorScales.length} FP32 tensor scale`,
      x,
      nv.values,
      4 + (8 * nv.scales.length + 32 * nv.tensorScales.length) / n,
      { scales: nv.scales.length, size: nv.layout.blockSize, tensorScales: nv.tensorScales.length },
    ),
    finish(
      'nf4',
      `NF4 per group of ${nf4.layout.blockSize}${doubleQuant ? ', double-quantized scales' : ''}`,
      doubleQuant
        ? `${nf4Scales} INT8 scales + ${nf4.doubleQuant!.superScales.length} FP32 super-scale + FP32 offset`
        : `${nf4Scales} FP32 scales`,
      x,
      nf4.values,
      4 + nf4ScaleBits / n,
      {
        scales: nf4Scales,
        size: nf4.layout.blockSize,
        superScales: nf4.doubleQuant?.superScales.length,
        doubleQuant,
      },
    ),
  ].map((s) => (s.id === 'nf4' && nf4.doubleQuant ? { ...s, superGroup: nf4.doubleQuant.superGroup } : s));
}

/** |x − x̂| per element. */
export function absError(x: Float32Array, q: Float32Array): Float32Array {
  const e = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) e[i] = Math.abs(x[i] - q[i]);
  return e;
}

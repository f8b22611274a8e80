// Plain FP8 fake quantization with a per-tensor (or per-row) FP32 scale amax / maxFinite
// (448 for E4M3, 57344 for E5M2): code = round_fp8(x / scale), value = fround(FP8(code) · scale).
// amax ignores NaN and ±Inf; NaN stays NaN (FP8 NaN code), ±Inf saturates (E4M3) or stays ±Inf (E5M2).
import { E4M3, E5M2 } from './scalar.ts';
import { float32Bits, makeSpanQuantizer } from './fast.ts';
import { blockLayout, finiteAbsMax } from './layout.ts';

export type Fp8Kind = 'e4m3' | 'e5m2';

export interface Fp8Options {
  rowLength?: number;
  /** One scale per row (amax of the row / maxFinite) instead of one per tensor. */
  perRow?: boolean;
  /** Explicit scale(s): one number, or one per row. */
  scale?: number | Float32Array;
  out?: Float32Array;
}

export interface Fp8Result {
  values: Float32Array;
  codes: Uint8Array;
  /** The scales used: length 1 (per tensor) or one per row. */
  scales: Float32Array;
}

const E4M3_SPAN = makeSpanQuantizer(E4M3);
const E5M2_SPAN = makeSpanQuantizer(E5M2);

/** amax / maxFinite in float32; 1 for an all-zero input. */
export function fp8Scale(amax: number, kind: Fp8Kind = 'e4m3'): number {
  const max = kind === 'e4m3' ? E4M3.maxFinite : E5M2.maxFinite;
  if (!(amax > 0) || !Number.isFinite(amax)) return 1;
  const s = Math.fround(amax / max);
  return s > 0 ? s : 1.401298464324817e-45;
}

/**
 * The FP8 scales of a tensor: the given one(s), one per row (absmax of each row) or one for the tensor (absmax,
 * from `tensorAbsMax` when the caller has a faster one: the SIMD kernel).
 */
export function fp8Scales(
  x: Float32Array,
  kind: Fp8Kind,
  options: Fp8Options,
  rows: number,
  rowLength: number,
  tensorAbsMax: (x: Float32Array) => number = (v) => finiteAbsMax(v),
): Float32Array {
  const given = options.scale;
  if (typeof given === 'number') return Float32Array.of(given);
  if (given) {
    if (given.length !== rows && given.length !== 1)
      throw new RangeError(`scale has ${given.length} entries, expected 1 or ${rows}`);
    return Float32Array.from(given);
  }
  if (options.perRow) {
    const scales = new Float32Array(rows);
    for (let r = 0; r < rows; r++) scales[r] = fp8Scale(finiteAbsMax(x, r * rowLength, (r + 1) * rowLength), kind);
    return scales;
  }
  return Float32Array.of(fp8Scale(tensorAbsMax(x), kind));
}

export function quantizeFp8(x: Float32Array, kind: Fp8Kind = 'e4m3', options: Fp8Options = {}): Fp8Result {
  const layout = blockLayout(x.length, Math.max(1, options.rowLength ?? x.length), options.rowLength);
  const { rows, rowLength } = layout;
  const scales = fp8Scales(x, kind, options, rows, rowLength);
  for (const s of scales)
    if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`FP8 scales must be positive finite, got ${s}`);

  const values = options.out ?? new Float32Array(x.length);
  if (values.length !== x.length) throw new RangeError(`out has length ${values.length}, expected ${x.length}`);
  const codes = new Uint8Array(x.length);
  const span = kind === 'e4m3' ? E4M3_SPAN : E5M2_SPAN;
  const bits = float32Bits(x);
  for (let r = 0; r < rows; r++)
    span(x, bits, r * rowLength, (r + 1) * rowLength, scales.length > 1 ? scales[r] : scales[0], codes, values);
  return { values, codes, scales };
}

/** FP8 E4M3 fake quantization, per tensor (default) or per row. */
export function quantizeE4M3(x: Float32Array, options: Fp8Options = {}): Fp8Result {
  return quantizeFp8(x, 'e4m3', options);
}

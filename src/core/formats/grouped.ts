// Scaled fake quantization onto any scalar format, per tensor, per row (channel) or per group of
// consecutive elements along a row:
//   absmax:    scale = fround(alpha · amax / maxFinite)  (INT8 127, INT4 7, NF4 1, E4M3 448, ...)
//              code = encode(x / scale), value = fround(decode(code) · scale)
//   zeropoint: integer formats only, unsigned codes 0..2^b-1; the range [min(lo,0), max(hi,0)] keeps
//              zero exact: scale = (hi - lo) / (2^b - 1), zp = clamp(rne(-lo / scale)),
//              code = clamp(rne(x / scale) + zp), value = fround((code - zp) · scale)
//   none:      code = encode(x) (wide formats: FP32, BF16, FP16, TF32, E8M0)
// Double quantization (QLoRA): the per-group scales, centred on their mean, are quantized again in
// super-groups of 256 with one FP32 scale each (INT8 absmax, or E4M3 with scale amax/448). Codes are
// computed with the exact scales; values are dequantized with the double-quantized ones, as
// bitsandbytes does. Groups with amax 0 get scale 0 and all-zero values. NaN stays NaN (code NaN
// when the format has no NaN encoding).
import { findScalarFormat, IntFormat, Minifloat, encodeNf4, NF4_LEVELS, rneInt, type ScalarFormat } from './scalar.ts';
import { decodeTable, makeFastEncoder } from './fast.ts';
import { blockLayout, type BlockLayout } from './layout.ts';

export type Granularity = 'tensor' | 'row' | 'group';
export type Scaling = 'absmax' | 'zeropoint' | 'none';

export interface DoubleQuantOptions {
  /** Scales per super-group (default 256). */
  superGroup?: number;
  /** How centred scales are stored (default int8). */
  format?: 'int8' | 'e4m3';
}

export interface GroupedOptions {
  granularity?: Granularity;
  /** Elements per group for granularity 'group' (default 64). */
  groupSize?: number;
  rowLength?: number;
  scaling?: Scaling;
  /** Clip ratio(s) alpha: the scale uses alpha · amax (one number, or one per group). */
  clip?: number | ArrayLike<number>;
  doubleQuant?: boolean | DoubleQuantOptions;
}

export interface GroupedResult {
  values: Float32Array;
  /** Codes per element (bit patterns, or integers for INT formats; NaN where the format has no code). */
  codes: Float64Array;
  /** Scales used to dequantize, one per group (after double quantization when enabled); empty for scaling 'none'. */
  scales: Float32Array;
  /** Exact FP32 scales before double quantization. */
  rawScales: Float32Array;
  /** Zero points (zeropoint scaling only). */
  zeroPoints?: Int32Array;
  /** Double quantization: the scale of each super-group and the mean offset. */
  doubleQuant?: { offset: number; superScales: Float32Array; codes: Int32Array; superGroup: number };
  layout: BlockLayout;
  format: ScalarFormat;
}

/** A fast x -> code function for a scalar format (reference encode for the rest). */
export function fastEncoderFor(fmt: ScalarFormat): (x: number) => number {
  if (fmt instanceof Minifloat && fmt.manBits <= 20) {
    const enc = makeFastEncoder(fmt);
    return fmt.hasNaN ? enc : (x) => (x !== x ? NaN : enc(x));
  }
  if (fmt.id === 'nf4') return (x) => (x !== x ? NaN : encodeNf4(x));
  return (x) => fmt.encode(x);
}

function fastDecoderFor(fmt: ScalarFormat): (c: number) => number {
  if (fmt instanceof Minifloat && fmt.bits <= 16) {
    const t = decodeTable(fmt);
    return (c) => (c !== c ? NaN : t[c]);
  }
  if (fmt.id === 'nf4') return (c) => (c !== c ? NaN : NF4_LEVELS[c]);
  return (c) => (c !== c ? NaN : fmt.decode(c));
}

function layoutFor(n: number, o: GroupedOptions): BlockLayout {
  const g = o.granularity ?? 'tensor';
  if (g === 'tensor') return blockLayout(n, Math.max(1, n), n);
  const rl = o.rowLength ?? n;
  if (g === 'row') return blockLayout(n, Math.max(1, rl), rl);
  return blockLayout(n, o.groupSize ?? 64, rl);
}

export function quantizeGrouped(
  x: Float32Array,
  format: ScalarFormat | string,
  options: GroupedOptions = {},
): GroupedResult {
  const fmt = typeof format === 'string' ? findScalarFormat(format) : format;
  if (!fmt) throw new RangeError(`unknown scalar format "${format}"`);
  const scaling = options.scaling ?? (fmt.kind === 'int' || fmt.kind === 'nf4' ? 'absmax' : 'none');
  if (scaling === 'zeropoint' && fmt.kind !== 'int')
    throw new RangeError(`zero-point scaling needs an integer format, got ${fmt.id}`);
  const layout = layoutFor(x.length, options);
  const { rowLength, blocksPerRow, blockSize, blocks } = layout;
  const clip = options.clip;
  if (clip !== undefined && typeof clip !== 'number' && clip.length !== blocks)
    throw new RangeError(`clip has ${clip.length} ratios, expected one per group (${blocks})`);

  const values = new Float32Array(x.length);
  const codes = new Float64Array(x.length);
  if (scaling === 'none') {
    const enc = fastEncoderFor(fmt);
    const dec = fastDecoderFor(fmt);
    for (let i = 0; i < x.length; i++) {
      const c = enc(x[i]);
      codes[i] = c;
      values[i] = x[i] !== x[i] ? NaN : dec(c);
    }
    return { values, codes, scales: new Float32Array(0), rawScales: new Float32Array(0), layout, format: fmt };
  }

  const rawScales = new Float32Array(blocks);
  const zeroPoints = scaling === 'zeropoint' ? new Int32Array(blocks) : undefined;
  const qmax = fmt instanceof IntFormat ? Math.pow(2, fmt.bits) - 1 : 0;
  const groupRange = (b: number): [number, number] => {
    const r = Math.floor(b / blocksPerRow);
    const start = r * rowLength + (b - r * blocksPerRow) * blockSize;
    return [start, Math.min(start + blockSize, (r + 1) * rowLength)];
  };

  // Pass 1: scales (and zero points).
  for (let b = 0; b < blocks; b++) {
    const [start, end] = groupRange(b);
    const alpha = clip === undefined ? 1 : typeof clip === 'number' ? clip : clip[b];
    if (scaling === 'absmax') {
      let amax = 0;
      for (let i = start; i < end; i++) {
        const a = Math.abs(x[i]);
        if (a > amax && a !== Infinity) amax = a;
      }
      rawScales[b] = Math.fround((alpha * amax) / fmt.maxFinite);
    } else {
      let lo = 0;
      let hi = 0;
      for (let i = start; i < end; i++) {
        const v = x[i];
        if (v < lo && v !== -Infinity) lo = v;
        if (v > hi && v !== Infinity) hi = v;
      }
      const scale = Math.fround((alpha * (hi - lo)) / qmax);
      rawScales[b] = scale;
      zeroPoints![b] = scale > 0 ? Math.min(qmax, Math.max(0, rneInt((-alpha * lo) / scale))) : 0;
    }
  }

  let scales: Float32Array = rawScales;
  let dq: GroupedResult['doubleQuant'];
  if (options.doubleQuant) {
    const o = typeof options.doubleQuant === 'object' ? options.doubleQuant : {};
    const r = doubleQuantizeScales(rawScales, o.superGroup ?? 256, o.format ?? 'int8');
    scales = r.scales;
    dq = { offset: r.offset, superScales: r.superScales, codes: r.codes, superGroup: o.superGroup ?? 256 };
  }

  // Pass 2: element codes with the exact scale, values with the (possibly double-quantized) one.
  const enc = fastEncoderFor(fmt);
  const dec = fastDecoderFor(fmt);
  for (let b = 0; b < blocks; b++) {
    const [start, end] = groupRange(b);
    const s = rawScales[b];
    const sDeq = scales[b];
    if (scaling === 'absmax') {
      for (let i = start; i < end; i++) {
        const v = x[i];
        if (v !== v) {
          codes[i] = enc(NaN);
          values[i] = NaN;
          continue;
        }
        const c = s > 0 ? enc(v / s) : enc(v < 0 || (v === 0 && 1 / v < 0) ? -0 : 0);
        codes[i] = c;
        values[i] = s > 0 ? dec(c) * sDeq : 0;
      }
    } else {
      const zp = zeroPoints![b];
      for (let i = start; i < end; i++) {
        const v = x[i];
        if (v !== v) {
          codes[i] = NaN;
          values[i] = NaN;
          continue;
        }
        if (!(s > 0)) {
          codes[i] = 0;
          values[i] = 0;
          continue;
        }
        const q = v / s;
        const n = q < 0 ? -rneInt(-q) : rneInt(q);
        const c = Math.min(qmax, Math.max(0, n + zp));
        codes[i] = c;
        values[i] = (c - zp) * sDeq;
      }
    }
  }
  return { values, codes, scales, rawScales, zeroPoints, doubleQuant: dq, layout, format: fmt };
}

/** QLoRA double quantization of positive per-group scales: subtract the mean, then quantize each
 *  super-group of `superGroup` scales symmetrically with its own FP32 scale. */
export function doubleQuantizeScales(
  scales: Float32Array,
  superGroup = 256,
  format: 'int8' | 'e4m3' = 'int8',
): { scales: Float32Array; offset: number; superScales: Float32Array; codes: Int32Array } {
  if (!Number.isInteger(superGroup) || superGroup < 1)
    throw new RangeError(`superGroup must be a positive integer, got ${superGroup}`);
  let sum = 0;
  for (const s of scales) sum += s;
  const offset = scales.length ? Math.fround(sum / scales.length) : 0;
  const nSuper = Math.ceil(scales.length / superGroup);
  const superScales = new Float32Array(nSuper);
  const codes = new Int32Array(scales.length);
  const out = new Float32Array(scales.length);
  const fmt = findScalarFormat(format === 'int8' ? 'int8' : 'e4m3')!;
  for (let g = 0; g < nSuper; g++) {
    const start = g * superGroup;
    const end = Math.min(start + superGroup, scales.length);
    let amax = 0;
    for (let i = start; i < end; i++) amax = Math.max(amax, Math.abs(scales[i] - offset));
    const s2 = Math.fround(amax / fmt.maxFinite);
    superScales[g] = s2;
    for (let i = start; i < end; i++) {
      const c = s2 > 0 ? fmt.encode((scales[i] - offset) / s2) : 0;
      codes[i] = c;
      out[i] = s2 > 0 ? fmt.decode(c) * s2 + offset : offset;
    }
  }
  return { scales: out, offset, superScales, codes };
}

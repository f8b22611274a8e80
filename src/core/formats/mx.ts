// OCP Microscaling (MX v1.0) fake quantization: 32 elements share an E8M0 power-of-two scale
//   X = 2^(floor(log2 amax) − emax_elem), clamped to the E8M0 range 2^-127..2^127,
//   element_i = round_elem(x_i / X)  (saturating to the element format's max),
//   value_i   = fround(element_i · X).
// emax_elem: E2M1 2, E2M3 2, E3M2 4, E4M3 8, E5M2 15, INT8 0 (MXINT8 elements are 1.6 fixed
// point: int8 · 2^-6, symmetric ±127 here). Blocks run along rows like NVFP4. amax ignores NaN and
// ±Inf; a NaN element dequantizes to NaN (its element NaN code, or NAN_CODE = 0xFF when the
// element format has none); an all-zero block gets X = 2^-127.
import { E2M1, E2M3, E3M2, E4M3, E5M2, floorLog2, type Minifloat } from './scalar.ts';
import {
  decodeTable,
  encodeE2M1Fast,
  float32Bits,
  makeFastEncoder,
  makeSpanQuantizer,
  quantizeE2M1Span,
  type FastEncoder,
  type SpanQuantizer,
} from './fast.ts';
import { blockLayout, type BlockLayout } from './layout.ts';
import { NAN_CODE } from './nvfp4.ts';

export const MX_BLOCK = 32;

export type MxElement = 'e2m1' | 'e2m3' | 'e3m2' | 'e4m3' | 'e5m2' | 'int8';

/** Block-format ids and their element formats. */
export const MX_FORMATS: Readonly<Record<string, MxElement>> = {
  mxfp4: 'e2m1',
  mxfp6e2m3: 'e2m3',
  mxfp6e3m2: 'e3m2',
  mxfp8e4m3: 'e4m3',
  mxfp8e5m2: 'e5m2',
  mxint8: 'int8',
};

interface ElementCodec {
  emax: number;
  /** Whole-span loop (minifloat elements), used instead of encode/table when present. */
  span?: SpanQuantizer;
  /** x (in units of the shared scale) -> byte code; NaN -> the format's NaN code or NAN_CODE. */
  encode: FastEncoder;
  /** byte code -> element value, 256 entries (NaN for NaN codes and NAN_CODE). */
  table: Float64Array;
}

function minifloatCodec(fmt: Minifloat): ElementCodec {
  const nan = fmt.hasNaN ? undefined : NAN_CODE;
  return {
    emax: fmt.emax,
    encode: makeFastEncoder(fmt, nan),
    table: decodeTable(fmt, 256),
    span: makeSpanQuantizer(fmt, nan),
  };
}

/** MXINT8 element: two's complement byte, value = int8 / 64, RNE, saturating at ±127/64.
 *  NaN gets code 0x80 (-128), which symmetric quantization never produces. */
const INT8_NAN_CODE = 0x80;
const int8Codec: ElementCodec = {
  emax: 0,
  encode: (x) => {
    if (x !== x) return INT8_NAN_CODE;
    let q = x * 64;
    if (q > 127) q = 127;
    else if (q < -127) q = -127;
    const f = Math.floor(q);
    const d = q - f;
    const n = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
    return n & 0xff;
  },
  table: Float64Array.from({ length: 256 }, (_, c) => (c === INT8_NAN_CODE ? NaN : ((c << 24) >> 24) / 64)),
};

const codecs: Record<MxElement, ElementCodec> = {
  e2m1: { ...minifloatCodec(E2M1), encode: encodeE2M1Fast, span: quantizeE2M1Span },
  e2m3: minifloatCodec(E2M3),
  e3m2: minifloatCodec(E3M2),
  e4m3: minifloatCodec(E4M3),
  e5m2: minifloatCodec(E5M2),
  int8: int8Codec,
};

export function mxElementEmax(element: MxElement): number {
  return codecs[element].emax;
}

/** Decodes one MX element code to its value in units of the shared scale. */
export function decodeMxElement(element: MxElement, code: number): number {
  return codecs[element].table[code & 0xff];
}

export interface MxOptions {
  blockSize?: number;
  rowLength?: number;
  /** Clip ratio per block: the shared scale uses alpha · block amax (elements beyond saturate). */
  clip?: ArrayLike<number>;
  out?: Float32Array;
}

export interface MxResult {
  values: Float32Array;
  /** Element codes (minifloat bit patterns; MXINT8 two's complement bytes). */
  codes: Uint8Array;
  /** E8M0 scale codes (exponent + 127). */
  scaleCodes: Uint8Array;
  /** Decoded scales 2^(code-127). */
  scales: Float32Array;
  layout: BlockLayout;
}

/** Shared MX scale exponent for a block amax (OCP MX v1.0 §6.3), clamped to E8M0. */
export function mxScaleExponent(amax: number, emaxElem: number): number {
  if (!(amax > 0)) return -127;
  return Math.max(-127, Math.min(127, floorLog2(amax) - emaxElem));
}

export function quantizeMx(x: Float32Array, element: MxElement, options: MxOptions = {}): MxResult {
  const codec = codecs[element];
  if (!codec) throw new RangeError(`unknown MX element format "${element}"`);
  const layout = blockLayout(x.length, options.blockSize ?? MX_BLOCK, options.rowLength);
  const { rows, rowLength, blocksPerRow, blockSize } = layout;
  const values = options.out ?? new Float32Array(x.length);
  if (values.length !== x.length) throw new RangeError(`out has length ${values.length}, expected ${x.length}`);
  const codes = new Uint8Array(x.length);
  const scaleCodes = new Uint8Array(layout.blocks);
  const scales = new Float32Array(layout.blocks);
  const { encode, table, emax } = codec;
  const span = codec.span;
  const bits = span ? float32Bits(x) : undefined;
  const clip = options.clip;
  if (clip && clip.length !== layout.blocks)
    throw new RangeError(`clip has ${clip.length} ratios, expected one per block (${layout.blocks})`);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * rowLength;
    for (let bj = 0; bj < blocksPerRow; bj++) {
      const b = r * blocksPerRow + bj;
      const start = rowStart + bj * blockSize;
      const end = Math.min(start + blockSize, rowStart + rowLength);
      let amax = 0;
      for (let i = start; i < end; i++) {
        const a = Math.abs(x[i]);
        if (a > amax && a !== Infinity) amax = a;
      }
      const e = mxScaleExponent(clip ? clip[b] * amax : amax, emax);
      const scale = Math.pow(2, e);
      const inv = Math.pow(2, -e); // exact: a power of two
      scaleCodes[b] = e + 127;
      scales[b] = scale;
      if (span) {
        // scale is a power of two, so x / scale = x · inv exactly
        span(x, bits!, start, end, scale, codes, values);
        continue;
      }
      for (let i = start; i < end; i++) {
        const c = encode(x[i] * inv);
        codes[i] = c;
        values[i] = table[c] * scale;
      }
    }
  }
  return { values, codes, scaleCodes, scales, layout };
}

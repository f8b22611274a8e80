// Fast scalar paths for hot loops over millions of elements. Each one is bit-identical to the
// reference encode() of scalar.ts (the tests check them against it), but avoids log2/pow:
// the exponent comes from the float64 bit pattern and RNE from adding a magic constant
// (a + 2^52·q − 2^52·q rounds a to a multiple of q, ties to even, in one float64 addition).
import { E2M1, E4M3, type Minifloat } from './scalar.ts';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Index of the high word of the float64 (little-endian on every platform we run on).
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

export type FastEncoder = (x: number) => number;

/** Builds a fast encoder for a minifloat with manBits <= 20: x -> code, RNE, saturating.
 *  NaN gives the format's NaN code, or nanCodeOverride (e.g. 0xFF for byte storage of FP4/FP6).
 *  Narrow formats (FP8/FP6/FP4: maxFinite / minSubnormal < 2^32) work on the integer grid
 *  t = |x| / minSubnormal, where Math.clz32 gives the binade; wider ones read the float64 exponent. */
export function makeFastEncoder(fmt: Minifloat, nanCodeOverride?: number): FastEncoder {
  const m = fmt.manBits;
  if (m > 20) throw new RangeError(`fast encoder supports at most 20 mantissa bits, ${fmt.id} has ${m}`);
  if (fmt.maxFinite / fmt.minSubnormal < 2 ** 32) return makeNarrowEncoder(fmt, nanCodeOverride);
  const { emin, bias, maxFinite, maxCode, minNormal, minSubnormal, signBit } = fmt;
  const nanCode = nanCodeOverride ?? fmt.nanCode;
  const infCode = fmt.hasInf ? fmt.infCode : maxCode;
  const halfMinSub = minSubnormal / 2;
  const emaxBinade = fmt.emax;
  // MAGIC[e - emin] = 2^52 · quantum of binade e (subnormals share the quantum of emin).
  const magic = new Float64Array(emaxBinade - emin + 2);
  for (let e = emin; e <= emaxBinade + 1; e++) magic[e - emin] = Math.pow(2, 52 + e - m);
  const manShift = 20 - m;
  const manMask = (1 << m) - 1;
  const invMinSub = 1 / minSubnormal;
  return (x: number): number => {
    if (x !== x) return nanCode;
    const sign = x < 0 || (x === 0 && 1 / x < 0) ? signBit : 0;
    const a = x < 0 ? -x : x;
    if (a >= maxFinite) return sign + (a === Infinity ? infCode : maxCode);
    if (a <= halfMinSub) return sign;
    f64[0] = a;
    let e = ((u32[HI] >>> 20) & 0x7ff) - 1023;
    if (e < emin) e = emin;
    const c = magic[e - emin];
    const r = a + c - c;
    if (r > maxFinite) return sign + maxCode;
    if (r < minNormal) return sign + r * invMinSub;
    f64[0] = r;
    const hi = u32[HI];
    const er = ((hi >>> 20) & 0x7ff) - 1023;
    return sign + (((er + bias) << m) | ((hi >>> manShift) & manMask));
  };
}

function makeNarrowEncoder(fmt: Minifloat, nanCodeOverride?: number): FastEncoder {
  const m = fmt.manBits;
  const { maxFinite, maxCode, signBit } = fmt;
  const nanCode = nanCodeOverride ?? fmt.nanCode;
  const infCode = fmt.hasInf ? fmt.infCode : maxCode;
  const invMinSub = 1 / fmt.minSubnormal; // a power of two: t = a · invMinSub is exact
  const maxT = maxFinite * invMinSub;
  const one = 1 << m; // the first normal value on the integer grid
  // MAG[k] = 2^52 · 2^k: adding and subtracting it rounds t to a multiple of 2^k, ties to even.
  const mag = new Float64Array(34);
  for (let k = 0; k < 34; k++) mag[k] = 2 ** (52 + k);
  return (x: number): number => {
    if (x !== x) return nanCode;
    const sign = x < 0 || (x === 0 && 1 / x < 0) ? signBit : 0;
    const a = x < 0 ? -x : x;
    if (a >= maxFinite) return sign + (a === Infinity ? infCode : maxCode);
    const t = a * invMinSub;
    const e = 31 - Math.clz32(t >>> 0); // floor(log2 t) for t >= 1; -1 below
    const k = e > m ? e - m : 0; // quantum 2^k on the integer grid
    const c = mag[k];
    const r = t + c - c;
    if (r > maxT) return sign + maxCode;
    if (r < one) return sign + r;
    const ri = r >>> 0;
    const er = 31 - Math.clz32(ri);
    return sign + (((er - m + 1) << m) | ((ri >>> (er - m)) - one));
  };
}

/** Fake-quantizes x[start, end) with one positive scale: codes[i] = encode(x[i] / scale),
 *  values[i] = decode(code) · scale. `bits` is float32Bits(x) (the sign comes from the sign bit). */
export type SpanQuantizer = (
  x: Float32Array,
  bits: Uint32Array,
  start: number,
  end: number,
  scale: number,
  codes: Uint8Array,
  values: Float32Array,
) => void;

/** The span loop of makeFastEncoder's narrow path (FP8/FP6/FP4), with a branch-free sign taken
 *  from the float32 sign bit. NaN gets the format's NaN code or nanCodeOverride. */
export function makeSpanQuantizer(fmt: Minifloat, nanCodeOverride?: number): SpanQuantizer {
  if (!(fmt.maxFinite / fmt.minSubnormal < 2 ** 32) || fmt.bits > 8)
    throw new RangeError(`span quantizer needs an FP8/FP6/FP4 format, got ${fmt.id}`);
  const m = fmt.manBits;
  const { maxFinite, maxCode, signBit } = fmt;
  const nanCode = nanCodeOverride ?? fmt.nanCode;
  const infCode = fmt.hasInf ? fmt.infCode : maxCode;
  const invMinSub = 1 / fmt.minSubnormal;
  const maxT = maxFinite * invMinSub;
  const one = 1 << m;
  const signShift = 32 - fmt.bits; // float32 sign bit 31 -> the format's sign bit
  const mag = new Float64Array(34);
  for (let k = 0; k < 34; k++) mag[k] = 2 ** (52 + k);
  const table = decodeTable(fmt, 256);
  return (x, bits, start, end, scale, codes, values) => {
    for (let i = start; i < end; i++) {
      const a = Math.abs(x[i] / scale);
      const sign = (bits[i] >>> signShift) & signBit;
      let c: number;
      if (a < maxFinite) {
        const t = a * invMinSub;
        const e = 31 - Math.clz32(t >>> 0);
        const k = e > m ? e - m : 0;
        const g = mag[k];
        const r = t + g - g;
        if (r > maxT) c = maxCode | sign;
        else if (r < one) c = r | sign;
        else {
          const ri = r >>> 0;
          const er = 31 - Math.clz32(ri);
          c = ((er - m + 1) << m) | ((ri >>> (er - m)) - one) | sign;
        }
      } else if (a !== a) c = nanCode;
      else c = (a === Infinity ? infCode : maxCode) | sign;
      codes[i] = c;
      values[i] = table[c] * scale;
    }
  };
}

/** Decoded value of every code of a format with at most 16 bits, as a lookup table; with
 *  minLength, padded with NaN (so a byte NaN marker such as 0xFF decodes to NaN). */
export function decodeTable(fmt: Minifloat, minLength = 0): Float64Array {
  if (fmt.bits > 16) throw new RangeError(`decode table needs at most 16 bits, ${fmt.id} has ${fmt.bits}`);
  const n = 1 << fmt.bits;
  const t = new Float64Array(Math.max(n, minLength)).fill(NaN);
  for (let c = 0; c < n; c++) t[c] = fmt.decode(c);
  return t;
}

export const encodeE4M3Fast: FastEncoder = makeFastEncoder(E4M3);
export const E4M3_TABLE: Float64Array = decodeTable(E4M3);
export const E2M1_TABLE: Float64Array = decodeTable(E2M1);

// E2M1 midpoints (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5) are all multiples of 0.25, so on the grid
// k = 4|y| the code depends only on floor(k) and on whether k is an integer (a tie).
const E2M1_OPEN = new Uint8Array(28);
const E2M1_TIE = new Uint8Array(28);
for (let j = 0; j < 28; j++) {
  E2M1_OPEN[j] = E2M1.encode((j + 0.5) / 4);
  E2M1_TIE[j] = E2M1.encode(j / 4);
}

/** E2M1 code of x, RNE (a midpoint goes to the neighbour with the even code: 0.25->0, 0.75->1,
 *  1.25->1, 1.75->2, 2.5->2, 3.5->4, 5->4), saturating at ±6. NaN has no E2M1 code: 0xFF. */
export function encodeE2M1Fast(x: number): number {
  let a = x < 0 ? -x : x;
  if (!(a < 6.75)) {
    if (a !== a) return 0xff;
    a = 6.75;
  }
  const k = a * 4;
  const j = k | 0;
  const c = k === j ? E2M1_TIE[j] : E2M1_OPEN[j];
  return x < 0 || (x === 0 && 1 / x < 0) ? c | 8 : c;
}

/** Fake-quantizes x[start, end) to E2M1 with one scale (> 0): codes[i] = E2M1(x[i] / scale),
 *  values[i] = E2M1 value · scale; NaN gets code 0xFF and value NaN. `bits` is a Uint32Array view of
 *  x's buffer: the sign comes from the float32 sign bit (branch-free, -0 included), which is the
 *  sign of x / scale. Bit-identical to encodeE2M1Fast (the tests check both against E2M1.encode). */
export function quantizeE2M1Span(
  x: Float32Array,
  bits: Uint32Array,
  start: number,
  end: number,
  scale: number,
  codes: Uint8Array,
  values: Float32Array,
): void {
  const open = E2M1_OPEN;
  const tie = E2M1_TIE;
  const table = E2M1_VALUES;
  for (let i = start; i < end; i++) {
    const a = Math.abs(x[i] / scale);
    const sign = (bits[i] >>> 28) & 8;
    let c: number;
    if (a < 6.75) {
      const k = a * 4;
      const j = k | 0;
      c = (k === j ? tie[j] : open[j]) | sign;
    } else c = a !== a ? 0xff : 7 | sign;
    codes[i] = c;
    values[i] = table[c] * scale;
  }
}

/** A Uint32Array over the same bytes as a Float32Array (its sign bits, exponents, mantissas). */
export function float32Bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** E2M1 values by code, 256 entries (NaN past 15) so that NAN_CODE decodes to NaN. */
export const E2M1_VALUES: Float64Array = (() => {
  const t = new Float64Array(256).fill(NaN);
  t.set(E2M1_TABLE);
  return t;
})();

/** Nearest E4M3 value of x (saturating at ±448; NaN stays NaN). */
export function roundE4M3(x: number): number {
  return E4M3_TABLE[encodeE4M3Fast(x)];
}

/** Nearest E2M1 value of x (saturating at ±6; NaN stays NaN). */
export function roundE2M1(x: number): number {
  if (x !== x) return NaN;
  return E2M1_TABLE[encodeE2M1Fast(x)];
}

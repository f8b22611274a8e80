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

/** Builds a fast encoder for a minifloat with manBits <= 20: x -> code, RNE, saturating. */
export function makeFastEncoder(fmt: Minifloat): FastEncoder {
  const m = fmt.manBits;
  if (m > 20) throw new RangeError(`fast encoder supports at most 20 mantissa bits, ${fmt.id} has ${m}`);
  const { emin, bias, maxFinite, maxCode, minNormal, minSubnormal, signBit } = fmt;
  const nanCode = fmt.nanCode;
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

/** Decoded value of every code of a format with at most 16 bits, as a lookup table. */
export function decodeTable(fmt: Minifloat): Float64Array {
  if (fmt.bits > 16) throw new RangeError(`decode table needs at most 16 bits, ${fmt.id} has ${fmt.bits}`);
  const t = new Float64Array(1 << fmt.bits);
  for (let c = 0; c < t.length; c++) t[c] = fmt.decode(c);
  return t;
}

export const encodeE4M3Fast: FastEncoder = makeFastEncoder(E4M3);
export const E4M3_TABLE: Float64Array = decodeTable(E4M3);
export const E2M1_TABLE: Float64Array = decodeTable(E2M1);

/** E2M1 code of x by thresholds (midpoints 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5; a midpoint goes to
 *  the neighbour with the even code: 0.25->0, 0.75->1.0, 1.25->1.0, 1.75->2, 2.5->2, 3.5->4, 5->4).
 *  NaN has no E2M1 code: returns 0xFF. */
export function encodeE2M1Fast(x: number): number {
  if (x !== x) return 0xff;
  const sign = x < 0 || (x === 0 && 1 / x < 0) ? 8 : 0;
  const a = x < 0 ? -x : x;
  let c: number;
  if (a <= 1.25) c = a <= 0.25 ? 0 : a < 0.75 ? 1 : 2;
  else if (a <= 2.5) c = a < 1.75 ? 3 : 4;
  else c = a < 3.5 ? 5 : a <= 5 ? 6 : 7;
  return sign | c;
}

/** Nearest E4M3 value of x (saturating at ±448; NaN stays NaN). */
export function roundE4M3(x: number): number {
  return E4M3_TABLE[encodeE4M3Fast(x)];
}

/** Nearest E2M1 value of x (saturating at ±6; NaN stays NaN). */
export function roundE2M1(x: number): number {
  if (x !== x) return NaN;
  return E2M1_TABLE[encodeE2M1Fast(x)];
}

// Scalar number formats (DESIGN.md §2): bit-exact encode/decode, round-to-nearest-even,
// saturation to the largest finite value, NaN in -> NaN out, subnormals where the format has them.
//
// Conventions every format follows:
// - encode(x) takes any JS number (a float64; float32 inputs are exact in it) and rounds it once,
//   directly onto the format's grid (no double rounding through float32).
// - Finite values beyond the range saturate to ±maxFinite. ±Infinity stays ±Infinity in formats
//   that have infinities (an infinity is representable, not rounded), else it saturates too.
// - NaN encodes to the format's canonical NaN code; formats without a NaN encoding return NaN
//   from encode() ("no code") while round() still returns NaN.
// - Codes are plain non-negative integers holding the bit pattern (sign in the top bit), except
//   the integer formats, whose code is the signed integer value itself.

export type FormatKind = 'float' | 'e8m0' | 'nf4' | 'int';

export interface ScalarFormat {
  id: string;
  name: string;
  kind: FormatKind;
  bits: number;
  expBits: number;
  manBits: number;
  bias: number;
  maxFinite: number;
  minNormal: number;
  /** Smallest positive subnormal; equals minNormal when the format has no subnormals. */
  minSubnormal: number;
  hasInf: boolean;
  hasNaN: boolean;
  hasSubnormals: boolean;
  signed: boolean;
  /** Code -> value (NaN for NaN codes). */
  decode(code: number): number;
  /** Value -> code, RNE with saturation; NaN when the format cannot encode NaN. */
  encode(x: number): number;
  /** Nearest representable value (the fake-quantize of one value). */
  round(x: number): number;
  /** Sorted distinct finite values (one zero). Throws for FP32 (2^32 codes). */
  values(): number[];
}

const pow2 = (e: number): number => Math.pow(2, e);

/** floor(log2(a)) for a finite a > 0, exact (Math.log2 can be off by one next to powers of two). */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (pow2(e) > a) e--;
  else if (pow2(e + 1) <= a) e++;
  return e;
}

/** Round a non-negative real to the nearest integer, ties to even. */
export function rneInt(n: number): number {
  const f = Math.floor(n);
  const d = n - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export type SpecialEncoding = 'ieee' | 'fn' | 'none';

interface MinifloatSpec {
  id: string;
  name: string;
  expBits: number;
  manBits: number;
  bias: number;
  /** ieee: all-ones exponent = Inf/NaN; fn: only S.1..1.1..1 is NaN (OCP E4M3); none: all codes finite. */
  specials: SpecialEncoding;
}

/** A sign-exponent-mantissa format with subnormals (FP32, TF32, BF16, FP16, FP8, FP6, FP4). */
export class Minifloat implements ScalarFormat {
  readonly kind = 'float' as const;
  readonly id: string;
  readonly name: string;
  readonly bits: number;
  readonly expBits: number;
  readonly manBits: number;
  readonly bias: number;
  readonly specials: SpecialEncoding;
  readonly maxFinite: number;
  readonly minNormal: number;
  readonly minSubnormal: number;
  readonly hasInf: boolean;
  readonly hasNaN: boolean;
  readonly hasSubnormals = true;
  readonly signed = true;
  /** Smallest unbiased exponent of a normal number. */
  readonly emin: number;
  /** Largest unbiased exponent of a finite number. */
  readonly emax: number;
  readonly signBit: number;
  readonly maxCode: number;
  readonly nanCode: number;
  readonly infCode: number;
  private cachedValues?: number[];

  constructor(spec: MinifloatSpec) {
    this.id = spec.id;
    this.name = spec.name;
    this.expBits = spec.expBits;
    this.manBits = spec.manBits;
    this.bias = spec.bias;
    this.specials = spec.specials;
    this.bits = 1 + spec.expBits + spec.manBits;
    this.signBit = pow2(this.bits - 1);
    const m = spec.manBits;
    const expAllOnes = pow2(spec.expBits) - 1;
    const manAllOnes = pow2(m) - 1;
    this.emin = 1 - spec.bias;
    this.hasInf = spec.specials === 'ieee';
    this.hasNaN = spec.specials !== 'none';
    if (spec.specials === 'ieee') {
      this.emax = expAllOnes - 1 - spec.bias;
      this.maxCode = (expAllOnes - 1) * pow2(m) + manAllOnes;
      this.maxFinite = pow2(this.emax) * (2 - pow2(-m));
      this.infCode = expAllOnes * pow2(m);
      // Quiet NaN: all-ones exponent, top mantissa bit set.
      this.nanCode = expAllOnes * pow2(m) + pow2(m - 1);
    } else if (spec.specials === 'fn') {
      this.emax = expAllOnes - spec.bias;
      this.maxCode = expAllOnes * pow2(m) + manAllOnes - 1;
      this.maxFinite = pow2(this.emax) * (2 - pow2(1 - m));
      this.infCode = NaN;
      this.nanCode = expAllOnes * pow2(m) + manAllOnes;
    } else {
      this.emax = expAllOnes - spec.bias;
      this.maxCode = expAllOnes * pow2(m) + manAllOnes;
      this.maxFinite = pow2(this.emax) * (2 - pow2(-m));
      this.infCode = NaN;
      this.nanCode = NaN;
    }
    this.minNormal = pow2(this.emin);
    this.minSubnormal = pow2(this.emin - m);
  }

  /** RNE of a finite magnitude a >= 0 onto the (unbounded above) grid; no saturation. */
  roundMagnitude(a: number): number {
    if (a === 0) return 0;
    const e = Math.max(floorLog2(a), this.emin);
    const quantum = pow2(e - this.manBits);
    return rneInt(a / quantum) * quantum;
  }

  /** Bit fields (without sign) of a representable finite magnitude r. */
  private fieldsOf(r: number): number {
    if (r === 0) return 0;
    if (r < this.minNormal) return r / this.minSubnormal;
    const e = floorLog2(r);
    return (e + this.bias) * pow2(this.manBits) + (r / pow2(e - this.manBits) - pow2(this.manBits));
  }

  encode(x: number): number {
    if (Number.isNaN(x)) return this.nanCode;
    const negative = x < 0 || Object.is(x, -0);
    const sign = negative ? this.signBit : 0;
    const a = Math.abs(x);
    if (a === Infinity) return sign + (this.hasInf ? this.infCode : this.maxCode);
    const r = this.roundMagnitude(a);
    if (r > this.maxFinite) return sign + this.maxCode;
    return sign + this.fieldsOf(r);
  }

  decode(code: number): number {
    const m = this.manBits;
    const negative = code >= this.signBit;
    const body = negative ? code - this.signBit : code;
    const exp = Math.floor(body / pow2(m));
    const man = body - exp * pow2(m);
    const expAllOnes = pow2(this.expBits) - 1;
    let v: number;
    if (this.specials === 'ieee' && exp === expAllOnes) v = man === 0 ? Infinity : NaN;
    else if (this.specials === 'fn' && exp === expAllOnes && man === pow2(m) - 1) v = NaN;
    else if (exp === 0) v = man * this.minSubnormal;
    else v = (pow2(m) + man) * pow2(exp - this.bias - m);
    return negative ? -v : v;
  }

  round(x: number): number {
    if (Number.isNaN(x)) return NaN;
    return this.decode(this.encode(x));
  }

  values(): number[] {
    if (this.cachedValues) return this.cachedValues;
    if (this.bits > 20) throw new RangeError(`${this.id} has 2^${this.bits} codes; values() is not enumerable`);
    const out: number[] = [];
    for (let c = 0; c < this.signBit; c++) {
      const v = this.decode(c);
      if (Number.isFinite(v)) out.push(v);
    }
    const neg = out.filter((v) => v > 0).map((v) => -v);
    this.cachedValues = [...neg.reverse(), ...out];
    return this.cachedValues;
  }
}

/** E8M0: unsigned power-of-two scale 2^(code-127), codes 0..254; 255 is NaN. No zero, no sign. */
export class E8M0 implements ScalarFormat {
  readonly id = 'e8m0';
  readonly name = 'E8M0 (MX scale)';
  readonly kind = 'e8m0' as const;
  readonly bits = 8;
  readonly expBits = 8;
  readonly manBits = 0;
  readonly bias = 127;
  readonly maxFinite = pow2(127);
  readonly minNormal = pow2(-127);
  readonly minSubnormal = pow2(-127);
  readonly hasInf = false;
  readonly hasNaN = true;
  readonly hasSubnormals = false;
  readonly signed = false;
  readonly nanCode = 255;

  decode(code: number): number {
    return code === 255 ? NaN : pow2(code - 127);
  }

  /** Nearest power of two (ties, at 1.5·2^k, go to the even mantissa: 2^(k+1)); zero and tiny
   *  values go to 2^-127 (no zero exists); negative values are not representable: NaN code. */
  encode(x: number): number {
    if (Number.isNaN(x) || x < 0) return this.nanCode;
    if (x === 0) return 0;
    if (x === Infinity) return 254;
    const e = floorLog2(x);
    const r = rneInt(x / pow2(e)) === 2 ? e + 1 : e;
    return Math.min(254, Math.max(0, r + 127));
  }

  round(x: number): number {
    return this.decode(this.encode(x));
  }

  values(): number[] {
    return Array.from({ length: 255 }, (_, c) => pow2(c - 127));
  }
}

/** The 16 NF4 levels of QLoRA, as the float32 constants of bitsandbytes (codes 0..15). */
export const NF4_LEVELS: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];

/** Midpoints between consecutive NF4 levels (float64, exact for float32 neighbours). */
const NF4_MIDPOINTS = NF4_LEVELS.slice(1).map((v, i) => (v + NF4_LEVELS[i]) / 2);

export function encodeNf4(x: number): number {
  // Binary search for the first midpoint >= x; ties go to the even code.
  let lo = 0;
  let hi = NF4_MIDPOINTS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (NF4_MIDPOINTS[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo < NF4_MIDPOINTS.length && NF4_MIDPOINTS[lo] === x && lo % 2 === 1) return lo + 1;
  return lo;
}

class Nf4 implements ScalarFormat {
  readonly id = 'nf4';
  readonly name = 'NF4 (QLoRA NormalFloat)';
  readonly kind = 'nf4' as const;
  readonly bits = 4;
  readonly expBits = 0;
  readonly manBits = 0;
  readonly bias = 0;
  readonly maxFinite = 1;
  readonly minNormal = NF4_LEVELS[8];
  readonly minSubnormal = NF4_LEVELS[8];
  readonly hasInf = false;
  readonly hasNaN = false;
  readonly hasSubnormals = false;
  readonly signed = true;

  decode(code: number): number {
    return NF4_LEVELS[code] ?? NaN;
  }

  encode(x: number): number {
    if (Number.isNaN(x)) return NaN;
    return encodeNf4(x);
  }

  round(x: number): number {
    return Number.isNaN(x) ? NaN : NF4_LEVELS[encodeNf4(x)];
  }

  values(): number[] {
    return [...NF4_LEVELS];
  }
}

/** Integers in [min, max] with unit step; the code is the integer itself. Symmetric signed
 *  formats use ±(2^(b-1)-1) (absmax quantization never needs -2^(b-1)); unsigned ones 0..2^b-1
 *  (asymmetric quantization with a zero point). */
export class IntFormat implements ScalarFormat {
  readonly kind = 'int' as const;
  readonly expBits = 0;
  readonly manBits: number;
  readonly bias = 0;
  readonly minNormal = 1;
  readonly minSubnormal = 1;
  readonly hasInf = false;
  readonly hasNaN = false;
  readonly hasSubnormals = false;
  readonly min: number;
  readonly maxFinite: number;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly bits: number,
    readonly signed: boolean,
  ) {
    this.manBits = signed ? bits - 1 : bits;
    this.maxFinite = signed ? pow2(bits - 1) - 1 : pow2(bits) - 1;
    this.min = signed ? -this.maxFinite : 0;
  }

  decode(code: number): number {
    return Number.isInteger(code) && code >= this.min && code <= this.maxFinite ? code : NaN;
  }

  encode(x: number): number {
    if (Number.isNaN(x)) return NaN;
    if (x >= this.maxFinite) return this.maxFinite;
    if (x <= this.min) return this.min;
    const r = x < 0 ? -rneInt(-x) : rneInt(x);
    return r === 0 ? 0 : r; // no -0 code
  }

  round(x: number): number {
    return this.encode(x);
  }

  values(): number[] {
    const out: number[] = [];
    for (let v = this.min; v <= this.maxFinite; v++) out.push(v);
    return out;
  }
}

export const FP32 = new Minifloat({
  id: 'fp32',
  name: 'FP32 (IEEE binary32)',
  expBits: 8,
  manBits: 23,
  bias: 127,
  specials: 'ieee',
});
export const TF32 = new Minifloat({
  id: 'tf32',
  name: 'TF32 (NVIDIA TensorFloat-32)',
  expBits: 8,
  manBits: 10,
  bias: 127,
  specials: 'ieee',
});
export const BF16 = new Minifloat({
  id: 'bf16',
  name: 'BF16 (bfloat16)',
  expBits: 8,
  manBits: 7,
  bias: 127,
  specials: 'ieee',
});
export const FP16 = new Minifloat({
  id: 'fp16',
  name: 'FP16 (IEEE binary16)',
  expBits: 5,
  manBits: 10,
  bias: 15,
  specials: 'ieee',
});
export const E4M3 = new Minifloat({
  id: 'e4m3',
  name: 'FP8 E4M3 (OCP FN)',
  expBits: 4,
  manBits: 3,
  bias: 7,
  specials: 'fn',
});
export const E5M2 = new Minifloat({
  id: 'e5m2',
  name: 'FP8 E5M2 (OCP)',
  expBits: 5,
  manBits: 2,
  bias: 15,
  specials: 'ieee',
});
export const E2M3 = new Minifloat({
  id: 'e2m3',
  name: 'FP6 E2M3 (OCP MX)',
  expBits: 2,
  manBits: 3,
  bias: 1,
  specials: 'none',
});
export const E3M2 = new Minifloat({
  id: 'e3m2',
  name: 'FP6 E3M2 (OCP MX)',
  expBits: 3,
  manBits: 2,
  bias: 3,
  specials: 'none',
});
export const E2M1 = new Minifloat({
  id: 'e2m1',
  name: 'FP4 E2M1 (OCP MX)',
  expBits: 2,
  manBits: 1,
  bias: 1,
  specials: 'none',
});
export const E8M0_FORMAT = new E8M0();
export const NF4 = new Nf4();
export const INT8 = new IntFormat('int8', 'INT8 symmetric (±127)', 8, true);
export const INT4 = new IntFormat('int4', 'INT4 symmetric (±7)', 4, true);
export const UINT8 = new IntFormat('uint8', 'UINT8 (asymmetric, zero point)', 8, false);
export const UINT4 = new IntFormat('uint4', 'UINT4 (asymmetric, zero point)', 4, false);

/** Every scalar format, in the order the formats table shows them. */
export const SCALAR_FORMATS: readonly ScalarFormat[] = [
  FP32,
  TF32,
  BF16,
  FP16,
  E4M3,
  E5M2,
  E2M3,
  E3M2,
  E2M1,
  E8M0_FORMAT,
  NF4,
  INT8,
  INT4,
  UINT8,
  UINT4,
];

const byId = new Map(SCALAR_FORMATS.map((f) => [f.id, f]));

export function scalarFormatIds(): string[] {
  return SCALAR_FORMATS.map((f) => f.id);
}

export function getScalarFormat(id: string): ScalarFormat {
  const f = byId.get(id);
  if (!f) throw new Error(`unknown scalar format "${id}" (known: ${scalarFormatIds().join(', ')})`);
  return f;
}

export function findScalarFormat(id: string): ScalarFormat | undefined {
  return byId.get(id);
}

// Pure helpers over the core's scalar formats for lesson 1: which values lie in a range, the two
// neighbours of a typed value, and a code's bit fields. Nothing here rounds: the core does.
import { Minifloat, type ScalarFormat } from '../../core/formats';
import { exact } from './fmt';

export const RANGE_CAP = 4096;

/** Representable finite values of `f` in [lo, hi], ascending; `truncated` when more than RANGE_CAP. */
export function valuesInRange(f: ScalarFormat, lo: number, hi: number): { values: number[]; truncated: boolean } {
  if (!(f instanceof Minifloat) || f.bits <= 16) {
    const all = f.values().filter((v) => v >= lo && v <= hi);
    return all.length > RANGE_CAP
      ? { values: all.slice(0, RANGE_CAP), truncated: true }
      : { values: all, truncated: false };
  }
  // Wide floats (TF32, FP32): walk codes, which grow with the magnitude for a fixed sign.
  const positives: number[] = [];
  const negatives: number[] = [];
  let truncated = false;
  const walk = (from: number, to: number, sign: number, out: number[]) => {
    // Magnitudes in [from, to], from >= 0.
    let code = f.encode(from);
    if (f.decode(code) < from) code++;
    for (; ; code++) {
      const v = f.decode(code);
      if (!Number.isFinite(v) || v > to) break;
      if (out.length >= RANGE_CAP) {
        truncated = true;
        break;
      }
      out.push(sign * v);
    }
  };
  if (hi >= 0) walk(Math.max(lo, 0), hi, 1, positives);
  // Negative side without its zero (the positive walk has it when the range spans 0).
  if (lo < 0) walk(Math.max(-hi, hi >= 0 ? f.minSubnormal : 0), -lo, -1, negatives);
  return { values: [...negatives.reverse(), ...positives], truncated };
}

/** The nearest representable values at or below and at or above x (null past the ends of the range). */
export function neighbours(f: ScalarFormat, x: number): { below: number | null; above: number | null } {
  if (f instanceof Minifloat && f.bits > 16) {
    const r = f.round(x);
    if (r === x) return { below: r, above: r };
    const step = (v: number, up: boolean): number | null => {
      // Codes grow with |v|: moving up means code+1 for v >= 0 and code-1 for v < 0.
      const code = f.encode(v);
      const towardLarger = v > 0 || (v === 0 && up) ? up : !up;
      let next: number;
      if (v === 0) next = up ? f.decode(1) : -f.decode(1);
      else next = f.decode(towardLarger ? code + 1 : code - 1);
      return Number.isFinite(next) ? next : null;
    };
    return r < x
      ? { below: r, above: Math.abs(r) === f.maxFinite && r > 0 ? null : step(r, true) }
      : { below: step(r, false), above: r };
  }
  const values = f.values();
  let below: number | null = null;
  let above: number | null = null;
  for (const v of values) {
    if (v <= x) below = v;
    if (v >= x && above === null) above = v;
  }
  return { below, above };
}

export interface BitFields {
  /** Each field left to right, with its bits as a string of 0/1. */
  fields: { name: 'sign' | 'exponent' | 'mantissa' | 'integer' | 'index'; bits: string }[];
  /** The arithmetic that gives the value, with the field values substituted. */
  arithmetic: string;
  /** The same without its words: the formula, and which words go around it (learn:formats.arith.<words>). */
  math: string;
  words: 'twosComplement' | 'unsigned' | 'allOnes' | 'special' | 'subnormal' | null;
  /** The value the arithmetic yields (the core's decode of the code). */
  value: number;
}

const bin = (n: number, width: number) => (width === 0 ? '' : n.toString(2).padStart(width, '0'));

/** Splits a code into fields and writes the formula that decodes it. */
export function bitFields(f: ScalarFormat, code: number): BitFields {
  const value = f.decode(code);
  const show = exact;
  if (f.kind === 'int') {
    const width = f.bits;
    const pattern = code < 0 ? (2 ** width + code).toString(2) : bin(code, width);
    const math = `${pattern} = ${show(code)}`;
    return {
      fields: [{ name: 'integer', bits: pattern }],
      arithmetic: f.signed
        ? `two's complement ${math}`
        : `unsigned ${math} (the zero point and scale of lesson 3 map it to a real value)`,
      math,
      words: f.signed ? 'twosComplement' : 'unsigned',
      value,
    };
  }
  if (f.kind === 'nf4') {
    return {
      fields: [{ name: 'index', bits: bin(code, 4) }],
      arithmetic: `NF4 level[${code}] = ${show(value)}`,
      math: `NF4 level[${code}] = ${show(value)}`,
      words: null,
      value,
    };
  }
  if (f.kind === 'e8m0') {
    const math = code === 255 ? 'NaN' : `2^(${code} − 127) = 2^${show(code - 127)} = ${show(value)}`;
    return {
      fields: [{ name: 'exponent', bits: bin(code, 8) }],
      arithmetic: code === 255 ? 'all ones = NaN' : math,
      math,
      words: code === 255 ? 'allOnes' : null,
      value,
    };
  }
  const m = f.manBits;
  const signBit = 2 ** (f.bits - 1);
  const s = code >= signBit ? 1 : 0;
  const body = code - s * signBit;
  const e = Math.floor(body / 2 ** m);
  const man = body - e * 2 ** m;
  const fields: BitFields['fields'] = [
    { name: 'sign', bits: String(s) },
    { name: 'exponent', bits: bin(e, f.expBits) },
    { name: 'mantissa', bits: bin(man, m) },
  ];
  let math: string;
  let words: BitFields['words'] = null;
  if (!Number.isFinite(value)) [math, words] = [show(value), 'special'];
  else if (e === 0)
    [math, words] = [`(−1)^${s} × 2^(1 − ${f.bias}) × (${man}/${2 ** m}) = ${show(value)}`, 'subnormal'];
  else
    math = `(−1)^${s} × 2^(${e} − ${f.bias}) × (1 + ${man}/${2 ** m}) = ${s ? '−' : ''}${show(2 ** (e - f.bias))} × ${show(
      1 + man / 2 ** m,
    )} = ${show(value)}`;
  const arithmetic =
    words === 'special' ? `special code: ${math}` : words === 'subnormal' ? `subnormal: ${math}` : math;
  return { fields, arithmetic, math, words, value };
}

/** Dynamic range in binades (log2 of largest over smallest positive value) and the relative spacing. */
export function rangeAndPrecision(f: ScalarFormat): { binades: number; decades: number; relStep: number } {
  const smallest = f.kind === 'int' ? 1 : f.minSubnormal;
  const binades = Math.log2(f.maxFinite / smallest);
  // Relative gap between neighbours just above 1 (floats), or at the top of the range (ints, NF4).
  let relStep: number;
  if (f.kind === 'float') relStep = 2 ** -f.manBits;
  else if (f.kind === 'e8m0') relStep = 1;
  else {
    const v = f.values();
    relStep = (v[v.length - 1] - v[v.length - 2]) / v[v.length - 1];
  }
  return { binades, decades: Math.log10(f.maxFinite / smallest), relStep };
}

// Dropping the low mantissa bits of float32 values, by truncation (zeroing them: rounds toward zero) or by
// rounding to nearest, ties to even (a Minifloat with FP32's exponent and `keep` mantissa bits; 7 bits is
// exactly BF16, 10 is TF32). Used by the truncation lesson (a synthetic tensor) and by the pipeline worker
// (every linear weight of the loaded model): one implementation for both.
import { Minifloat } from './scalar.ts';
import { quantizeGrouped } from './grouped.ts';

export type MantissaMode = 'truncate' | 'round';
export const MANTISSA_MODES: readonly MantissaMode[] = ['truncate', 'round'];

function checkKeep(keep: number): void {
  if (!Number.isInteger(keep) || keep < 0 || keep > 23)
    throw new RangeError(`mantissa bits to keep must be 0..23, got ${keep}`);
}

/** Zeroes the lowest 23 − keep mantissa bits of each float32 (rounds toward zero). */
export function truncateMantissa(x: Float32Array, keep: number): Float32Array {
  checkKeep(keep);
  const out = new Float32Array(x);
  const bits = new Uint32Array(out.buffer);
  const mask = (0xffffffff << (23 - keep)) >>> 0;
  for (let i = 0; i < bits.length; i++) bits[i] = (bits[i] & mask) >>> 0;
  return out;
}

const roundFormats = new Map<number, Minifloat>();
/** FP32's sign and exponent with `keep` mantissa bits: the core rounds to it (nearest, ties to even). */
export function fp32WithMantissa(keep: number): Minifloat {
  checkKeep(keep);
  let f = roundFormats.get(keep);
  if (!f) {
    f = new Minifloat({ id: `e8m${keep}`, name: `E8M${keep}`, expBits: 8, manBits: keep, bias: 127, specials: 'ieee' });
    roundFormats.set(keep, f);
  }
  return f;
}

/** Rounds each float32 to `keep` mantissa bits (nearest, ties to even); 23 bits is a plain copy. */
export function roundMantissa(x: Float32Array, keep: number): Float32Array {
  checkKeep(keep);
  if (keep === 23) return new Float32Array(x);
  return quantizeGrouped(x, fp32WithMantissa(keep), { scaling: 'none' }).values;
}

/** A copy of x with `keep` mantissa bits, by truncation or rounding. */
export function reduceMantissa(x: Float32Array, keep: number, mode: MantissaMode): Float32Array {
  if (mode === 'truncate') return truncateMantissa(x, keep);
  if (mode === 'round') return roundMantissa(x, keep);
  throw new Error(`mode must be "truncate" or "round", got "${String(mode)}"`);
}

// Text forms of codes for tables and the formats page: hex and bits grouped sign|exponent|mantissa.
import type { ScalarFormat } from './scalar.ts';

/** Unsigned bit pattern of a code (two's complement for signed integer formats). */
export function codeBitsValue(fmt: ScalarFormat, code: number): number {
  return fmt.kind === 'int' && code < 0 ? code + 2 ** fmt.bits : code;
}

/** Hex of a code, zero-padded to the format's width: e.g. 0x7e for E4M3 448. "—" when there is no code. */
export function codeHex(fmt: ScalarFormat, code: number): string {
  if (!Number.isFinite(code)) return '—';
  return (
    '0x' +
    codeBitsValue(fmt, code)
      .toString(16)
      .padStart(Math.ceil(fmt.bits / 4), '0')
  );
}

/** Bits grouped by field: sign|exponent|mantissa for floats (e.g. "0|1111|110"), exponent only for
 *  E8M0, sign|magnitude bits for signed integers, plain bits for NF4 indices and unsigned ints. */
export function codeBits(fmt: ScalarFormat, code: number): string {
  if (!Number.isFinite(code)) return '—';
  const s = codeBitsValue(fmt, code).toString(2).padStart(fmt.bits, '0');
  if (fmt.kind === 'float') return `${s[0]}|${s.slice(1, 1 + fmt.expBits)}|${s.slice(1 + fmt.expBits)}`;
  if (fmt.kind === 'int' && fmt.signed) return `${s[0]}|${s.slice(1)}`;
  return s;
}

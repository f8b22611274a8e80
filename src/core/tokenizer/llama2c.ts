// llama2.c tokenizer files (tokenizer.bin, tok512.bin): sentencepiece BPE with scores and byte
// fallback, encoding and decoding exactly as llama2.c run.c's encode() and decode() do.
//
// File: int32 max_token_length, then per id: float32 score, int32 length, the piece's bytes.
// Pieces are handled as byte strings (one char per byte, "latin1") so that lookups and
// concatenations mean exactly what they mean in C.
//
// run.c merges by rescanning all adjacent pairs for the best-scoring merge (O(n^2)). Here the
// candidate pairs live in a max-heap ordered by (score desc, position asc) over a linked list of
// tokens; stale entries are skipped when popped. It performs the same merges in the same order:
// the heap always holds every currently adjacent mergeable pair, so its top is run.c's choice,
// including the leftmost-wins rule on equal scores (list order equals original index order).

import type { Tokenizer } from '../model/types';
import { PairHeap } from './pairHeap';

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

const BOS = 1;
const EOS = 2;
/** run.c starts its search with best_score = -1e10 and takes only strictly greater scores. */
const MIN_MERGE_SCORE = -1e10;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Byte string (one char per byte); TextDecoder('latin1') is really windows-1252, so map by hand. */
function byteString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Pieces packed in one byte array: piece i is bytes[offsets[i], offsets[i + 1]). No object per token. */
export interface PieceTable {
  bytes: Uint8Array;
  offsets: Uint32Array;
}

export interface Llama2cTokenizerOptions {
  bosId?: number;
  eosId?: number;
  /** A false (or 0) entry keeps the piece out of text matching. */
  matchable?: ArrayLike<boolean | number>;
  addDummyPrefix?: boolean;
}

function packPieces(pieces: readonly Uint8Array[]): PieceTable {
  const offsets = new Uint32Array(pieces.length + 1);
  for (let i = 0; i < pieces.length; i++) offsets[i + 1] = offsets[i] + pieces[i].length;
  const bytes = new Uint8Array(offsets[pieces.length]);
  pieces.forEach((p, i) => bytes.set(p, offsets[i]));
  return { bytes, offsets };
}

export class Llama2cTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly maxTokenLength: number;
  /** float32 scores as stored. */
  readonly scores: Float32Array;
  private readonly table: PieceTable;
  /** Pieces as byte strings (duplicates, e.g. a million empty pieces, share one string). */
  private readonly pieceStrings: string[];
  private readonly lookup = new Map<string, number>();
  /** Raw byte for `<0xHH>` pieces, -1 otherwise (decode turns those into the byte itself). */
  private readonly rawByte: Int16Array;
  /** Cache of pair -> merged id (-1 when the concatenation is not in the vocabulary). */
  private readonly pairCache = new Map<number, number>();
  private readonly options: Llama2cTokenizerOptions;

  /** run.c always prepends " "; sentencepiece models may switch it off (GGUF tokenizer.ggml.add_space_prefix). */
  readonly addDummyPrefix: boolean;
  /** Id of the `<0xHH>` piece for each byte (run.c assumes b + 3, which holds for llama2.c files). */
  private readonly byteFallback = new Int32Array(256);

  /**
   * `options.matchable[id] === false` keeps a piece out of text matching (GGUF control, unused and
   * byte tokens, as sentencepiece does); llama2.c files carry no types, so every piece matches.
   */
  constructor(
    pieces: readonly Uint8Array[] | PieceTable,
    scores: Float32Array,
    maxTokenLength: number,
    options: Llama2cTokenizerOptions = {},
  ) {
    const table = Array.isArray(pieces) ? packPieces(pieces) : (pieces as PieceTable);
    const n = table.offsets.length - 1;
    if (scores.length !== n) throw new TokenizerError(`${n} pieces but ${scores.length} scores`);
    this.options = options;
    this.addDummyPrefix = options.addDummyPrefix ?? true;
    this.vocabSize = n;
    this.bosId = options.bosId ?? BOS;
    this.eosId = options.eosId ?? EOS;
    for (const [what, id] of [
      ['bos', this.bosId],
      ['eos', this.eosId],
    ] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= n)
        throw new TokenizerError(`${what} id ${id} is outside the vocabulary (0..${n - 1})`);
    }
    this.table = table;
    this.scores = scores;
    this.maxTokenLength = maxTokenLength;
    this.pieceStrings = new Array<string>(n);
    for (let id = 0; id < n; id++) this.pieceStrings[id] = byteString(this.pieceBytes(id));
    this.rawByte = new Int16Array(n).fill(-1);
    // run.c: byte b is id b + 3. Vocabularies with `<0xHH>` pieces (all real ones) use those ids;
    // a byte without a piece becomes <unk> (0), as in sentencepiece, rather than an arbitrary id.
    const isByte = (p: string) => p.length === 6 && /^<0x[0-9A-Fa-f]{2}>$/.test(p);
    const hasBytePieces = this.pieceStrings.some(isByte);
    for (let b = 0; b < 256; b++) this.byteFallback[b] = !hasBytePieces && b + 3 < n ? b + 3 : 0;
    const m = options.matchable;
    this.pieceStrings.forEach((p, id) => {
      // run.c's str_lookup is a bsearch over sorted pieces; with duplicates it would pick an
      // unspecified one. Keep the first and let tests check that real vocabularies have none.
      const match = m?.[id];
      if (!this.lookup.has(p) && match !== false && match !== 0) this.lookup.set(p, id);
      if (isByte(p)) {
        this.rawByte[id] = parseInt(p.slice(3, 5), 16);
        this.byteFallback[this.rawByte[id]] = id;
      }
    });
    this.segmentAtSpaces =
      this.lookup.has(' ') && ![...this.lookup].some(([p, id]) => this.scores[id] > MIN_MERGE_SCORE && /[^ ] /.test(p));
  }

  private pieceBytes(id: number): Uint8Array {
    return this.table.bytes.subarray(this.table.offsets[id], this.table.offsets[id + 1]);
  }

  /** The first `n` tokens only (a vocabulary cut to a model's embedding); bos/eos must lie below n. */
  truncated(n: number): Llama2cTokenizer {
    if (n >= this.vocabSize) return this;
    const matchable = this.options.matchable
      ? Array.from({ length: n }, (_, i) => this.options.matchable![i])
      : undefined;
    return new Llama2cTokenizer(
      { bytes: this.table.bytes, offsets: this.table.offsets.subarray(0, n + 1) },
      this.scores.subarray(0, n),
      this.maxTokenLength,
      { ...this.options, bosId: this.bosId, eosId: this.eosId, matchable },
    );
  }

  /** True when cutting before a space never separates a pair run.c could merge (see merge()). */
  private readonly segmentAtSpaces: boolean;

  /** Number of piece strings that occur more than once (0 for the real vocabularies). */
  get duplicatePieces(): number {
    return this.vocabSize - new Set(this.pieceStrings).size;
  }

  piece(id: number): string {
    this.checkId(id);
    return utf8Decoder.decode(this.pieceBytes(id));
  }

  /** The id of a piece given as text, or -1. */
  idOf(piece: string): number {
    return this.lookup.get(byteString(utf8Encoder.encode(piece))) ?? -1;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
      throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
  }

  private mergeOf(a: number, b: number): number {
    const key = a * this.vocabSize + b;
    let id = this.pairCache.get(key);
    if (id === undefined) {
      id = this.lookup.get(this.pieceStrings[a] + this.pieceStrings[b]) ?? -1;
      if (id >= 0 && !(this.scores[id] > MIN_MERGE_SCORE)) id = -1;
      this.pairCache.set(key, id);
    }
    return id;
  }

  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    return Array.from(this.encodeToArray(text, options));
  }

  /** Same as encode, as an Int32Array (cheaper for long texts). */
  encodeToArray(text: string, options: { bos?: boolean; eos?: boolean } = {}): Int32Array {
    const bytes = utf8Encoder.encode(text);
    const initial = this.initialTokens(bytes);
    const merged = this.merge(initial);
    const n = merged.length + (options.bos ? 1 : 0) + (options.eos ? 1 : 0);
    const out = new Int32Array(n);
    let o = 0;
    if (options.bos) out[o++] = this.bosId;
    out.set(merged, o);
    o += merged.length;
    if (options.eos) out[o++] = this.eosId;
    return out;
  }

  /** Dummy-prefix space, then one id per UTF-8 code point (up to 4 bytes) or its byte-fallback ids. */
  private initialTokens(bytes: Uint8Array): Int32Array {
    if (bytes.length === 0) return new Int32Array(0);
    const out = new Int32Array(bytes.length + 1);
    let n = 0;
    if (this.addDummyPrefix) {
      const space = this.lookup.get(' ');
      if (space === undefined)
        throw new TokenizerError('the vocabulary has no " " piece (run.c needs it for the dummy prefix)');
      out[n++] = space;
    }
    let start = 0;
    let len = 0;
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i] & 0xc0) !== 0x80) {
        start = i;
        len = 0;
      }
      len++;
      // Mirrors run.c: keep collecting while the next byte continues this code point (max 4 bytes).
      if (i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && len < 4) continue;
      let key = '';
      for (let j = start; j < start + len; j++) key += String.fromCharCode(bytes[j]);
      const id = this.lookup.get(key);
      if (id !== undefined) out[n++] = id;
      else for (let j = start; j < start + len; j++) out[n++] = this.byteFallback[bytes[j]];
      start = i + 1;
      len = 0;
    }
    return out.subarray(0, n);
  }

  /**
   * run.c's merge loop over the whole sequence. When no mergeable piece contains a non-space byte
   * followed by a space (true of tok512 and the Llama 2 vocabulary; checked at construction), no
   * merge can join a token ending in a non-space to one starting with a space, so the sequence is
   * cut there and each segment merged on its own. The merges inside a segment are then exactly
   * those run.c performs there, in the same order: run.c's global best pair, whenever it lies in a
   * segment, is also that segment's best (and leftmost among equals), and segments never interact.
   */
  private merge(tokens: Int32Array): Int32Array {
    const n = tokens.length;
    const tok = tokens.slice();
    if (n < 2) return tok;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n);
    const heap = new PairHeap(1024);
    const out = new Int32Array(n);
    let count = 0;
    const space = this.segmentAtSpaces ? this.lookup.get(' ')! : -1;
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && !(tok[i] === space && tok[i - 1] !== space)) continue;
      count = this.mergeRange(tok, start, i, next, prev, alive, heap, out, count);
      start = i;
    }
    return out.slice(0, count);
  }

  /** Merges tok[start, end) (a linked list with a heap of candidate pairs) and appends the result to out. */
  private mergeRange(
    tok: Int32Array,
    start: number,
    end: number,
    next: Int32Array,
    prev: Int32Array,
    alive: Uint8Array,
    heap: PairHeap,
    out: Int32Array,
    count: number,
  ): number {
    for (let i = start; i < end; i++) {
      next[i] = i + 1 < end ? i + 1 : -1;
      prev[i] = i - 1 >= start ? i - 1 : -1;
      alive[i] = 1;
    }
    heap.size = 0;
    for (let i = start; i + 1 < end; i++) {
      const m = this.mergeOf(tok[i], tok[i + 1]);
      if (m >= 0) heap.push(this.scores[m], i, i + 1, m);
    }
    while (heap.size > 0) {
      const left = heap.topLeft();
      const right = heap.topRight();
      const merged = heap.topMerged();
      heap.pop();
      // Stale entries: a side was merged away or changed since this pair was pushed.
      if (!alive[left] || !alive[right] || next[left] !== right) continue;
      if (this.mergeOf(tok[left], tok[right]) !== merged) continue;
      tok[left] = merged;
      alive[right] = 0;
      const after = next[right];
      next[left] = after;
      if (after >= 0) prev[after] = left;
      const before = prev[left];
      if (before >= 0) {
        const m = this.mergeOf(tok[before], merged);
        if (m >= 0) heap.push(this.scores[m], before, left, m);
      }
      if (after >= 0) {
        const m = this.mergeOf(merged, tok[after]);
        if (m >= 0) heap.push(this.scores[m], left, after, m);
      }
    }
    for (let i = start; i >= 0; i = next[i]) out[count++] = tok[i];
    return count;
  }

  /**
   * As run.c prints tokens: BOS/EOS produce nothing, a piece right after BOS loses its leading
   * space, `<0xHH>` pieces are raw bytes; the byte stream is decoded as UTF-8 at the end.
   */
  decode(ids: readonly number[]): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    let prevId = -1;
    for (const id of ids) {
      this.checkId(id);
      const after = prevId;
      prevId = id;
      if (id === this.bosId || id === this.eosId) continue;
      const raw = this.rawByte[id];
      let p: Uint8Array;
      if (raw >= 0) p = Uint8Array.of(raw);
      else {
        p = this.pieceBytes(id);
        if (after === this.bosId && p[0] === 0x20) p = p.subarray(1);
      }
      parts.push(p);
      total += p.length;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return utf8Decoder.decode(all);
  }
}

/** Parses a llama2.c tokenizer file for a model with `vocabSize` tokens. */
export function parseLlama2cTokenizer(bytes: Uint8Array, vocabSize: number): Llama2cTokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new TokenizerError(`invalid vocabulary size ${vocabSize}`);
  // Each entry takes at least 8 bytes, which bounds how many entries a file this size can hold.
  if (4 + 8 * vocabSize > bytes.byteLength) {
    throw new TokenizerError(
      `truncated or wrong tokenizer file: ${vocabSize} tokens need at least ${4 + 8 * vocabSize} bytes, the file has ${bytes.byteLength}`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxTokenLength = dv.getInt32(0, true);
  if (maxTokenLength <= 0 || maxTokenLength > 1024)
    throw new TokenizerError(`not a llama2.c tokenizer file: max_token_length = ${maxTokenLength}`);
  const scores = new Float32Array(vocabSize);
  // Pieces are copied into one array (no object per token): first their places, then the bytes.
  const starts = new Uint32Array(vocabSize);
  const offsets = new Uint32Array(vocabSize + 1);
  let o = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (o + 8 > bytes.byteLength)
      throw new TokenizerError(
        `truncated tokenizer file: ends inside the entry of token ${id} of ${vocabSize} (at byte ${o})`,
      );
    scores[id] = dv.getFloat32(o, true);
    if (!Number.isFinite(scores[id]))
      throw new TokenizerError(`not a llama2.c tokenizer file: token ${id} has the score ${scores[id]}`);
    const len = dv.getInt32(o + 4, true);
    o += 8;
    if (len < 0 || len > maxTokenLength)
      throw new TokenizerError(
        `not a llama2.c tokenizer file: token ${id} has length ${len} (max_token_length ${maxTokenLength})`,
      );
    if (o + len > bytes.byteLength)
      throw new TokenizerError(
        `truncated tokenizer file: token ${id} needs bytes up to ${o + len}, the file has ${bytes.byteLength}`,
      );
    starts[id] = o;
    offsets[id + 1] = offsets[id] + len;
    o += len;
  }
  if (o !== bytes.byteLength) {
    throw new TokenizerError(
      `tokenizer file has ${bytes.byteLength - o} bytes after ${vocabSize} tokens: it was made for a larger vocabulary than the model's ${vocabSize}`,
    );
  }
  const blob = new Uint8Array(offsets[vocabSize]);
  for (let id = 0; id < vocabSize; id++)
    blob.set(bytes.subarray(starts[id], starts[id] + offsets[id + 1] - offsets[id]), offsets[id]);
  const pieces: PieceTable = { bytes: blob, offsets };
  return new Llama2cTokenizer(pieces, scores, maxTokenLength);
}

import { describe, expect, it } from 'vitest';
import { lcg32 } from '../random';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData';
import { Llama2cTokenizer, parseLlama2cTokenizer } from './llama2c';

const utf8 = new TextDecoder();

describe.skipIf(!hasSharedData)(`tok512 on TinyStories (real data; ${SKIP_REASON} when absent)`, () => {
  const tok = hasSharedData ? parseLlama2cTokenizer(readShared('models/tok512.bin'), 512) : undefined!;

  it('reads the vocabulary as PROVENANCE.md describes it', () => {
    expect(tok.vocabSize).toBe(512);
    expect(tok.maxTokenLength).toBe(7);
    expect(tok.piece(0)).toBe('<unk>');
    expect(tok.piece(1)).toBe('\n<s>\n');
    expect(tok.piece(2)).toBe('\n</s>\n');
    expect(tok.piece(3 + 0x41)).toBe('<0x41>');
    expect(tok.piece(259)).toBe(' t');
    expect(tok.piece(260)).toBe('he');
    expect(tok.scores[265]).toBe(-6);
    expect(tok.duplicatePieces).toBe(0);
  });

  it('encodes the validation head exactly as run.c (golden first 4096 ids)', () => {
    const raw = readShared('text/tinystories_valid_head.txt').subarray(0, 32768);
    const cut = raw.lastIndexOf(0x0a) + 1;
    const text = utf8.decode(raw.subarray(0, cut));
    const golden = readSharedText('golden/tinystories_valid_head-first4096-tok512.txt').trim().split(/\s+/).map(Number);
    expect(golden).toHaveLength(4096);
    const ids = tok.encode(text);
    expect(ids).toHaveLength(15_732);
    expect(ids.slice(0, 4096)).toEqual(golden);
  });

  it('decodes the golden ids to a space plus the first 8,494 bytes of the file', () => {
    const golden = readSharedText('golden/tinystories_valid_head-first4096-tok512.txt').trim().split(/\s+/).map(Number);
    const head = utf8.decode(readShared('text/tinystories_valid_head.txt').subarray(0, 8494));
    expect(tok.decode(golden)).toBe(' ' + head);
    // After BOS the leading space of the first piece is dropped (run.c decode), so BOS + ids round-trips.
    expect(tok.decode([1, ...golden])).toBe(head);
  });

  it('round-trips the whole validation head, bytes outside the vocabulary included', () => {
    const text = readSharedText('text/tinystories_valid_head.txt');
    const extra = text + ' naïve café 🙂 日本';
    expect(tok.decode(tok.encode(extra, { bos: true }))).toBe(extra);
  });

  it('uses byte fallback ids b+3 for characters outside the vocabulary', () => {
    // '🙂' is U+1F642 = F0 9F 99 82; not in tok512, so four byte ids follow the dummy-prefix space.
    const space = tok.idOf(' ');
    expect(tok.encode('🙂')).toEqual([space, 0xf0 + 3, 0x9f + 3, 0x99 + 3, 0x82 + 3]);
    expect(tok.encode('', { bos: true, eos: true })).toEqual([1, 2]);
  });
});

/** run.c's encode() transcribed literally (O(n^2) rescans), as an independent reference on short texts. */
function naiveRunCEncode(vocab: string[], scores: Float32Array, text: string): number[] {
  const lookup = new Map<string, number>();
  vocab.forEach((p, i) => lookup.set(p, i));
  const bytes = new TextEncoder().encode(text);
  const tokens: number[] = [];
  if (bytes.length > 0) tokens.push(lookup.get(' ')!);
  let buf: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] & 0xc0) !== 0x80) buf = [];
    buf.push(bytes[i]);
    if (i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = lookup.get(String.fromCharCode(...buf));
    if (id !== undefined) tokens.push(id);
    else for (const b of buf) tokens.push(b + 3);
    buf = [];
  }
  for (;;) {
    let bestScore = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(vocab[tokens[i]] + vocab[tokens[i + 1]]);
      if (id !== undefined && scores[id] > bestScore) {
        bestScore = scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

/** Pieces of a llama2.c tokenizer file as byte strings (one char per byte), read independently. */
function readPieces(bytes: Uint8Array, n: number): { vocab: string[]; scores: Float32Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vocab: string[] = [];
  const scores = new Float32Array(n);
  let o = 4;
  for (let i = 0; i < n; i++) {
    scores[i] = dv.getFloat32(o, true);
    const len = dv.getInt32(o + 4, true);
    vocab.push(String.fromCharCode(...bytes.subarray(o + 8, o + 8 + len)));
    o += 8 + len;
  }
  return { vocab, scores };
}

describe.skipIf(!hasSharedData)(
  `tokenizer.bin (32,000 tokens) on WikiText-2 (real data; ${SKIP_REASON} when absent)`,
  () => {
    const file = hasSharedData ? readShared('models/tokenizer.bin') : new Uint8Array();
    const tok = hasSharedData ? parseLlama2cTokenizer(file, 32000) : undefined!;
    // PROVENANCE.md: CRLF line endings in the file; rows are lines after CRLF -> LF.
    const wiki = hasSharedData ? readSharedText('text/wikitext-2-raw-v1_test.txt').replace(/\r\n/g, '\n') : '';

    it('has the Llama 2 vocabulary shape', () => {
      expect(tok.maxTokenLength).toBe(27);
      expect(tok.idOf(' ')).toBe(29871);
      expect(tok.piece(3 + 0x0a)).toBe('<0x0A>');
      expect(tok.duplicatePieces).toBe(0);
    });

    it('round-trips the whole WikiText-2 test text', () => {
      expect(wiki.length).toBeGreaterThan(1_200_000);
      const ids = tok.encodeToArray(wiki, { bos: true });
      expect(ids[0]).toBe(1);
      expect(ids.length).toBeLessThan(wiki.length / 2); // BPE actually merged
      expect(tok.decode(Array.from(ids))).toBe(wiki);
    });

    it('matches a literal transcription of run.c encode() on WikiText lines', () => {
      const { vocab, scores } = readPieces(file, 32000);
      const lines = wiki.split('\n').filter((l) => l.length > 0);
      // A spread of lines (headings, paragraphs with numbers and punctuation, non-ASCII).
      const sample = [0, 1, 2, 3, 10, 50, 200, 777, 1500, 2500].map((i) => lines[i].slice(0, 400));
      sample.push(lines.find((l) => [...l].some((ch) => ch.charCodeAt(0) > 0x7f))!.slice(0, 400));
      for (const s of sample) expect(tok.encode(s)).toEqual(naiveRunCEncode(vocab, scores, s));
    });
  },
);

describe('heap merge equals run.c on synthetic vocabularies (ties, spaces inside pieces)', () => {
  // Byte-fallback layout like the real files, then characters and merges; many equal scores so
  // that the leftmost-on-ties rule matters. With pieces like "a b" the sequence cannot be cut
  // before spaces (one heap over everything); without them it is cut (one heap per segment).
  const bytePieces = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const base = [
    ' ',
    'a',
    'b',
    'c',
    ' a',
    'ab',
    'ba',
    'aa',
    ' ab',
    'abc',
    'bb',
    'cc',
    ' c',
    'ca',
    'é',
    ' é',
    '  ',
    '   ',
  ];
  const enc = new TextEncoder();
  for (const [label, extra] of [
    ['with pieces spanning "x y"', [...base, 'a b', 'b a', ' a b']],
    ['without them (segmented)', base],
  ] as const) {
    it(`gives run.c ids on random strings, ${label}`, () => {
      const pieces = ['<unk>', '\n<s>\n', '\n</s>\n', ...bytePieces, ...extra];
      const scores = Float32Array.from(pieces, (_, i) => (i < 259 ? 0 : -Math.floor((i - 259) / 3)));
      const tok = new Llama2cTokenizer(
        pieces.map((p) => enc.encode(p)),
        scores,
        8,
      );
      const vocab = pieces.map((p) => String.fromCharCode(...enc.encode(p)));
      const next = lcg32(12345, 1103515245, 12345);
      const rand = () => (next() >>> 16) / 65536;
      const alphabet = ['a', 'b', 'c', ' ', ' ', 'é', 'z', '\n'];
      for (let t = 0; t < 300; t++) {
        const len = 1 + Math.floor(rand() * 40);
        let text = '';
        for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
        expect(tok.encode(text), JSON.stringify(text)).toEqual(naiveRunCEncode(vocab, scores, text));
        expect(tok.decode(tok.encode(text, { bos: true }))).toBe(text);
      }
    });
  }
});

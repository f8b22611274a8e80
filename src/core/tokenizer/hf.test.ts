import { describe, expect, it } from 'vitest';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData';
import { HfTokenizer } from './hf';
import { parseLlama2cTokenizer, type Llama2cTokenizer } from './llama2c';

/**
 * A Llama-style tokenizer.json (BPE with byte fallback, "▁" normalizer and decoder) built from a
 * llama2.c vocabulary the way transformers' SentencePieceExtractor derives merges: every split of
 * a piece into two vocabulary pieces, ranked by the merged piece's score.
 */
function tokenizerJsonFrom(ref: Llama2cTokenizer): Record<string, unknown> {
  const n = ref.vocabSize;
  const pieces: string[] = [];
  const vocab: Record<string, number> = {};
  for (let id = 0; id < n; id++) {
    const p = id === 1 ? '<s>' : id === 2 ? '</s>' : ref.piece(id).replace(/ /g, '\u2581');
    pieces.push(p);
    vocab[p] = id;
  }
  const merges: [string, string, number][] = [];
  for (let id = 259; id < n; id++) {
    const cps = Array.from(pieces[id]);
    const local: [string, string, number][] = [];
    for (let i = 1; i < cps.length; i++) {
      const l = cps.slice(0, i).join('');
      const r = cps.slice(i).join('');
      if (l in vocab && r in vocab) local.push([l, r, ref.scores[id]]);
    }
    local.sort((a, b) => vocab[a[0]] - vocab[b[0]] || vocab[a[1]] - vocab[b[1]]);
    merges.push(...local);
  }
  merges.sort((a, b) => b[2] - a[2]);
  return {
    version: '1.0',
    added_tokens: [0, 1, 2].map((id) => ({
      id,
      content: pieces[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges: merges.map((m) => [m[0], m[1]]),
    },
  };
}

describe('HfTokenizer wrapper', () => {
  const json = {
    version: '1.0',
    added_tokens: [
      { id: 0, content: '<unk>', special: true },
      { id: 1, content: '<s>', special: true },
      { id: 2, content: '</s>', special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { '<unk>': 0, '<s>': 1, '</s>': 2, hello: 3, world: 4 }, unk_token: '<unk>' },
  };

  it('adds BOS/EOS only when asked and drops them when decoding', () => {
    const tok = new HfTokenizer(json, { bos_token: '<s>', eos_token: '</s>' });
    expect(tok.vocabSize).toBe(5);
    expect([tok.bosId, tok.eosId]).toEqual([1, 2]);
    expect(tok.encode('hello world')).toEqual([3, 4]);
    expect(tok.encode('hello world', { bos: true, eos: true })).toEqual([1, 3, 4, 2]);
    // This library's WordLevel model yields no id for unknown words: say so instead of returning holes.
    expect(() => tok.encode('hello moon')).toThrow(/could not map part of the text/);
    expect(tok.piece(4)).toBe('world');
    expect(tok.decode([1, 3, 4, 2])).not.toMatch(/<s>|<\/s>/);
    expect(() => tok.piece(99)).toThrow(/outside the vocabulary/);
  });

  it('rejects JSON that is not a tokenizer', () => {
    expect(() => new HfTokenizer({ architectures: ['LlamaForCausalLM'] })).toThrow(/no "model" section/);
  });
});

describe.skipIf(!hasSharedData)(`Llama 2 vocabulary as tokenizer.json (real data; ${SKIP_REASON} when absent)`, () => {
  it('@huggingface/tokenizers gives the same ids as our run.c port on WikiText lines, and round-trips them', () => {
    const ref = parseLlama2cTokenizer(readShared('models/tokenizer.bin'), 32000);
    const tok = new HfTokenizer(tokenizerJsonFrom(ref), { bos_token: '<s>', eos_token: '</s>' });
    expect(tok.vocabSize).toBe(32000);
    const lines = readSharedText('text/wikitext-2-raw-v1_test.txt')
      .replace(/\r\n/g, '\n')
      .split('\n')
      .filter(Boolean)
      .slice(0, 150);
    for (const line of lines) {
      const ids = tok.encode(line, { bos: true });
      expect(ids).toEqual(ref.encode(line, { bos: true }));
      expect(tok.decode(ids)).toBe(line);
    }
  });
});

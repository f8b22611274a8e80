import { describe, expect, it } from 'vitest';
import { countWords, splitWords, trainBpe, FIRST_LEARNED_ID } from './bpeTrainer';
import { parseLlama2cTokenizer } from './llama2c';
import { writeLlama2cTokenizer } from '../model/writers/llama2cTokenizer';

// A small corpus with repetition (so merges are learned), punctuation, digits, a newline and a
// character too rare to enter the alphabet (é, byte fallback).
const corpus = [
  'The Congress of the United States shall have power to lay and collect taxes, duties, imposts and excises.',
  'To the Senate and House of Representatives: the state of the Union is strong, and the people are the Union.',
  'In 1790 the nation had 13 states; in 1860 there were 33 states and the nation was divided.\nThe Congress met.',
  'Fellow citizens, the treaty with Mexico was signed at Guadalupe Hidalgo; the café was closed.',
];

describe('splitWords', () => {
  it('splits on a local rule and concatenates back to the text', () => {
    const text = ' The year 1790, (they said) "hello"  world\nagain.';
    const words = splitWords(text);
    expect(words.join('')).toBe(text);
    expect(words).toEqual([
      ' The',
      ' year',
      ' ',
      '1',
      '7',
      '9',
      '0',
      ',',
      ' (',
      'they',
      ' said',
      ')',
      ' "',
      'hello',
      '"',
      ' ',
      ' world',
      '\n',
      'again',
      '.',
    ]);
  });
});

describe('trainBpe', () => {
  const vocab = trainBpe(corpus, { vocabSize: 340, minCharCount: 2 });

  it('lays out the vocabulary like tok512 (special, bytes, merges by score, alphabet)', () => {
    expect(vocab.pieces.length).toBe(340);
    expect(vocab.pieces.slice(0, 3)).toEqual(['<unk>', '\n<s>\n', '\n</s>\n']);
    expect(vocab.pieces[3]).toBe('<0x00>');
    expect(vocab.pieces[3 + 0xab]).toBe('<0xAB>');
    expect(vocab.pieces[258]).toBe('<0xFF>');
    for (let id = FIRST_LEARNED_ID; id < 340; id++) expect(vocab.scores[id]).toBe(-(id - FIRST_LEARNED_ID));
    // The alphabet sits after the merges, the dummy-prefix space included; é (once) is not in it.
    expect(vocab.pieces.slice(FIRST_LEARNED_ID + vocab.merges)).toEqual(vocab.alphabet);
    expect(vocab.alphabet).toContain(' ');
    expect(vocab.alphabet).not.toContain('é');
    expect(new Set(vocab.pieces).size).toBe(vocab.pieces.length);
    // Most frequent pair first: " t" (" the", " to", " tre"...) beats everything in this corpus.
    const pairs = new Map<string, number>();
    for (const [w, n] of countWords(corpus)) {
      const chars = [...w];
      for (let i = 0; i + 1 < chars.length; i++)
        pairs.set(chars[i] + chars[i + 1], (pairs.get(chars[i] + chars[i + 1]) ?? 0) + n);
    }
    const top = [...pairs.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
    expect(vocab.pieces[FIRST_LEARNED_ID]).toBe(top);
    // No learned piece crosses a word boundary: each is one word of itself (after its leading space).
    for (const p of vocab.pieces.slice(FIRST_LEARNED_ID)) expect(splitWords(p)).toEqual([p]);
  });

  it('is deterministic', () => {
    const again = trainBpe(corpus, { vocabSize: 340, minCharCount: 2 });
    expect(again).toEqual(vocab);
  });

  it('writes a tokenizer.bin that parseLlama2cTokenizer reads and that round-trips text', () => {
    const bin = writeLlama2cTokenizer(vocab.pieces, vocab.scores);
    const tok = parseLlama2cTokenizer(bin, vocab.pieces.length);
    expect(tok.duplicatePieces).toBe(0);
    expect(tok.maxTokenLength).toBe(Math.max(...vocab.pieces.map((p) => new TextEncoder().encode(p).length)));
    for (let id = 0; id < vocab.pieces.length; id++) {
      expect(tok.piece(id)).toBe(vocab.pieces[id]);
      expect(tok.scores[id]).toBe(vocab.scores[id]);
    }
    for (const text of [...corpus, 'Unseen words: zebra quixotic 2024 — naïve ☃ 🎉!']) {
      const ids = tok.encode(text, { bos: true });
      expect(tok.decode(ids)).toBe(text);
      // Merges compress the training text well below one token per character.
      if (corpus.includes(text)) expect(ids.length).toBeLessThan(text.length * 0.75);
    }
    // Byte fallback: é is not in the alphabet, so it is its two UTF-8 bytes.
    const ids = tok.encode('é');
    expect(ids.slice(-2)).toEqual([0xc3 + 3, 0xa9 + 3]);
  });

  it('encodes a text the same as its words one by one (no piece spans a word boundary)', () => {
    const tok = parseLlama2cTokenizer(writeLlama2cTokenizer(vocab.pieces, vocab.scores), vocab.pieces.length);
    const text = corpus.join(' ');
    const whole = tok.encode(text);
    // Encode each word behind "\n" (which never joins a neighbour) and drop the dummy-prefix space and "\n".
    const stitched: number[] = [];
    for (const w of splitWords(' ' + text)) stitched.push(...tok.encode('\n' + w).slice(2));
    expect(stitched.length).toBeLessThan(text.length * 0.6);
    expect(stitched).toEqual(whole);
  });

  it('rejects a vocabulary too small for the byte tokens', () => {
    expect(() => trainBpe(corpus, { vocabSize: 259 })).toThrow(/at least 260/);
  });
});

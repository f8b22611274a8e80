import { describe, expect, it } from 'vitest';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData';
import { parseLlama2cTokenizer } from './llama2c';

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

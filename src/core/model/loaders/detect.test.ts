import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { detectFile, DETECT_HEAD_BYTES, type FileKind } from './detect';
import { hostileCorpus } from './hostile/corpus';
import { hasSharedData, readShared, SKIP_REASON } from '../../../../tests/support/sharedData';
import { randomModel } from '../types';
import { HOSTILE_CONFIG } from './hostile/cases';

const detect = (b: Uint8Array) => detectFile(b.subarray(0, DETECT_HEAD_BYTES), b.byteLength);
const enc = new TextEncoder();

describe.skipIf(!hasSharedData)(`detectFile on the real files (${hasSharedData ? 'shared data' : SKIP_REASON})`, () => {
  it('checkpoint, tokenizers (whole and read from a 64 KiB head) and texts', () => {
    expect(detect(readShared('models/stories260K.bin'))).toEqual({
      kind: 'checkpoint',
      format: 'llama2c',
      reason: 'llama2.c checkpoint (dim 64, 5 layers, vocabulary 512)',
    });
    expect(detect(readShared('models/tok512.bin')).reason).toBe('llama2.c tokenizer (512 tokens, max length 7)');
    // The 32,000-token tokenizer is larger than the head: judged on the entries it holds.
    expect(detect(readShared('models/tokenizer.bin'))).toMatchObject({
      kind: 'tokenizer',
      format: 'llama2c-tokenizer',
    });
    for (const t of ['tinystories_train_head.txt', 'tinystories_valid_head.txt', 'wikitext-2-raw-v1_test.txt'])
      expect(detect(readShared(`text/${t}`)).kind, t).toBe('text');
  });
});

describe('detectFile', () => {
  it('the shipped default model, its tokenizer and its profile (public/models)', () => {
    const dir = path.resolve('public/models');
    const kinds: Record<string, FileKind> = {};
    for (const f of readdirSync(dir)) kinds[f] = detect(new Uint8Array(readFileSync(path.join(dir, f)))).kind;
    expect(kinds['sotu-llama.bin']).toBe('checkpoint');
    expect(kinds['sotu-tok512.bin']).toBe('tokenizer');
    expect(kinds['sotu-llama.profile.safetensors']).toBe('profile');
    expect(kinds['sotu-llama.card.json']).toBe('unknown');
  });

  it('names do not matter: a checkpoint called notes.txt is a checkpoint; a text called model.bin is text', () => {
    const text = enc.encode('Once upon a time there was a little girl.\n'.repeat(50));
    expect(detect(text).kind).toBe('text');
    // Multi-byte characters cut at the head's end are still text.
    const cjk = enc.encode('量化'.repeat(DETECT_HEAD_BYTES));
    expect(detectFile(cjk.subarray(0, DETECT_HEAD_BYTES - 1), cjk.byteLength).kind).toBe('text');
  });

  it('Hugging Face JSON: tokenizer.json, config.json and the shard index by their keys; other JSON is unknown', () => {
    expect(detect(enc.encode('{"version":"1.0","added_tokens":[],"model":{"type":"BPE","vocab":{}}}')).kind).toBe(
      'tokenizer',
    );
    expect(detect(enc.encode('{"architectures":["LlamaForCausalLM"],"hidden_size":64}')).format).toBe('hf-config');
    expect(detect(enc.encode('{"metadata":{},"weight_map":{"a":"model-1.safetensors"}}')).format).toBe('hf-index');
    expect(detect(enc.encode('{"loss": [1, 2]}')).kind).toBe('unknown');
    expect(detect(enc.encode('{"loss": [1, ')).reason).toBe('starts like JSON but does not parse');
    // A broken tokenizer.json is still a tokenizer: its loader names the JSON error.
    expect(detect(enc.encode('{"added_tokens": [')).kind).toBe('tokenizer');
  });

  it('hostile and junk bytes: never thrown on; binary junk is unknown, not text', () => {
    expect(detect(new Uint8Array(0)).kind).toBe('unknown');
    expect(detect(new Uint8Array([0xff, 0x00, 0x47])).kind).toBe('unknown');
    // Deterministic junk (an LCG), and the 7-int header of a text file read as int32 (huge, implausible).
    const junk = new Uint8Array(4096);
    let x = 12345;
    for (let i = 0; i < junk.length; i++) junk[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    expect(detect(junk).kind).toBe('unknown');
    // A safetensors length prefix larger than the file is not safetensors.
    const lying = new Uint8Array(64);
    new DataView(lying.buffer).setBigUint64(0, 1000n, true);
    lying[8] = 0x7b;
    expect(detect(lying).kind).toBe('unknown');
    const counts: Record<string, number> = {};
    for (const c of hostileCorpus())
      for (const f of [...c.files, ...(c.tokenizer ? [c.tokenizer] : [])]) {
        const d = detect(f.bytes);
        // No hostile checkpoint or tokenizer passes for a text to calibrate on.
        expect(d.kind, `${c.id} ${f.name}`).not.toBe('text');
        counts[d.kind] = (counts[d.kind] ?? 0) + 1;
      }
    expect(counts.checkpoint).toBeGreaterThan(100);
  });

  it('a llama2.c header with the wrong size is still a checkpoint (the loader then says what is missing)', () => {
    const m = randomModel(HOSTILE_CONFIG, 1);
    const c = m.config;
    const header = new Int32Array([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.maxSeqLen]);
    const cut = new Uint8Array(1000);
    cut.set(new Uint8Array(header.buffer));
    const d = detect(cut);
    expect(d.kind).toBe('checkpoint');
    expect(d.reason).toMatch(/but 1000 bytes where the header implies \d+/);
  });
});

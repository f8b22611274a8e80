import { describe, expect, it } from 'vitest';
import { hasSharedData, readShared, SKIP_REASON } from '../../../../tests/support/sharedData';
import { randomModel, type LlamaConfig } from '../types';
import { writeLlama2c } from '../writers/llama2c';
import { writeLlama2cTokenizer } from '../writers/llama2cTokenizer';
import { hfFiles } from './fixtures';
import { CheckpointError, loadCheckpoint, loadTokenizerFile } from './index';

const cfg: LlamaConfig = {
  dim: 32,
  hiddenDim: 64,
  nLayers: 1,
  nHeads: 4,
  nKvHeads: 4,
  vocabSize: 261,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};
const utf8 = new TextEncoder();

describe('loadCheckpoint format sniffing', () => {
  it('pairs a llama2.c checkpoint with its tokenizer file whatever the order', () => {
    const pieces = [
      '<unk>',
      '\n<s>\n',
      '\n</s>\n',
      ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`),
      ' ',
      'a',
    ];
    const tokBytes = writeLlama2cTokenizer(
      pieces,
      pieces.map((_, i) => (i < 259 ? 0 : -(i - 259))),
    );
    const ckpt = writeLlama2c(randomModel(cfg, 1));
    for (const files of [
      [
        { name: 'model.bin', bytes: ckpt },
        { name: 'tokenizer.bin', bytes: tokBytes },
      ],
      [
        { name: 'tokenizer.bin', bytes: tokBytes },
        { name: 'model.bin', bytes: ckpt },
      ],
    ]) {
      const { model, report } = loadCheckpoint(files);
      expect(report.format).toBe('llama2c');
      expect(model.tokenizer!.encode('a', { bos: true })).toEqual([1, 259, 260]); // BOS, dummy-prefix ' ', 'a'
    }
  });

  it('explains what it expected when it cannot tell the format', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(40).fill(7)]);
    expect(() => loadCheckpoint([{ name: 'cat.png', bytes: png }])).toThrow(CheckpointError);
    expect(() => loadCheckpoint([{ name: 'cat.png', bytes: png }])).toThrow(
      /cannot tell the format of cat.png \(48 bytes\).*expected one of: a llama2.c checkpoint.*a GGUF file.*model.safetensors/,
    );
    expect(() => loadCheckpoint([])).toThrow(/no files given/);
    expect(() => loadCheckpoint([{ name: 'config.json', bytes: utf8.encode('{}') }])).toThrow(/cannot tell the format/);
  });

  it('takes tokenizer.json beside safetensors', () => {
    const tokenizerJson = {
      model: { type: 'WordLevel', vocab: { '<unk>': 0, '<s>': 1, '</s>': 2, hi: 3 }, unk_token: '<unk>' },
      pre_tokenizer: { type: 'Whitespace' },
      normalizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
    };
    const files = [
      ...hfFiles(randomModel({ ...cfg, vocabSize: 4 }, 2), 'F32'),
      { name: 'tokenizer.json', bytes: utf8.encode(JSON.stringify(tokenizerJson)) },
    ];
    const { model } = loadCheckpoint(files);
    expect(model.tokenizer!.encode('hi hi', { bos: true })).toEqual([1, 3, 3]);
  });
});

describe.skipIf(!hasSharedData)(`real files through loadCheckpoint (${SKIP_REASON} when absent)`, () => {
  it('stories260K.bin + tok512.bin', () => {
    const { model } = loadCheckpoint([
      { name: 'tok512.bin', bytes: readShared('models/tok512.bin') },
      { name: 'stories260K.bin', bytes: readShared('models/stories260K.bin') },
    ]);
    expect(model.config.vocabSize).toBe(512);
    expect(model.tokenizer!.decode(model.tokenizer!.encode('Once upon a time', { bos: true }))).toBe(
      'Once upon a time',
    );
  });

  it('a tokenizer made for another vocabulary size is refused with the reason', () => {
    expect(() => loadTokenizerFile({ name: 'tokenizer.bin', bytes: readShared('models/tokenizer.bin') }, 512)).toThrow(
      /bytes after 512 tokens: it was made for a larger vocabulary/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { hasSharedData, readShared, SKIP_REASON } from '../../../../tests/support/sharedData';
import { loadLlama2c, parseLlama2c } from '../loaders/llama2c';
import { namedTensors } from '../loaders/common';
import { randomModel, type LlamaConfig } from '../types';
import { writeLlama2c } from './llama2c';

const config: LlamaConfig = {
  dim: 32,
  hiddenDim: 44,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 40,
  maxSeqLen: 24,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

describe('writeLlama2c', () => {
  for (const shared of [true, false]) {
    it(`writes a legacy checkpoint the loader reads back exactly (${shared ? 'shared' : 'separate'} classifier)`, () => {
      const model = randomModel({ ...config, sharedClassifier: shared }, 5);
      const bytes = writeLlama2c(model);
      const dv = new DataView(bytes.buffer);
      const header = Array.from({ length: 7 }, (_, i) => dv.getInt32(4 * i, true));
      expect(header).toEqual([32, 44, 2, 4, 2, shared ? 40 : -40, 24]);
      // 28-byte header + weights + freq_cis (seq_len × head_size/2, twice) (+ classifier).
      const weights = 40 * 32 + 2 * (2 * 32 + 2 * 32 * 32 + 2 * 16 * 32 + 3 * 44 * 32) + 32 + (shared ? 0 : 40 * 32);
      expect(bytes.length).toBe(28 + 4 * (weights + 2 * 24 * 4));
      const back = parseLlama2c(bytes);
      expect(back.config).toEqual(model.config);
      const a = namedTensors(model);
      const b = namedTensors(back);
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [name, t] of a) expect(b.get(name), name).toEqual(t);
      // freq_cis_real at position 3, pair 1: cos(3 · 10000^(−2/8)).
      const freqOffset = 28 + 4 * (40 * 32 + 2 * (2 * 32 + 2 * 32 * 32 + 2 * 16 * 32 + 3 * 44 * 32) + 32);
      expect(dv.getFloat32(freqOffset + 4 * (3 * 4 + 1), true)).toBeCloseTo(Math.cos(3 * Math.pow(10000, -2 / 8)), 6);
    });
  }

  it('rejects a model whose arrays do not match its config', () => {
    const model = randomModel(config, 1);
    model.weights.layers[1].up = new Float32Array(3);
    expect(() => writeLlama2c(model)).toThrow(/layers\.1\.up has 3 values/);
  });
});

describe.skipIf(!hasSharedData)(`writeLlama2c on stories260K (${SKIP_REASON} when skipped)`, () => {
  it('reproduces the original file: weights byte for byte, RoPE tables to float32 rounding', () => {
    const original = readShared('models/stories260K.bin');
    const { model } = loadLlama2c(original, 'stories260K.bin');
    const written = writeLlama2c(model);
    expect(written.length).toBe(original.length);
    const c = model.config;
    const freqStart =
      28 +
      4 *
        (c.vocabSize * c.dim +
          c.nLayers * (2 * c.dim + 2 * c.dim * c.dim + 2 * 32 * c.dim + 3 * c.hiddenDim * c.dim) +
          c.dim);
    const freqEnd = freqStart + 4 * c.maxSeqLen * (c.dim / c.nHeads);
    const same = (a: Uint8Array, b: Uint8Array) =>
      Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) ===
      0;
    expect(same(written.subarray(0, freqStart), original.subarray(0, freqStart))).toBe(true);
    expect(same(written.subarray(freqEnd), original.subarray(freqEnd))).toBe(true);
    const w = new Float32Array(written.slice(freqStart, freqEnd).buffer);
    const o = new Float32Array(original.slice(freqStart, freqEnd).buffer);
    let worst = 0;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i] - o[i]));
    // PyTorch computed the angles pos·freq in float32 (2.3e-6 off at the last positions); we use float64.
    expect(worst).toBeLessThan(1e-5);
  });
});

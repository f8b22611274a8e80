import { describe, expect, it } from 'vitest';
import { hasSharedData, readShared, SKIP_REASON } from '../../../../tests/support/sharedData';
import { loadLlama2c, parseLlama2c } from './llama2c';

// Reads float32 number i of the file independently of the loader (DataView, little-endian).
function fileFloat(bytes: Uint8Array, floatIndex: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat32(28 + 4 * floatIndex, true);
}

describe.skipIf(!hasSharedData)(`stories260K.bin (real checkpoint; ${SKIP_REASON} when absent)`, () => {
  const bytes = hasSharedData ? readShared('models/stories260K.bin') : new Uint8Array();

  it('reads the header and the shared classifier', () => {
    const m = parseLlama2c(bytes, 'stories260K.bin');
    const c = m.config;
    expect([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.maxSeqLen]).toEqual([
      64, 172, 5, 8, 4, 512, 512,
    ]);
    expect(c.sharedClassifier).toBe(true);
    expect(m.weights.classifier).toBe(m.weights.tokenEmbedding);
    expect(c.ropeTheta).toBe(10000);
    expect(c.normEps).toBe(1e-5);
    expect(m.source).toEqual({ format: 'llama2c', name: 'stories260K.bin', bytes: 1_056_540 });
  });

  it('places every array at its file offset (checked against DataView reads)', () => {
    const m = parseLlama2c(bytes);
    const w = m.weights;
    const dim = 64,
      hidden = 172,
      L = 5,
      kv = 32,
      vocab = 512;
    // Offsets in floats, from the layout in PROVENANCE.md.
    const emb = 0;
    const rmsAtt = emb + vocab * dim;
    const wq = rmsAtt + L * dim;
    const wk = wq + L * dim * dim;
    const wv = wk + L * kv * dim;
    const wo = wv + L * kv * dim;
    const rmsFfn = wo + L * dim * dim;
    const w1 = rmsFfn + L * dim;
    const w2 = w1 + L * hidden * dim;
    const w3 = w2 + L * dim * hidden;
    const rmsFinal = w3 + L * hidden * dim;
    expect(w.tokenEmbedding[0]).toBe(fileFloat(bytes, emb));
    expect(w.tokenEmbedding[vocab * dim - 1]).toBe(fileFloat(bytes, rmsAtt - 1));
    expect(w.layers[0].attnNorm[3]).toBe(fileFloat(bytes, rmsAtt + 3));
    expect(w.layers[2].q[100]).toBe(fileFloat(bytes, wq + 2 * dim * dim + 100));
    expect(w.layers[4].k[kv * dim - 1]).toBe(fileFloat(bytes, wk + 5 * kv * dim - 1));
    expect(w.layers[1].v[7]).toBe(fileFloat(bytes, wv + kv * dim + 7));
    expect(w.layers[3].o[9]).toBe(fileFloat(bytes, wo + 3 * dim * dim + 9));
    expect(w.layers[4].ffnNorm[63]).toBe(fileFloat(bytes, rmsFfn + 4 * dim + 63));
    expect(w.layers[0].gate[5]).toBe(fileFloat(bytes, w1 + 5));
    expect(w.layers[1].down[11]).toBe(fileFloat(bytes, w2 + dim * hidden + 11));
    expect(w.layers[2].up[13]).toBe(fileFloat(bytes, w3 + 2 * hidden * dim + 13));
    expect(w.finalNorm[0]).toBe(fileFloat(bytes, rmsFinal));
    expect(w.layers.map((l) => l.down.length)).toEqual([
      dim * hidden,
      dim * hidden,
      dim * hidden,
      dim * hidden,
      dim * hidden,
    ]);
    // Norm gains of a trained model are O(1) and positive on average; embeddings are not all zero.
    expect(w.finalNorm.reduce((a, b) => a + b, 0) / dim).toBeGreaterThan(0.1);
  });

  it('reports tensors, dtype and no NaNs', () => {
    const { report } = loadLlama2c(bytes, 'stories260K.bin');
    expect(report.variant).toMatch(/v0/);
    expect(report.nanCount).toBe(0);
    expect(report.tensors.reduce((a, t) => a + t.numel, 0)).toBe(264_128 - 2 * 512 * 4);
    expect(report.tensors.find((t) => t.name === 'layers.0.k')).toMatchObject({
      shape: [32, 64],
      dtype: 'F32',
      storedName: 'wk[0]',
    });
  });

  it('rejects the file truncated by one byte, saying expected vs actual bytes', () => {
    expect(() => parseLlama2c(bytes.subarray(0, bytes.length - 1))).toThrow(/1,056,540 bytes.*1,056,539 bytes/);
  });
});

import { randomModel, type LlamaConfig, type LlamaModel } from '../types';
import { writeLlama2c } from '../writers/llama2c';
import { namedTensors } from './common';
import { writeLlama2cVersioned } from './fixtures';

const tiny: LlamaConfig = {
  dim: 64,
  hiddenDim: 96,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 64,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: false,
};

function expectSameWeights(a: LlamaModel, b: LlamaModel): void {
  const ta = namedTensors(a);
  const tb = namedTensors(b);
  expect([...tb.keys()]).toEqual([...ta.keys()]);
  for (const [name, x] of ta) expect(tb.get(name), name).toEqual(x);
}

describe('llama2.c files written by the tests', () => {
  it('v0 with a separate classifier (negative vocab_size) round-trips', () => {
    const m = randomModel(tiny, 3);
    const loaded = parseLlama2c(writeLlama2c(m));
    expect(loaded.config).toEqual(tiny);
    expect(loaded.weights.classifier).not.toBe(loaded.weights.tokenEmbedding);
    expectSameWeights(m, loaded);
  });

  it('v1 (ak42, fp32) round-trips, shared and separate classifier', () => {
    for (const shared of [true, false]) {
      const m = randomModel({ ...tiny, sharedClassifier: shared }, 5);
      const bytes = writeLlama2cVersioned(m, 1);
      // export.py: 256-byte header + fp32 norms + fp32 matrices.
      const { model, report } = loadLlama2c(bytes, 'v1.bin');
      expect(report.variant).toBe('llama2.c v1 (fp32)');
      expect(model.config).toEqual({ ...tiny, sharedClassifier: shared });
      expect(model.weights.classifier === model.weights.tokenEmbedding).toBe(shared);
      expectSameWeights(m, model);
    }
  });

  it('v2 (ak42, int8 Q8_0 with per-group fp32 scales) dequantizes value * scale per group', () => {
    const m = randomModel(tiny, 9);
    const groupSize = 32;
    const bytes = writeLlama2cVersioned(m, 2, groupSize);
    const { model, report } = loadLlama2c(bytes, 'v2.bin');
    expect(report.variant).toBe('llama2.c v2 (int8 Q8_0, group 32)');
    expect(report.tensors.find((t) => t.name === 'layers.1.k')!.dtype).toBe('Q8_0/32');
    expect(report.tensors.find((t) => t.name === 'finalNorm')!.dtype).toBe('F32');
    // Independent expectation: symmetric int8 per 32-group, scale = amax / 127.
    const check = (orig: Float32Array, got: Float32Array) => {
      for (let g = 0; g < orig.length / groupSize; g++) {
        let amax = 0;
        for (let j = 0; j < groupSize; j++) amax = Math.max(amax, Math.abs(orig[g * groupSize + j]));
        const scale = Math.fround(amax / 127);
        for (let j = 0; j < groupSize; j++) {
          const i = g * groupSize + j;
          const q = Math.round(Math.fround(orig[i] / scale));
          expect(got[i]).toBe(Math.fround(q * scale) + 0); // int8 has no -0
          expect(Math.abs(got[i] - orig[i])).toBeLessThanOrEqual(scale / 2 + 1e-7);
        }
      }
    };
    check(m.weights.tokenEmbedding, model.weights.tokenEmbedding);
    check(m.weights.layers[1].down, model.weights.layers[1].down);
    check(m.weights.classifier, model.weights.classifier);
    expect(model.weights.layers[0].attnNorm).toEqual(m.weights.layers[0].attnNorm); // norms stay fp32
    expect(model.weights.finalNorm).toEqual(m.weights.finalNorm);
  });

  it('rejects bad headers before allocating, with what was expected', () => {
    const v0 = writeLlama2c(randomModel({ ...tiny, sharedClassifier: true }, 1));
    const huge = v0.slice();
    new DataView(huge.buffer).setInt32(0, 1 << 30, true); // dim = 2^30
    expect(() => parseLlama2c(huge)).toThrow(/dim = 1073741824 is out of range/);
    const negative = v0.slice();
    new DataView(negative.buffer).setInt32(8, -5, true);
    expect(() => parseLlama2c(negative)).toThrow(/n_layers = -5/);
    const extra = new Uint8Array(v0.length + 8);
    extra.set(v0);
    expect(() => parseLlama2c(extra)).toThrow(/too many/);
    expect(() => parseLlama2c(new Uint8Array(10))).toThrow(/28-byte header, the file has 10 bytes/);
    // A JPEG is not a checkpoint: its "header" makes no sense.
    const jpeg = Uint8Array.from([
      0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(() => parseLlama2c(jpeg)).toThrow(/out of range/);

    const v1 = writeLlama2cVersioned(randomModel(tiny, 2), 1);
    expect(() => parseLlama2c(v1.subarray(0, v1.length - 4))).toThrow(
      /truncated file: llama2.c v1 checkpoint .* implies .* bytes, the file has/,
    );
    const v9 = v1.slice();
    new DataView(v9.buffer).setInt32(4, 9, true);
    expect(() => parseLlama2c(v9)).toThrow(/version 9 is not supported/);
    const v2 = writeLlama2cVersioned(randomModel(tiny, 2), 2, 32);
    const badGroup = v2.slice();
    new DataView(badGroup.buffer).setInt32(37, 48, true);
    expect(() => parseLlama2c(badGroup)).toThrow(/not a multiple of group_size 48/);
  });

  it('counts NaN weights in the report instead of rejecting them', () => {
    const m = randomModel({ ...tiny, sharedClassifier: true }, 4);
    m.weights.layers[1].up[5] = NaN;
    m.weights.layers[1].up[6] = NaN;
    m.weights.finalNorm[0] = NaN;
    const { report, model } = loadLlama2c(writeLlama2c(m));
    expect(report.nanCount).toBe(3);
    expect(report.tensors.find((t) => t.name === 'layers.1.up')!.nanCount).toBe(2);
    expect(report.warnings.join()).toMatch(/3 NaN weight values in 2 tensors/);
    expect(Number.isNaN(model.weights.finalNorm[0])).toBe(true);
  });

  it('loads weights as views of the file bytes (no second copy) when aligned', () => {
    const bytes = writeLlama2c(randomModel({ ...tiny, sharedClassifier: true }, 6));
    const m = parseLlama2c(bytes);
    expect(m.weights.layers[0].q.buffer).toBe(bytes.buffer);
    // Misaligned input still loads (one copy).
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(parseLlama2c(shifted).weights.layers[0].q).toEqual(m.weights.layers[0].q);
  });
});

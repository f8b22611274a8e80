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
    expect([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.maxSeqLen]).toEqual([64, 172, 5, 8, 4, 512, 512]);
    expect(c.sharedClassifier).toBe(true);
    expect(m.weights.classifier).toBe(m.weights.tokenEmbedding);
    expect(c.ropeTheta).toBe(10000);
    expect(c.normEps).toBe(1e-5);
    expect(m.source).toEqual({ format: 'llama2c', name: 'stories260K.bin', bytes: 1_056_540 });
  });

  it('places every array at its file offset (checked against DataView reads)', () => {
    const m = parseLlama2c(bytes);
    const w = m.weights;
    const dim = 64, hidden = 172, L = 5, kv = 32, vocab = 512;
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
    expect(w.layers.map((l) => l.down.length)).toEqual([dim * hidden, dim * hidden, dim * hidden, dim * hidden, dim * hidden]);
    // Norm gains of a trained model are O(1) and positive on average; embeddings are not all zero.
    expect(w.finalNorm.reduce((a, b) => a + b, 0) / dim).toBeGreaterThan(0.1);
  });

  it('reports tensors, dtype and no NaNs', () => {
    const { report } = loadLlama2c(bytes, 'stories260K.bin');
    expect(report.variant).toMatch(/v0/);
    expect(report.nanCount).toBe(0);
    expect(report.tensors.reduce((a, t) => a + t.numel, 0)).toBe(264_128 - 2 * 512 * 4);
    expect(report.tensors.find((t) => t.name === 'layers.0.k')).toMatchObject({ shape: [32, 64], dtype: 'F32', storedName: 'wk[0]' });
  });

  it('rejects the file truncated by one byte, saying expected vs actual bytes', () => {
    expect(() => parseLlama2c(bytes.subarray(0, bytes.length - 1))).toThrow(/1,056,540 bytes.*1,056,539 bytes/);
  });
});

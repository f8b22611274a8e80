import { describe, expect, it } from 'vitest';
import { parameterCount, randomModel, validateConfig, type LlamaConfig } from './types';

const stories260K: LlamaConfig = {
  dim: 64,
  hiddenDim: 172,
  nLayers: 5,
  nHeads: 8,
  nKvHeads: 4,
  vocabSize: 512,
  maxSeqLen: 512,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

describe('model types', () => {
  it('counts stories260K parameters as its file layout implies', () => {
    // PROVENANCE.md: 28 header bytes + 4 x 264,128 floats; the file also holds 2 x 512 x 4 RoPE floats.
    const ropeTable = 2 * 512 * (64 / 8 / 2);
    expect(parameterCount(stories260K) + ropeTable).toBe(264_128);
  });
  it('rejects impossible shapes with a clear message', () => {
    expect(() => validateConfig({ ...stories260K, nKvHeads: 3 })).toThrow(/nHeads 8 is not a multiple of nKvHeads 3/);
    expect(() => validateConfig({ ...stories260K, dim: 0 })).toThrow(/dim = 0/);
  });
  it('random models are deterministic per seed and share the classifier when asked', () => {
    const a = randomModel(stories260K, 7);
    const b = randomModel(stories260K, 7);
    const c = randomModel(stories260K, 8);
    expect(a.weights.layers[2].down).toEqual(b.weights.layers[2].down);
    expect(a.weights.layers[2].down).not.toEqual(c.weights.layers[2].down);
    expect(a.weights.classifier).toBe(a.weights.tokenEmbedding);
  });
});

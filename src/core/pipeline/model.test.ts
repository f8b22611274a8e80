// The model summary the app shows: NaN and ±Inf weights counted apart per tensor and in total, and the
// tokenizer loader's warnings (a vocabulary larger than the embedding) carried into summary.warnings.
import { describe, expect, it } from 'vitest';
import { randomModel } from '../model/types';
import { writeLlama2cVersioned } from '../model/loaders/fixtures';
import { bpeTokenizerJson, json, smallVocab } from '../model/loaders/hostile/build';
import { HOSTILE_CONFIG } from '../model/loaders/hostile/corpus';
import { Pipeline } from './pipeline';
import { loadModel } from './model';

describe('model summary', () => {
  it('counts NaN and ±Inf apart, per tensor and in total', () => {
    const m = randomModel({ ...HOSTILE_CONFIG, sharedClassifier: false }, 5);
    m.weights.layers[0].q.set([NaN, Infinity, -Infinity], 0);
    m.weights.layers[0].down[3] = Infinity;
    const { summary } = loadModel([{ name: 'bad.bin', bytes: writeLlama2cVersioned(m, 1) }]);
    expect(summary.nonFinite).toEqual({ nan: 1, inf: 3 });
    expect(summary.nanCount).toBe(1);
    const byName = Object.fromEntries(summary.tensors.map((t) => [t.name, t.nonFinite]));
    expect(byName['layers.0.q']).toEqual({ nan: 1, inf: 2 });
    expect(byName['layers.0.down']).toEqual({ nan: 0, inf: 1 });
    expect(summary.tensors.filter((t) => t.nonFinite.nan + t.nonFinite.inf > 0).map((t) => t.name)).toEqual([
      'layers.0.q',
      'layers.0.down',
    ]);
  });

  it("a tokenizer larger than the embedding: the loader's warning reaches the summary", () => {
    const m = randomModel({ ...HOSTILE_CONFIG, sharedClassifier: false }, 5);
    const p = new Pipeline();
    const before = p.load([{ name: 'm.bin', bytes: writeLlama2cVersioned(m, 1) }]);
    expect(before.warnings).toEqual([]);
    const s = p.loadTokenizer({ name: 'tokenizer.json', bytes: json(bpeTokenizerJson(smallVocab(32), [])) });
    expect(s.tokenizerVocab).toBe(HOSTILE_CONFIG.vocabSize);
    expect(s.warnings).toEqual([
      `tokenizer tokenizer.json has 32 tokens, the model's embedding ${HOSTILE_CONFIG.vocabSize}: ids ${HOSTILE_CONFIG.vocabSize}..31 cannot be scored; encoding text that needs them fails`,
    ]);
  });
});

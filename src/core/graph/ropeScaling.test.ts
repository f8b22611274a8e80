// The ONNX graphs with each rope_scaling (linear, llama3, dynamic NTK below and past originalMaxPositions)
// against the TypeScript reference (float64) on a random grouped-query model: logits, NLL and gradients.
import { describe, expect, it } from 'vitest';
import { randomModel, type LlamaConfig, type RopeScaling } from '../model/types';
import { referenceBackward, referenceForward } from '../model/reference';
import { LlamaEngine } from '../runtime/engine';
import { gradSumName, layerWeightName } from './names';
import { randomIds, relativeError } from './testUtil';

const TOL = 1e-4;
const base: LlamaConfig = {
  dim: 32,
  hiddenDim: 40,
  nLayers: 2,
  nHeads: 4, // head size 8
  nKvHeads: 2,
  vocabSize: 50,
  maxSeqLen: 24,
  ropeTheta: 100, // wavelengths 6.3, 19.9, 62.8 and 198.7 positions: every llama3 band is populated
  normEps: 1e-5,
  sharedClassifier: false,
};
const cases: [string, RopeScaling, number][] = [
  ['linear ×4', { type: 'linear', factor: 4 }, 19],
  [
    'llama3 (factor 8, low 1, high 4, original 64)',
    { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 },
    19,
  ],
  ['dynamic ×3, T = 19 past original 8', { type: 'dynamic', factor: 3, originalMaxPositions: 8 }, 19],
  ['dynamic ×3, T = 6 within original 8', { type: 'dynamic', factor: 3, originalMaxPositions: 8 }, 6],
];

describe.each(cases)('ONNX graphs vs reference with rope scaling %s', (_label, ropeScaling, T) => {
  const config: LlamaConfig = { ...base, ropeScaling };
  const model = randomModel(config, 5, 0.3);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  const B = 2;
  const tokens = randomIds(B * T, config.vocabSize, 77);
  const targets = randomIds(B * T, config.vocabSize, 78);
  const seq = (a: number[], b: number) => a.slice(b * T, (b + 1) * T);

  it('forward: logits and NLL of each sequence', async () => {
    const out = await engine.forward({ batch: B, seq: T, tokens, targets }, { logits: true });
    const V = config.vocabSize;
    for (let b = 0; b < B; b++) {
      const ref = referenceForward(model, seq(tokens, b), { targets: seq(targets, b) });
      expect(relativeError(out.logits!.subarray(b * T * V, (b + 1) * T * V), ref.logits), 'logits').toBeLessThan(TOL);
      expect(relativeError(out.nll.subarray(b * T, (b + 1) * T), ref.nll), 'nll').toBeLessThan(TOL);
    }
    // The scaling matters here: the same weights without it give other logits.
    const plain = referenceForward({ ...model, config: base }, seq(tokens, 0), { targets: seq(targets, 0) });
    const scaled = referenceForward(model, seq(tokens, 0), { targets: seq(targets, 0) });
    const expectChange = ropeScaling.type !== 'dynamic' || T > ropeScaling.originalMaxPositions;
    expect(relativeError(plain.logits, scaled.logits) > 1e-3).toBe(expectChange);
  });

  it('forward+backward: gradient sums of q, k and the embedding', async () => {
    const out = await engine.forwardBackward(
      { batch: B, seq: T, tokens, targets },
      { graph: { fisher: false, actFisher: false } },
    );
    const expected = new Map<string, Float64Array>();
    for (let b = 0; b < B; b++) {
      const r = referenceBackward(model, seq(tokens, b), { targets: seq(targets, b) });
      const add = (name: string, g: ArrayLike<number>) => {
        const acc = expected.get(name) ?? new Float64Array(g.length);
        for (let i = 0; i < g.length; i++) acc[i] += g[i];
        expected.set(name, acc);
      };
      for (let l = 0; l < config.nLayers; l++) {
        add(gradSumName(layerWeightName(l, 'q')), r.grads.layers[l].q);
        add(gradSumName(layerWeightName(l, 'k')), r.grads.layers[l].k);
      }
      add(gradSumName('tokenEmbedding'), r.grads.tokenEmbedding);
    }
    for (const [name, g] of expected) expect(relativeError(out.outputs.get(name)!, g), name).toBeLessThan(TOL);
  });
});

// The ONNX graphs against the plain-TypeScript reference (float64) on random configs and on stories260K.
import { describe, expect, it } from 'vitest';
import { PROJECTIONS, randomModel, type LlamaConfig, type LlamaModel } from '../model/types';
import { referenceBackward, referenceForward } from '../model/reference';
import { parseLlama2c } from '../model/loaders/llama2c';
import { LlamaEngine } from '../runtime/engine';
import {
  actFisherName,
  fisherName,
  gradSumName,
  layerWeightName,
  linearInputName,
  projectionInFeatures,
  weightInputNames,
} from './names';
import { relativeError, randomIds } from './testUtil';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData';

const TOL = 1e-4;
const base: LlamaConfig = {
  dim: 32,
  hiddenDim: 40,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 4,
  vocabSize: 50,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};
const configs: [string, LlamaConfig][] = [
  ['MHA, shared classifier', base],
  [
    'GQA (4 query heads per KV head), separate classifier',
    { ...base, nHeads: 8, nKvHeads: 2, dim: 48, hiddenDim: 36, sharedClassifier: false },
  ],
  ['GQA 2:1, shared classifier, 3 layers, rope theta 500', { ...base, nKvHeads: 2, nLayers: 3, ropeTheta: 500 }],
];

/** A batch of sequences with next-token targets; position T−1 and some leading positions unscored. */
function makeBatch(c: LlamaConfig, B: number, T: number, seed: number) {
  const tokens = randomIds(B * T, c.vocabSize, seed);
  const targets: number[] = [];
  const lossMask = new Float32Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      targets.push(t < T - 1 ? tokens[b * T + t + 1] : 0);
      lossMask[b * T + t] = t < T - 1 && t >= b ? 1 : 0; // sequence b skips its first b predictions (like a sliding window)
    }
  return { batch: B, seq: T, tokens, targets, lossMask };
}

/** Reference per-sequence targets (−1 = not scored). */
function refTargets(batch: ReturnType<typeof makeBatch>, b: number): number[] {
  const T = batch.seq;
  return Array.from({ length: T }, (_, t) => (batch.lossMask[b * T + t] ? batch.targets[b * T + t] : -1));
}

function sumOver(acc: Map<string, Float64Array>, key: string, v: ArrayLike<number>, square: boolean) {
  let a = acc.get(key);
  if (!a) acc.set(key, (a = new Float64Array(v.length)));
  for (let i = 0; i < v.length; i++) a[i] += square ? v[i] * v[i] : v[i];
}

/** Σ_s g_s², Σ_s g_s and Σ_tokens (W_pᵀ dY_p)² from the reference, one sequence at a time. */
function referenceFisher(model: LlamaModel, batch: ReturnType<typeof makeBatch>) {
  const c = model.config;
  const expected = new Map<string, Float64Array>();
  for (let b = 0; b < batch.batch; b++) {
    const seq = batch.tokens.slice(b * batch.seq, (b + 1) * batch.seq);
    const r = referenceBackward(model, seq, { targets: refTargets(batch, b) });
    r.grads.layers.forEach((lg, l) => {
      for (const p of PROJECTIONS) {
        sumOver(expected, fisherName(l, p), lg[p], true);
        const inF = projectionInFeatures(c, p);
        const g = r.linearInputGrads[l][p];
        const perChannel = new Float64Array(inF);
        for (let i = 0; i < g.length; i++) perChannel[i % inF] += g[i] * g[i];
        sumOver(expected, actFisherName(l, p), perChannel, false);
      }
      for (const p of ['attnNorm', 'q', 'k', 'v', 'o', 'ffnNorm', 'gate', 'up', 'down'] as const)
        sumOver(expected, gradSumName(layerWeightName(l, p)), lg[p], false);
    });
    sumOver(expected, gradSumName('tokenEmbedding'), r.grads.tokenEmbedding, false);
    sumOver(expected, gradSumName('finalNorm'), r.grads.finalNorm, false);
    if (!c.sharedClassifier) sumOver(expected, gradSumName('classifier'), r.grads.classifier, false);
  }
  return expected;
}

describe.each(configs)('ONNX graphs vs reference: %s', (_label, config) => {
  const model = randomModel(config, 7, 0.3);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  const batch = makeBatch(config, 3, 11, 42);

  it('forward: logits, NLL and linear-layer inputs of every sequence of a batch', async () => {
    const out = await engine.forward(batch, { logits: true, linearInputs: true });
    const { seq: T } = batch;
    const V = config.vocabSize;
    for (let b = 0; b < batch.batch; b++) {
      const ref = referenceForward(model, batch.tokens.slice(b * T, (b + 1) * T), {
        targets: batch.targets.slice(b * T, (b + 1) * T),
      });
      expect(relativeError(out.logits!.subarray(b * T * V, (b + 1) * T * V), ref.logits)).toBeLessThan(TOL);
      expect(relativeError(out.nll.subarray(b * T, (b + 1) * T), ref.nll)).toBeLessThan(TOL);
      for (let l = 0; l < config.nLayers; l++)
        for (const p of PROJECTIONS) {
          const inF = projectionInFeatures(config, p);
          const got = out.linearInputs!.get(linearInputName(l, p))!.subarray(b * T * inF, (b + 1) * T * inF);
          expect(relativeError(got, ref.linearInputs[l][p]), `${linearInputName(l, p)} of sequence ${b}`).toBeLessThan(
            TOL,
          );
        }
    }
  });

  it('forward+backward: every fisher, actfisher and gradsum output equals sums over per-sequence reference gradients', async () => {
    const out = await engine.forwardBackward(batch);
    const expected = referenceFisher(model, batch);
    const expectedNames = [...expected.keys()].sort();
    expect([...out.outputs.keys()].sort()).toEqual(expectedNames);
    expect(expectedNames.filter((n) => n.startsWith('gradsum.')).length).toBe(weightInputNames(config).length);
    for (const [name, exp] of expected) expect(relativeError(out.outputs.get(name)!, exp), name).toBeLessThan(TOL);
  });

  it('the linear-input hook transforms exactly the named projection inputs', async () => {
    // Hook: scale the input of every "up" projection by 0.5; the reference gets the same transform.
    const out = await engine.forward(batch, {
      logits: true,
      variant: {
        key: 'test-scale-up',
        hook: (g, x, site) => (site.projection === 'up' ? g.op('Mul', [x, g.scalar(0.5)]) : x),
      },
    });
    const T = batch.seq;
    const ref = referenceForward(model, batch.tokens.slice(0, T), {
      targets: batch.targets.slice(0, T),
      transformLinearInput: (_l, p, x) => (p === 'up' ? x.map((v) => v * 0.5) : undefined),
    });
    expect(relativeError(out.logits!.subarray(0, T * config.vocabSize), ref.logits)).toBeLessThan(TOL);
    const plain = await engine.forward(batch, { logits: true });
    expect(relativeError(plain.logits!.subarray(0, T * config.vocabSize), ref.logits)).toBeGreaterThan(1e-3);
  });
});

describe('chunked causal attention of the forward graph (context 64: two query chunks of 32)', () => {
  const config: LlamaConfig = { ...base, maxSeqLen: 64, nKvHeads: 2 };
  const model = randomModel(config, 11, 0.3);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  it.each([1, 31, 32, 33, 64])('T = %i matches the reference', async (T) => {
    const tokens = randomIds(2 * T, config.vocabSize, T);
    const targets = randomIds(2 * T, config.vocabSize, T + 100);
    const out = await engine.forward({ batch: 2, seq: T, tokens, targets }, { logits: true });
    const V = config.vocabSize;
    for (let b = 0; b < 2; b++) {
      const ref = referenceForward(model, tokens.slice(b * T, (b + 1) * T), {
        targets: targets.slice(b * T, (b + 1) * T),
      });
      expect(relativeError(out.logits!.subarray(b * T * V, (b + 1) * T * V), ref.logits)).toBeLessThan(TOL);
      expect(relativeError(out.nll.subarray(b * T, (b + 1) * T), ref.nll)).toBeLessThan(TOL);
    }
  });
});

describe('chunked causal attention in the forward+backward graph (context 64: two chunks)', () => {
  const config: LlamaConfig = { ...base, maxSeqLen: 64, nKvHeads: 2, nLayers: 1 };
  const model = randomModel(config, 12, 0.3);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  it.each([20, 33, 64])('T = %i: every output matches the reference', async (T) => {
    const batch = makeBatch(config, 2, T, T + 7);
    const out = await engine.forwardBackward(batch);
    for (const [name, exp] of referenceFisher(model, batch))
      expect(relativeError(out.outputs.get(name)!, exp), name).toBeLessThan(TOL);
  });
});

describe('forward+backward graph options', () => {
  const config = configs[1][1];
  const model = randomModel(config, 3, 0.3);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  const batch = makeBatch(config, 2, 9, 5);
  it('fisher and actfisher alone (calibration): the same values, no gradient sums', async () => {
    const all = await engine.forwardBackward(batch);
    const only = await engine.forwardBackward(batch, { graph: { gradSum: false } });
    expect([...only.outputs.keys()].some((k) => k.startsWith('gradsum.'))).toBe(false);
    expect(only.outputs.size).toBe(2 * 7 * config.nLayers);
    for (const [k, v] of only.outputs) expect(relativeError(v, all.outputs.get(k)!), k).toBeLessThan(1e-6);
    const sums = await engine.forwardBackward(batch, { graph: { fisher: false, actFisher: false } });
    expect(sums.outputs.size).toBe(weightInputNames(config).length);
    for (const [k, v] of sums.outputs) expect(relativeError(v, all.outputs.get(k)!), k).toBeLessThan(1e-6);
  });
});

describe('engine input checks', () => {
  const engine = LlamaEngine.forModel(randomModel(base, 1), { threads: 1 });
  it('rejects ids outside the vocabulary, sequences longer than the context and bad lengths', async () => {
    await expect(engine.forward({ batch: 1, seq: 2, tokens: [1, 50], targets: [0, 0] })).rejects.toThrow(
      /outside the vocabulary 0..49/,
    );
    await expect(
      engine.forward({ batch: 1, seq: 17, tokens: new Array(17).fill(0), targets: new Array(17).fill(0) }),
    ).rejects.toThrow(/exceeds the model's context 16/);
    await expect(engine.forward({ batch: 2, seq: 2, tokens: [1, 2], targets: [0, 0] })).rejects.toThrow(
      /batch x seq = 4/,
    );
    const bad = new Map([['L0.q', new Float32Array(3)]]);
    await expect(
      engine.forward({ batch: 1, seq: 2, tokens: [1, 2], targets: [0, 0] }, { weights: bad }),
    ).rejects.toThrow(/weight L0.q has 3 values/);
  });
});

describe.skipIf(!hasSharedData)(`stories260K on ONNX (${SKIP_REASON} when absent)`, () => {
  const model = hasSharedData
    ? parseLlama2c(readShared('models/stories260K.bin'), 'stories260K.bin')
    : randomModel(base);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  const ids = (text: string) => text.trim().split(/\s+/).map(Number);

  it('reproduces run.c logits at positions 0..7 of the greedy run (1e-4 relative)', async () => {
    const greedy = ids(readSharedText('golden/stories260K-greedy-tokens.txt'));
    const out = await engine.forward(
      { batch: 1, seq: 8, tokens: greedy.slice(0, 8), targets: greedy.slice(1, 9) },
      { logits: true },
    );
    const g = readShared('golden/stories260K-greedy-logits-first8.f32');
    const golden = new Float32Array(g.buffer.slice(g.byteOffset, g.byteOffset + g.byteLength));
    expect(relativeError(out.logits!, golden)).toBeLessThan(TOL);
  });

  it('reproduces the NLL figures of golden/stories260K-nll.txt (1e-4 absolute)', async () => {
    const figures = readSharedText('golden/stories260K-nll.txt');
    const num = (re: RegExp) => Number(re.exec(figures)![1]);
    const mean = (a: Float32Array, from: number, to: number) => {
      let s = 0;
      for (let i = from; i < to; i++) s += a[i];
      return s / (to - from);
    };
    const greedy = ids(readSharedText('golden/stories260K-greedy-tokens.txt'));
    const g = await engine.forward({ batch: 1, seq: 127, tokens: greedy.slice(0, 127), targets: greedy.slice(1) });
    expect(Math.abs(mean(g.nll, 0, 127) - num(/greedy mean NLL[^:]*: ([\d.]+)/))).toBeLessThan(1e-4);
    // The four samples as one batch of 4 x 255 predictions.
    const samples = readSharedText('golden/stories260K-samples-4x256.txt').trim().split('\n').map(ids);
    const tokens = samples.flatMap((s) => s.slice(0, 255));
    const targets = samples.flatMap((s) => s.slice(1, 256));
    const r = await engine.forward({ batch: 4, seq: 255, tokens, targets });
    let total = 0;
    samples.forEach((_, k) => {
      const m = mean(r.nll, k * 255, (k + 1) * 255);
      total += m;
      expect(Math.abs(m - num(new RegExp(`sample ${k} mean NLL ([\\d.]+)`)))).toBeLessThan(1e-4);
    });
    expect(Math.abs(total / 4 - num(/samples mean NLL ([\d.]+)/))).toBeLessThan(1e-4);
  });

  it('forward+backward matches the reference on two 48-token sequences', async () => {
    const samples = readSharedText('golden/stories260K-samples-4x256.txt').trim().split('\n').map(ids);
    const T = 48;
    const tokens = [...samples[0].slice(0, T), ...samples[1].slice(0, T)];
    const targets = [...samples[0].slice(1, T + 1), ...samples[1].slice(1, T + 1)];
    const batch = { batch: 2, seq: T, tokens, targets, lossMask: new Float32Array(2 * T).fill(1) };
    const out = await engine.forwardBackward(batch);
    const expected = referenceFisher(model, batch);
    for (const [name, exp] of expected) expect(relativeError(out.outputs.get(name)!, exp), name).toBeLessThan(TOL);
  });
});

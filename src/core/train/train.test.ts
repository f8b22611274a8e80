import { describe, expect, it } from 'vitest';
import type { LlamaConfig } from '../model/types';
import { AdamW, clipGlobalNorm, globalNorm } from './adamw';
import { evenlySpacedWindows, randomBatch } from './batches';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from './checkpoint';
import { ReferenceGradientSource } from './gradientSource';
import { cloneModel, initialModel, parametersOf, type Parameter } from './params';
import { Rng } from './rng';
import { learningRate } from './schedule';
import { initialState, Trainer, type TrainConfig } from './trainer';

const tiny: LlamaConfig = {
  dim: 16,
  hiddenDim: 24,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 24,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

/** A learnable stream: a fixed cycle of 7 tokens with an occasional random token (ids 3..23). */
function patternStream(n: number): Int32Array {
  const rng = new Rng(99);
  const cycle = [5, 9, 12, 7, 20, 3, 15];
  return Int32Array.from({ length: n }, (_, i) => (rng.uniform() < 0.1 ? 3 + rng.int(21) : cycle[i % cycle.length]));
}

const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  model: tiny,
  seed: 7,
  steps: 30,
  batchSize: 4,
  windowTokens: 15,
  maxLr: 1e-2,
  minLr: 1e-3,
  warmupSteps: 3,
  adamw: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
  clipNorm: 1,
  evalEvery: 10,
  ...over,
});

describe('Rng', () => {
  it('is deterministic and resumes from its state', () => {
    const a = new Rng(42);
    const first = Array.from({ length: 5 }, () => a.nextU32());
    expect(
      Array.from(
        { length: 5 },
        (
          (b) => () =>
            b.nextU32()
        )(new Rng(42)),
      ),
    ).toEqual(first);
    const state = a.state();
    const next = [a.uniform(), a.int(10), a.normal()];
    const b = new Rng(state);
    expect([b.uniform(), b.int(10), b.normal()]).toEqual(next);
    expect(new Rng(43).nextU32()).not.toBe(first[0]);
  });

  it('draws uniform values with the right mean and range', () => {
    const r = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });
});

describe('learning-rate schedule', () => {
  const s = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110 };
  it('warms up linearly then decays by a cosine to minLr', () => {
    expect(learningRate(0, s)).toBeCloseTo(1e-4, 15);
    expect(learningRate(4, s)).toBeCloseTo(5e-4, 15);
    expect(learningRate(9, s)).toBeCloseTo(1e-3, 15);
    expect(learningRate(10, s)).toBeCloseTo(1e-3, 15);
    expect(learningRate(60, s)).toBeCloseTo(5.5e-4, 15); // halfway: (max + min) / 2
    expect(learningRate(110, s)).toBe(1e-4);
    expect(learningRate(500, s)).toBe(1e-4);
  });
});

describe('AdamW', () => {
  it('matches two steps computed by hand (decoupled decay on matrices only, bias correction)', () => {
    const w: Parameter = { name: 'w', values: Float32Array.of(1, -2), decay: true };
    const n: Parameter = { name: 'gain', values: Float32Array.of(0.5), decay: false };
    const opt = new AdamW([w, n], { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
    // Step 1, lr 0.1: m̂ = g and v̂ = g², so the step is lr·g/(|g| + ε) ≈ ±0.1.
    opt.update([Float32Array.of(0.5, -0.1), Float32Array.of(0.25)], 0.1);
    // w0: 1·(1 − 0.1·0.1) − 0.1·0.5/(0.5 + 1e-8) = 0.99 − 0.0999999980 = 0.8900000020
    expect(w.values[0]).toBe(Math.fround(0.890000002));
    // w1: −2·0.99 + 0.1·0.1/(0.1 + 1e-8) = −1.98 + 0.0999999900 = −1.8800000100
    expect(w.values[1]).toBe(Math.fround(-1.88000001));
    // gain (no decay): 0.5 − 0.1·0.25/(0.25 + 1e-8) = 0.4000000040
    expect(n.values[0]).toBe(Math.fround(0.400000004));
    // Step 2, lr 0.05, g = (0.2, 0.3), gain g = −0.5.
    opt.update([Float32Array.of(0.2, 0.3), Float32Array.of(-0.5)], 0.05);
    // w0: m = 0.9·0.05 + 0.1·0.2 = 0.065, v = 0.99·0.0025 + 0.01·0.04 = 0.002875,
    //     m̂ = 0.065/0.19 = 0.342105263, v̂ = 0.002875/0.0199 = 0.144472362, √v̂ = 0.380095201,
    //     w = 0.8900000020·(1 − 0.005) − 0.05·0.342105263/0.380095211 = 0.885550002 − 0.045002493 = 0.840547509
    expect(w.values[0]).toBeCloseTo(0.840547509, 6);
    // w1: m = 0.9·(−0.01) + 0.1·0.3 = 0.021, v = 0.99·0.0001 + 0.01·0.09 = 0.000999,
    //     m̂ = 0.110526316, v̂ = 0.050201005, √v̂ = 0.224055807,
    //     w = −1.88000001·0.995 − 0.05·0.110526316/0.224055817 = −1.87060001 − 0.024664848 = −1.895264858
    expect(w.values[1]).toBeCloseTo(-1.895264858, 6);
    // gain: m = 0.9·0.025 + 0.1·(−0.5) = −0.0275, v = 0.99·0.000625 + 0.01·0.25 = 0.00311875,
    //     m̂ = −0.144736842, v̂ = 0.156721106, √v̂ = 0.395880166,
    //     gain = 0.400000004 + 0.05·0.144736842/0.395880176 = 0.400000004 + 0.018280... = 0.418280...
    expect(n.values[0]).toBeCloseTo(0.400000004 + (0.05 * 0.144736842) / 0.395880176, 6);
    expect(opt.t).toBe(2);
  });

  it('clips by the global norm over all gradients', () => {
    const g = [Float32Array.of(3), Float32Array.of(0, 4)];
    expect(clipGlobalNorm(g, 1)).toBeCloseTo(5, 12);
    expect(globalNorm(g)).toBeCloseTo(1, 6);
    expect(g[0][0]).toBeCloseTo(0.6, 6);
    expect(g[1][1]).toBeCloseTo(0.8, 6);
    const small = [Float32Array.of(0.3, 0.4)];
    clipGlobalNorm(small, 1);
    expect(Array.from(small[0])).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});

describe('batches', () => {
  const stream = Int32Array.from({ length: 100 }, (_, i) => 3 + (i % 20));
  it('puts BOS in front of windows drawn with the seeded RNG', () => {
    const b = randomBatch(stream, 3, 10, new Rng(5));
    expect(b).toEqual(randomBatch(stream, 3, 10, new Rng(5)));
    for (const s of b) {
      expect(s.length).toBe(11);
      expect(s[0]).toBe(1);
      const start = stream.indexOf(s[1]);
      expect(start).toBeGreaterThanOrEqual(0);
    }
  });
  it('spreads evaluation windows evenly from the start to the end of the stream', () => {
    const w = evenlySpacedWindows(stream, 3, 10);
    expect(Array.from(w[0].subarray(1))).toEqual(Array.from(stream.subarray(0, 10)));
    expect(Array.from(w[1].subarray(1))).toEqual(Array.from(stream.subarray(45, 55)));
    expect(Array.from(w[2].subarray(1))).toEqual(Array.from(stream.subarray(90, 100)));
  });
});

describe('Trainer (reference gradients, tiny config)', () => {
  const stream = patternStream(2000);
  const validation = evenlySpacedWindows(
    patternStream(400).map((t) => t),
    4,
    15,
  );
  const source = new ReferenceGradientSource('float64');

  it('lowers the training and validation loss within 30 steps', async () => {
    const c = config();
    const trainer = new Trainer(c, initialState(c), source, stream, validation);
    const before = await trainer.validationLoss();
    const logs = await trainer.run();
    expect(logs.length).toBe(30);
    expect(before).toBeGreaterThan(Math.log(24) - 0.2); // about uniform at init
    const firstLoss = logs[0].loss;
    const lastLoss = logs.slice(-5).reduce((s, l) => s + l.loss, 0) / 5;
    expect(lastLoss).toBeLessThan(firstLoss - 1);
    expect(logs.at(-1)!.valLoss!).toBeLessThan(before - 1);
    expect(logs.filter((l) => l.valLoss !== undefined).map((l) => l.step)).toEqual([10, 20, 30]);
  });

  it('resumes from a checkpoint to exactly the weights, moments and RNG of an uninterrupted run', async () => {
    const c = config({ steps: 6, evalEvery: 0 });
    const straight = new Trainer(c, initialState(c), source, stream);
    await straight.run();

    const first = new Trainer(c, initialState(c), source, stream);
    await first.run(undefined, 3);
    const saved = saveTrainingCheckpoint(c, first.state);
    // Read it back as a file would be: a Node Buffer at an odd offset inside a larger allocation.
    const pool = new Uint8Array(saved.length + 3);
    pool.set(saved, 3);
    const { config: c2, state } = loadTrainingCheckpoint(Buffer.from(pool.buffer, 3, saved.length));
    expect(c2).toEqual(c);
    expect(state.step).toBe(3);
    const resumed = new Trainer(c2, state, source, stream);
    await resumed.run();

    expect(resumed.state.step).toBe(6);
    expect(resumed.state.rng.state()).toEqual(straight.state.rng.state());
    expect(resumed.state.optimizer.t).toBe(6);
    const a = parametersOf(straight.state.model);
    const b = parametersOf(resumed.state.model);
    a.forEach((p, i) => {
      expect(b[i].name).toBe(p.name);
      expect(b[i].values).toEqual(p.values);
      expect(resumed.state.optimizer.m[i]).toEqual(straight.state.optimizer.m[i]);
      expect(resumed.state.optimizer.v[i]).toEqual(straight.state.optimizer.v[i]);
    });
    // And the run really moved the weights away from the initialisation.
    expect(a[1].values).not.toEqual(parametersOf(initialModel(tiny, 7)).at(1)!.values);
  });

  it('rejects a file that is not a training checkpoint', () => {
    expect(() => loadTrainingCheckpoint(new TextEncoder().encode('hello world, not a checkpoint'))).toThrow(/FGMPTRN1/);
  });
});

describe('initialModel', () => {
  it('is deterministic, with unit norm gains and small residual projections', () => {
    const a = initialModel(tiny, 3);
    expect(cloneModel(initialModel(tiny, 3)).weights.layers[1].q).toEqual(a.weights.layers[1].q);
    expect(a.weights.layers[0].attnNorm.every((x) => x === 1)).toBe(true);
    const sd = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(sd(a.weights.layers[0].gate)).toBeGreaterThan(0.017);
    expect(sd(a.weights.layers[0].gate)).toBeLessThan(0.023);
    expect(sd(a.weights.layers[0].down)).toBeLessThan(0.012); // 0.02 / √4
    expect(a.weights.classifier).toBe(a.weights.tokenEmbedding);
  });
});

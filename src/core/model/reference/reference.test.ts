// Behaviour of the reference engine on random models: KV-cache generation vs the full forward, causality,
// the linear-input hook, targets, and clear errors for bad input.
import { describe, expect, it } from 'vitest';
import { PROJECTIONS, projectionShape, randomModel, type Projection } from '../types';
import { referenceBackward, referenceForward, referenceGenerate, type RefArray } from './index';
import { tinyConfig } from '../../../../tests/support/models';

const config = tinyConfig({ hiddenDim: 48, sharedClassifier: false });
const tokens = [1, 7, 30, 2, 2, 19, 5, 38, 11];

describe('reference forward', () => {
  it('is causal: changing the last token leaves the logits of earlier positions bit-identical', () => {
    const model = randomModel(config, 2, 0.5);
    const a = referenceForward(model, tokens);
    const b = referenceForward(model, [...tokens.slice(0, -1), 3]);
    const V = config.vocabSize;
    const before = (T: number) => (x: RefArray) => Array.from(x.subarray(0, T * V));
    expect(before(tokens.length - 1)(b.logits)).toEqual(before(tokens.length - 1)(a.logits));
    // ... and the last row does change.
    expect(Array.from(b.logits.subarray(-V))).not.toEqual(Array.from(a.logits.subarray(-V)));
  });

  it('returns per-position NLL of the next token, consistent with the logits', () => {
    const model = randomModel(config, 2, 0.5);
    const out = referenceForward(model, tokens);
    const V = config.vocabSize;
    expect(out.nll.length).toBe(tokens.length - 1);
    for (let t = 0; t < tokens.length - 1; t++) {
      const row = Array.from(out.logits.subarray(t * V, (t + 1) * V));
      const logZ = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      expect(out.nll[t]).toBeCloseTo(logZ - row[tokens[t + 1]], 12);
    }
    expect(out.meanNll).toBeCloseTo(out.nll.reduce((s, v) => s + v, 0) / out.nll.length, 14);
    // A single token has logits but nothing to score.
    const one = referenceForward(model, [4]);
    expect(one.logits.length).toBe(V);
    expect(one.nll.length).toBe(0);
    expect(one.scoredCount).toBe(0);
    expect(Number.isNaN(one.meanNll)).toBe(true);
  });

  it('explicit targets of length T score the last position too; -1 skips a position', () => {
    const model = randomModel(config, 2, 0.5);
    const base = referenceForward(model, tokens);
    const targets = [...tokens.slice(1), 6];
    targets[2] = -1;
    const out = referenceForward(model, tokens, { targets });
    expect(out.nll.length).toBe(tokens.length);
    expect(out.scoredCount).toBe(tokens.length - 1);
    expect(Number.isNaN(out.nll[2])).toBe(true);
    expect(out.nll[0]).toBe(base.nll[0]);
    const V = config.vocabSize;
    const last = Array.from(out.logits.subarray(-V));
    expect(out.nll[tokens.length - 1]).toBeCloseTo(Math.log(last.reduce((s, v) => s + Math.exp(v), 0)) - last[6], 12);
  });
});

describe('referenceGenerate', () => {
  it('KV-cache decoding gives the same logits, bit for bit, as the full forward over the generated sequence', () => {
    for (const precision of ['float64', 'float32'] as const) {
      const model = randomModel(config, 4, 1.5);
      const prompt = [1, 12, 5];
      const steps = 12;
      const gen = referenceGenerate(model, prompt, steps, { precision, keepLogits: true });
      expect(gen.tokens.length).toBe(prompt.length + steps);
      expect(gen.tokens.slice(0, 3)).toEqual(prompt);
      const full = referenceForward(model, gen.tokens.slice(0, -1), { precision });
      const V = config.vocabSize;
      gen.logits!.forEach((row, i) => {
        const pos = prompt.length - 1 + i;
        expect(Array.from(row), `${precision} step ${i}`).toEqual(
          Array.from(full.logits.subarray(pos * V, (pos + 1) * V)),
        );
        // Greedy: the chosen token is the first largest logit.
        const max = Math.max(...row);
        expect(gen.tokens[pos + 1]).toBe(row.indexOf(max));
      });
      // A random model of this scale does not just repeat one token (the check above would be weak).
      expect(new Set(gen.tokens.slice(prompt.length)).size).toBeGreaterThan(1);
    }
  });

  it('stops after a stop token and respects the context length', () => {
    const model = randomModel(config, 4, 1.5);
    const free = referenceGenerate(model, [1], 10).tokens;
    const stopAt = free[4];
    const stopped = referenceGenerate(model, [1], 10, { stopTokens: [stopAt] }).tokens;
    expect(stopped).toEqual(free.slice(0, free.indexOf(stopAt) + 1));
    expect(referenceGenerate(model, [1, 2], 0).tokens).toEqual([1, 2]);
    // prompt 1 + 32 steps feeds 32 positions: allowed; 33 steps would feed 33.
    expect(referenceGenerate(model, [1], 32).tokens.length).toBe(33);
    expect(() => referenceGenerate(model, [1], 33)).toThrow(/33 positions exceed the model's context of 32/);
    expect(() => referenceGenerate(model, [1], 3, { temperature: 0.8 })).toThrow(/only greedy/);
    expect(() => referenceGenerate(model, [], 3)).toThrow(/prompt is empty/);
  });
});

describe('transformLinearInput hook', () => {
  it('is called once per layer and projection with that projection input, and each gets its own copy', () => {
    const model = randomModel(config, 6, 0.5);
    const plain = referenceForward(model, tokens);
    const calls: string[] = [];
    const hooked = referenceForward(model, tokens, {
      transformLinearInput: (layer, proj, x, rows, inDim) => {
        calls.push(`${layer}.${proj}`);
        expect(rows).toBe(tokens.length);
        expect(inDim).toBe(projectionShape(config, proj)[1]);
        // Upstream of the change below, every copy equals the plain input.
        if (layer === 0 && ['q', 'k', 'v'].includes(proj))
          expect(Array.from(x)).toEqual(Array.from(plain.linearInputs[layer][proj]));
        if (layer === 0 && proj === 'k') x.fill(0); // must not leak into q's or v's input
      },
    });
    expect(calls).toEqual([0, 1].flatMap((l) => PROJECTIONS.map((p) => `${l}.${p}`)));
    expect(Array.from(hooked.linearInputs[0].k).every((v) => v === 0)).toBe(true);
    expect(Array.from(hooked.linearInputs[0].q)).toEqual(Array.from(plain.linearInputs[0].q));
    expect(Array.from(hooked.linearInputs[0].v)).toEqual(Array.from(plain.linearInputs[0].v));
    expect(hooked.meanNll).not.toBe(plain.meanNll);
  });

  it('an identity hook returning a new array reproduces the plain forward exactly', () => {
    const model = randomModel(config, 6, 0.5);
    for (const precision of ['float64', 'float32'] as const) {
      const plain = referenceForward(model, tokens, { precision });
      const copy = referenceForward(model, tokens, {
        precision,
        transformLinearInput: (_l, _p, x) => Float32Array.from(x),
      });
      if (precision === 'float32') expect(Array.from(copy.logits)).toEqual(Array.from(plain.logits));
      else expect(Math.abs(copy.meanNll - plain.meanNll)).toBeLessThan(1e-6); // inputs rounded to float32
    }
  });

  it('inputs as seen by each linear layer: q/k/v share the normed stream, o the attention output, down silu(gate)*up', () => {
    const model = randomModel(config, 6, 0.5);
    const out = referenceForward(model, tokens);
    const layer = out.linearInputs[1];
    expect(layer.q).toBe(layer.k);
    expect(layer.gate).toBe(layer.up);
    const shapes = Object.fromEntries(PROJECTIONS.map((p) => [p, layer[p].length])) as Record<Projection, number>;
    expect(shapes).toEqual({ q: 9 * 32, k: 9 * 32, v: 9 * 32, o: 9 * 32, gate: 9 * 32, up: 9 * 32, down: 9 * 48 });
    // The q/k/v input is RMS-normalised with the gain: mean((x / gain)^2) ≈ 1 per row.
    const gain = model.weights.layers[1].attnNorm;
    for (let t = 0; t < tokens.length; t++) {
      let ss = 0;
      for (let i = 0; i < 32; i++) ss += (layer.q[t * 32 + i] / gain[i]) ** 2;
      expect(ss / 32).toBeCloseTo(1, 3);
    }
  });
});

describe('bad input', () => {
  const model = randomModel(config, 1);
  it('gets clear errors', () => {
    expect(() => referenceForward(model, [])).toThrow(/empty/);
    expect(() => referenceForward(model, [1, 40])).toThrow(
      /token 40 at position 1 is not an id below the vocabulary size 40/,
    );
    expect(() => referenceForward(model, [1, 2.5])).toThrow(/token 2.5/);
    expect(() => referenceForward(model, new Array(33).fill(1))).toThrow(
      /33 positions exceed the model's context of 32/,
    );
    expect(() => referenceForward(model, tokens, { targets: [1, 2] })).toThrow(/targets has length 2, expected 8 or 9/);
    expect(() => referenceForward(model, [1, 2, 3], { targets: [1, 99] })).toThrow(/target 99 at position 1/);
    expect(() => referenceForward(model, tokens, { scoreFrom: -1 })).toThrow(/scoreFrom/);
    expect(() => referenceForward(model, tokens, { precision: 'float16' as never })).toThrow(
      /unknown precision 'float16'/,
    );
    expect(() => referenceForward(model, tokens, { transformLinearInput: () => new Float64Array(3) })).toThrow(
      /transformLinearInput\(0, q\) returned 3 values, expected 9 x 32/,
    );
    expect(() => referenceBackward(model, tokens, { scoreFrom: 100 })).toThrow(/no position is scored/);
  });

  it('rejects weights that do not match the config', () => {
    const short = randomModel(config, 1);
    short.weights.layers[1].down = new Float32Array(10);
    expect(() => referenceForward(short, tokens)).toThrow(/layers\[1\].down has 10 values, expected 1536/);
    const untied = randomModel({ ...config, sharedClassifier: true }, 1);
    untied.weights.classifier = untied.weights.classifier.slice();
    expect(() => referenceForward(untied, tokens)).toThrow(
      /sharedClassifier is set but weights.classifier is not the tokenEmbedding array/,
    );
  });
});

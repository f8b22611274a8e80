// Finite-difference checks of the reference backward in float64 on tiny random models: every parameter
// tensor and every linear-layer input, grouped-query and multi-head attention, shared and separate classifier.
import { describe, expect, it } from 'vitest';
import { lcg32 } from '../../random';
import { PROJECTIONS, randomModel, type LlamaConfig, type LlamaModel, type Projection } from '../types';
import {
  referenceBackward,
  referenceForward,
  type LinearInputTransform,
  type ReferenceOptions,
  type RefArray,
} from './index';

const base: LlamaConfig = {
  dim: 16,
  hiddenDim: 24,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 13,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

const cases: { name: string; config: LlamaConfig; opts: ReferenceOptions }[] = [
  { name: 'grouped-query (4 heads, 2 kv heads), shared classifier', config: base, opts: {} },
  {
    name: 'grouped-query, separate classifier, scored from position 2',
    config: { ...base, sharedClassifier: false },
    opts: { scoreFrom: 2 },
  },
  {
    name: 'multi-head (2 heads), shared classifier, explicit targets incl. last position',
    config: { ...base, nHeads: 2, nKvHeads: 2, hiddenDim: 20 },
    opts: { targets: [3, -1, 7, 1, 12, 0, 5] },
  },
  {
    name: 'multi-head (4 heads), separate classifier, theta 500',
    config: { ...base, nKvHeads: 4, sharedClassifier: false, ropeTheta: 500 },
    opts: {},
  },
];

const tokens = [1, 5, 9, 2, 11, 5, 7];

/** Deterministic sample of indices: the largest-|g| entries plus pseudo-random ones. */
function sampleIndices(g: RefArray, count: number, seed: number): number[] {
  const byMagnitude = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
  const picked = new Set(byMagnitude.slice(0, 2));
  const next = lcg32(seed * 2654435761 + 12345, 1103515245, 12345);
  while (picked.size < Math.min(count, g.length)) picked.add(next() % g.length);
  return [...picked];
}

const loss = (model: LlamaModel, opts: ReferenceOptions) =>
  referenceForward(model, tokens, { ...opts, precision: 'float64' }).meanNll;

/** Central difference with respect to a float32 weight; uses the steps actually stored after rounding. */
function centralWeight(model: LlamaModel, a: Float32Array, i: number, opts: ReferenceOptions, h: number): number {
  const orig = a[i];
  a[i] = orig + h;
  const up = a[i];
  const lp = loss(model, opts);
  a[i] = orig - h;
  const down = a[i];
  const lm = loss(model, opts);
  a[i] = orig;
  return (lp - lm) / (up - down);
}

// Richardson extrapolation of central differences at h and h/2: truncation error O(h^4), so a step large
// enough to keep float64 round-off small (h = 2^-10) still resolves ~1e-9 relative.
const H = 2 ** -10;
const richardson = (d: (h: number) => number) => (4 * d(H / 2) - d(H)) / 3;

const fdWeight = (model: LlamaModel, a: Float32Array, i: number, opts: ReferenceOptions) =>
  richardson((h) => centralWeight(model, a, i, opts, h));

/** Central difference with respect to element i of projection p's input in layer l, perturbed via the hook. */
function centralInput(
  model: LlamaModel,
  l: number,
  p: Projection,
  i: number,
  opts: ReferenceOptions,
  h: number,
): number {
  const shifted =
    (delta: number): LinearInputTransform =>
    (layer, proj, x, rows, inDim) => {
      const inner = opts.transformLinearInput?.(layer, proj, x, rows, inDim) ?? x;
      if (layer === l && proj === p) inner[i] += delta;
      return inner;
    };
  const lp = loss(model, { ...opts, transformLinearInput: shifted(h) });
  const lm = loss(model, { ...opts, transformLinearInput: shifted(-h) });
  return (lp - lm) / (2 * h);
}

const fdInput = (model: LlamaModel, l: number, p: Projection, i: number, opts: ReferenceOptions) =>
  richardson((h) => centralInput(model, l, p, i, opts, h));

interface Check {
  name: string;
  analytic: number;
  numeric: number;
}
const relErr = (c: Check) =>
  Math.abs(c.analytic - c.numeric) / (Math.max(Math.abs(c.analytic), Math.abs(c.numeric)) + 1e-9);

function expectClose(checks: Check[], tolerance: number): void {
  const worst = checks.reduce((a, b) => (relErr(b) > relErr(a) ? b : a));
  expect(relErr(worst), `${worst.name}: analytic ${worst.analytic} vs finite difference ${worst.numeric}`).toBeLessThan(
    tolerance,
  );
}

/** Checks sampled elements of every parameter tensor and every linear input. */
function gradientChecks(
  model: LlamaModel,
  opts: ReferenceOptions,
  perTensor: number,
): { params: Check[]; inputs: Check[]; tensorsChecked: number } {
  const back = referenceBackward(model, tokens, { ...opts, precision: 'float64' });
  const w = model.weights;
  const g = back.grads;
  const tensors: [string, Float32Array, RefArray][] = [
    ['tokenEmbedding', w.tokenEmbedding, g.tokenEmbedding],
    ['finalNorm', w.finalNorm, g.finalNorm],
  ];
  if (!model.config.sharedClassifier) tensors.push(['classifier', w.classifier, g.classifier]);
  w.layers.forEach((lw, l) => {
    tensors.push(
      [`layers[${l}].attnNorm`, lw.attnNorm, g.layers[l].attnNorm],
      [`layers[${l}].ffnNorm`, lw.ffnNorm, g.layers[l].ffnNorm],
    );
    for (const p of PROJECTIONS) tensors.push([`layers[${l}].${p}`, lw[p], g.layers[l][p]]);
  });
  const params: Check[] = [];
  tensors.forEach(([name, weights, grad], k) => {
    // Each tensor must carry real signal, or the check would pass vacuously.
    expect(Math.max(...Array.from(grad, Math.abs)), `${name} gradient is all ~0`).toBeGreaterThan(1e-5);
    for (const i of sampleIndices(grad, perTensor, k + 1))
      params.push({ name: `${name}[${i}]`, analytic: grad[i], numeric: fdWeight(model, weights, i, opts) });
  });
  const inputs: Check[] = [];
  back.linearInputGrads.forEach((byProj, l) => {
    for (const p of PROJECTIONS) {
      const grad = byProj[p];
      expect(grad.length).toBe(back.linearInputs[l][p].length);
      for (const i of sampleIndices(grad, perTensor, 100 + l * 7 + PROJECTIONS.indexOf(p)))
        inputs.push({
          name: `input of layers[${l}].${p} [${i}]`,
          analytic: grad[i],
          numeric: fdInput(model, l, p, i, opts),
        });
    }
  });
  return { params, inputs, tensorsChecked: tensors.length };
}

describe('reference backward vs central finite differences (float64)', () => {
  for (const { name, config, opts } of cases) {
    it(name, () => {
      const model = randomModel(config, 11, 0.3);
      const { params, inputs, tensorsChecked } = gradientChecks(model, opts, 6);
      expect(tensorsChecked).toBe(2 + (config.sharedClassifier ? 0 : 1) + config.nLayers * 9);
      expectClose(params, 1e-6);
      expectClose(inputs, 1e-6);
    });
  }

  it('a hook with identity Jacobian (x + offset) keeps every gradient exact: the backward uses the hooked inputs', () => {
    const offset: LinearInputTransform = (layer, proj, x) => {
      const k = layer * 7 + PROJECTIONS.indexOf(proj);
      for (let i = 0; i < x.length; i++) x[i] += 0.2 * Math.sin(0.37 * i + k);
    };
    const model = randomModel({ ...base, sharedClassifier: false }, 5, 0.3);
    const opts: ReferenceOptions = { transformLinearInput: offset };
    // The hook must change the loss, or this would test nothing new.
    expect(Math.abs(loss(model, opts) - loss(model, {}))).toBeGreaterThan(1e-3);
    const { params, inputs } = gradientChecks(model, opts, 4);
    expectClose(params, 1e-6);
    expectClose(inputs, 1e-6);
  });

  it('the shared classifier has one gradient array holding both the classifier and embedding contributions', () => {
    const shared = randomModel(base, 3);
    const back = referenceBackward(shared, tokens);
    expect(back.grads.classifier).toBe(back.grads.tokenEmbedding);
    // Rows of tokens that never appear in the input still get the classifier's gradient.
    const absent = 4;
    expect(tokens.includes(absent)).toBe(false);
    const row = back.grads.tokenEmbedding.subarray(absent * base.dim, (absent + 1) * base.dim);
    expect(Math.max(...Array.from(row, Math.abs))).toBeGreaterThan(1e-6);
    // A separate classifier leaves those embedding rows at exactly zero.
    const separate = randomModel({ ...base, sharedClassifier: false }, 3);
    const b2 = referenceBackward(separate, tokens);
    expect(b2.grads.classifier).not.toBe(b2.grads.tokenEmbedding);
    expect(
      Array.from(b2.grads.tokenEmbedding.subarray(absent * base.dim, (absent + 1) * base.dim)).every((v) => v === 0),
    ).toBe(true);
  });
});

describe('float32 path', () => {
  it('agrees with float64 to ~1e-4 relative on logits, loss and every gradient', () => {
    const config: LlamaConfig = { ...base, dim: 32, hiddenDim: 56, nLayers: 3, vocabSize: 37, maxSeqLen: 64 };
    const model = randomModel(config, 9, 0.2);
    const seq = Array.from({ length: 48 }, (_, t) => (t * 7 + 3) % config.vocabSize);
    const b64 = referenceBackward(model, seq, { precision: 'float64' });
    const b32 = referenceBackward(model, seq, { precision: 'float32' });
    expect(b32.logits).toBeInstanceOf(Float32Array);
    expect(b64.logits).toBeInstanceOf(Float64Array);
    const scaledDiff = (a: RefArray, b: RefArray) => {
      let d = 0;
      let m = 0;
      for (let i = 0; i < a.length; i++) {
        d = Math.max(d, Math.abs(a[i] - b[i]));
        m = Math.max(m, Math.abs(b[i]));
      }
      return d / m;
    };
    expect(scaledDiff(b32.logits, b64.logits)).toBeLessThan(1e-5);
    expect(Math.abs(b32.loss - b64.loss) / b64.loss).toBeLessThan(1e-5);
    const pairs: [string, RefArray, RefArray][] = [
      ['tokenEmbedding', b32.grads.tokenEmbedding, b64.grads.tokenEmbedding],
      ['finalNorm', b32.grads.finalNorm, b64.grads.finalNorm],
    ];
    b64.grads.layers.forEach((g, l) => {
      for (const k of ['attnNorm', 'ffnNorm', ...PROJECTIONS] as const)
        pairs.push([`layers[${l}].${k}`, b32.grads.layers[l][k], g[k]]);
      for (const p of PROJECTIONS)
        pairs.push([`input grad layers[${l}].${p}`, b32.linearInputGrads[l][p], b64.linearInputGrads[l][p]]);
    });
    for (const [name, a, b] of pairs) expect(scaledDiff(a, b), name).toBeLessThan(1e-4);
  });
});

// Reference Llama forward (llama2.c run.c semantics) in plain TypeScript: the oracle every other engine is
// checked against. Simple loops, no tricks. A ReferenceRun processes the sequence in chunks of positions
// (the whole sequence at once for scoring, one token at a time for generation) and keeps every activation
// the backward needs.
import { PROJECTIONS, headSize as headSizeOf, kvDim as kvDimOf, projectionShape, validateConfig } from '../types';
import type { LlamaConfig, LlamaModel, Projection } from '../types';
import { configInverseFrequencies } from '../rope';
import {
  argmax,
  arrayConstructor,
  attention,
  linear,
  ropeApply,
  ropeTables,
  rmsnorm,
  rowNll,
  swiglu,
  type AttentionShape,
  type Precision,
  type RefArray,
  type RefArrayConstructor,
} from './ops';

/**
 * Replaces the input of one linear layer before its matmul (e.g. fake quantization). x is a fresh copy of
 * the [rows, inDim] input that the hook may change in place; return nothing to use x, or an array of the
 * same length. q, k and v (and gate and up) each get their own copy. The backward treats the hook as the
 * identity (straight-through), so gradients are those of the transformed graph.
 */
export type LinearInputTransform = (
  layer: number,
  proj: Projection,
  x: RefArray,
  rows: number,
  inDim: number,
) => RefArray | Float32Array | Float64Array | void;

export interface ReferenceOptions {
  /** Working precision; default 'float64' (the oracle). 'float32' rounds every stored value like run.c. */
  precision?: Precision;
  /**
   * Token to predict at each position t (after seeing tokens[0..t]); −1 = not scored. Length T−1 or T.
   * Default: tokens[t+1] for t < T−1.
   */
  targets?: ArrayLike<number>;
  /** Positions t < scoreFrom are not scored (sliding windows score only the new part). Default 0. */
  scoreFrom?: number;
  transformLinearInput?: LinearInputTransform;
}

/** Activations of one transformer block, rows at absolute positions 0..capacity−1. */
export interface LayerActivations {
  /** Residual stream entering the block [C, dim]. */
  x: RefArray;
  attnInvRms: RefArray;
  attnNormed: RefArray;
  /** After RoPE [C, dim]. */
  q: RefArray;
  /** After RoPE [C, kvDim] (the key cache). */
  k: RefArray;
  /** [C, kvDim] (the value cache). */
  v: RefArray;
  /** Softmax probabilities [nHeads, C, C]; row pos holds entries 0..pos. */
  probs: RefArray;
  /** Attention output before the o projection [C, dim]. */
  attnOut: RefArray;
  /** Residual stream after attention [C, dim]. */
  xMid: RefArray;
  ffnInvRms: RefArray;
  ffnNormed: RefArray;
  /** Pre-activation gate and up outputs [C, hiddenDim]. */
  gate: RefArray;
  up: RefArray;
  /** silu(gate) ⊙ up [C, hiddenDim]. */
  act: RefArray;
  /** The matmul input of each projection [C, in] (after the hook; without a hook q/k/v share one array). */
  inputs: Record<Projection, RefArray>;
}

export class ReferenceRun {
  readonly config: LlamaConfig;
  readonly precision: Precision;
  readonly capacity: number;
  /** Positions processed so far. */
  length = 0;
  readonly tokens: number[] = [];
  readonly layers: LayerActivations[] = [];
  /** Residual stream after the last block [C, dim]. */
  readonly xFinal: RefArray;
  readonly finalInvRms: RefArray;
  readonly finalNormed: RefArray;
  /** [C, vocab] */
  readonly logits: RefArray;
  readonly rope: { cos: RefArray; sin: RefArray };
  readonly attnShape: AttentionShape;
  private readonly F: RefArrayConstructor;

  constructor(
    readonly model: LlamaModel,
    capacity: number,
    precision: Precision = 'float64',
    readonly transformLinearInput?: LinearInputTransform,
  ) {
    const c = model.config;
    validateConfig(c);
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`reference run: capacity must be a positive integer, got ${capacity}`);
    if (capacity > c.maxSeqLen)
      throw new Error(`reference run: ${capacity} positions exceed the model's context of ${c.maxSeqLen}`);
    checkWeights(model);
    this.config = c;
    this.precision = precision;
    this.capacity = capacity;
    const F = (this.F = arrayConstructor(precision));
    const hs = headSizeOf(c);
    const kvd = kvDimOf(c);
    this.attnShape = { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headSize: hs, capacity };
    // Dynamic NTK rope scaling sees the run's length (transformers recomputes it from the sequence; a generation
    // run uses its full capacity from the first step, where transformers grows it step by step).
    const round = precision === 'float32' ? Math.fround : undefined;
    this.rope = ropeTables(capacity, configInverseFrequencies(c, capacity, round), precision);
    const C = capacity;
    for (let l = 0; l < c.nLayers; l++) {
      const a: LayerActivations = {
        x: new F(C * c.dim),
        attnInvRms: new F(C),
        attnNormed: new F(C * c.dim),
        q: new F(C * c.dim),
        k: new F(C * kvd),
        v: new F(C * kvd),
        probs: new F(c.nHeads * C * C),
        attnOut: new F(C * c.dim),
        xMid: new F(C * c.dim),
        ffnInvRms: new F(C),
        ffnNormed: new F(C * c.dim),
        gate: new F(C * c.hiddenDim),
        up: new F(C * c.hiddenDim),
        act: new F(C * c.hiddenDim),
        inputs: {} as Record<Projection, RefArray>,
      };
      if (transformLinearInput) {
        for (const p of PROJECTIONS) a.inputs[p] = new F(C * projectionShape(c, p)[1]);
      } else {
        a.inputs = {
          q: a.attnNormed,
          k: a.attnNormed,
          v: a.attnNormed,
          o: a.attnOut,
          gate: a.ffnNormed,
          up: a.ffnNormed,
          down: a.act,
        };
      }
      this.layers.push(a);
    }
    this.xFinal = new F(C * c.dim);
    this.finalInvRms = new F(C);
    this.finalNormed = new F(C * c.dim);
    this.logits = new F(C * c.vocabSize);
  }

  /** Runs the next chunk of tokens through the model (positions length .. length+chunk.length−1). */
  advance(chunk: readonly number[]): void {
    const c = this.config;
    const start = this.length;
    const n = chunk.length;
    const end = start + n;
    if (n === 0) return;
    if (end > this.capacity)
      throw new Error(`reference run: ${end} positions exceed the run's capacity of ${this.capacity}`);
    checkTokens(chunk, c.vocabSize);
    const { dim, hiddenDim } = c;
    const kvd = kvDimOf(c);
    const hs = headSizeOf(c);
    const rows = (a: RefArray, width: number) => a.subarray(start * width, end * width);
    const F = this.F;
    const w = this.model.weights;

    // Token embedding into the first block's residual stream.
    const x0 = this.layers.length > 0 ? this.layers[0].x : this.xFinal;
    for (let t = 0; t < n; t++)
      x0.set(w.tokenEmbedding.subarray(chunk[t] * dim, (chunk[t] + 1) * dim), (start + t) * dim);

    const tmp = new F(n * dim);
    for (let l = 0; l < c.nLayers; l++) {
      const a = this.layers[l];
      const lw = w.layers[l];
      const xIn = rows(a.x, dim);
      // Attention block.
      rmsnorm(rows(a.attnNormed, dim), rows(a.attnInvRms, 1), xIn, lw.attnNorm, n, dim, c.normEps);
      const normed = rows(a.attnNormed, dim);
      linear(rows(a.q, dim), this.linearInput(l, 'q', normed, start, n), lw.q, n, dim, dim);
      linear(rows(a.k, kvd), this.linearInput(l, 'k', normed, start, n), lw.k, n, dim, kvd);
      linear(rows(a.v, kvd), this.linearInput(l, 'v', normed, start, n), lw.v, n, dim, kvd);
      ropeApply(rows(a.q, dim), n, dim, hs, this.rope.cos, this.rope.sin, start);
      ropeApply(rows(a.k, kvd), n, kvd, hs, this.rope.cos, this.rope.sin, start);
      attention(rows(a.attnOut, dim), a.probs, rows(a.q, dim), a.k, a.v, n, start, this.attnShape);
      linear(tmp, this.linearInput(l, 'o', rows(a.attnOut, dim), start, n), lw.o, n, dim, dim);
      const xMid = rows(a.xMid, dim);
      for (let i = 0; i < n * dim; i++) xMid[i] = xIn[i] + tmp[i];
      // Feed-forward block.
      rmsnorm(rows(a.ffnNormed, dim), rows(a.ffnInvRms, 1), xMid, lw.ffnNorm, n, dim, c.normEps);
      const ffnNormed = rows(a.ffnNormed, dim);
      linear(rows(a.gate, hiddenDim), this.linearInput(l, 'gate', ffnNormed, start, n), lw.gate, n, dim, hiddenDim);
      linear(rows(a.up, hiddenDim), this.linearInput(l, 'up', ffnNormed, start, n), lw.up, n, dim, hiddenDim);
      swiglu(rows(a.act, hiddenDim), rows(a.gate, hiddenDim), rows(a.up, hiddenDim), n * hiddenDim);
      linear(tmp, this.linearInput(l, 'down', rows(a.act, hiddenDim), start, n), lw.down, n, hiddenDim, dim);
      const xOut = rows(l + 1 < c.nLayers ? this.layers[l + 1].x : this.xFinal, dim);
      for (let i = 0; i < n * dim; i++) xOut[i] = xMid[i] + tmp[i];
    }
    rmsnorm(
      rows(this.finalNormed, dim),
      rows(this.finalInvRms, 1),
      rows(this.xFinal, dim),
      w.finalNorm,
      n,
      dim,
      c.normEps,
    );
    linear(rows(this.logits, c.vocabSize), rows(this.finalNormed, dim), w.classifier, n, dim, c.vocabSize);
    this.tokens.push(...chunk);
    this.length = end;
  }

  /** The matmul input of projection p for the chunk's rows: the source itself, or the hook's version of it. */
  private linearInput(layer: number, p: Projection, source: RefArray, start: number, n: number): RefArray {
    const hook = this.transformLinearInput;
    if (!hook) return source;
    const inDim = projectionShape(this.config, p)[1];
    const copy = source.slice();
    const result = hook(layer, p, copy, n, inDim) ?? copy;
    if (result.length !== n * inDim)
      throw new Error(
        `transformLinearInput(${layer}, ${p}) returned ${result.length} values, expected ${n} x ${inDim}`,
      );
    const dest = this.layers[layer].inputs[p].subarray(start * inDim, (start + n) * inDim);
    dest.set(result);
    return dest;
  }
}

export interface ReferenceForwardResult {
  precision: Precision;
  /** [T, vocab] */
  logits: RefArray;
  /** nll[t] = −log p(targets[t] | tokens[0..t]) (natural log); NaN where not scored. Length T−1 by default. */
  nll: Float64Array;
  /** Mean of the scored nll entries (NaN when none is scored). */
  meanNll: number;
  scoredCount: number;
  /** Per layer, per projection: the [T, in] input of that linear layer as fed to its matmul. */
  linearInputs: Record<Projection, RefArray>[];
}

/** Runs the whole sequence and scores its next-token predictions. */
export function referenceForward(
  model: LlamaModel,
  tokens: readonly number[],
  opts: ReferenceOptions = {},
): ReferenceForwardResult {
  return forwardWithRun(model, tokens, opts).result;
}

/** The forward plus the run that holds its activations (used by the backward). */
export function forwardWithRun(
  model: LlamaModel,
  tokens: readonly number[],
  opts: ReferenceOptions,
): { run: ReferenceRun; result: ReferenceForwardResult; targets: Int32Array } {
  if (tokens.length === 0) throw new Error('reference forward: the token sequence is empty');
  const run = new ReferenceRun(model, tokens.length, opts.precision ?? 'float64', opts.transformLinearInput);
  const targets = resolveTargets(tokens, model.config.vocabSize, opts);
  run.advance(tokens);
  const V = model.config.vocabSize;
  const nll = new Float64Array(targets.length).fill(NaN);
  let sum = 0;
  let count = 0;
  for (let t = 0; t < targets.length; t++) {
    if (targets[t] < 0) continue;
    nll[t] = rowNll(run.logits, t * V, V, targets[t]);
    sum += nll[t];
    count++;
  }
  const linearInputs = run.layers.map((a) => ({ ...a.inputs }));
  const result: ReferenceForwardResult = {
    precision: run.precision,
    logits: run.logits,
    nll,
    meanNll: count > 0 ? sum / count : NaN,
    scoredCount: count,
    linearInputs,
  };
  return { run, result, targets };
}

/** Target per prediction slot (−1 = not scored), after validating targets and scoreFrom. */
function resolveTargets(tokens: readonly number[], vocabSize: number, opts: ReferenceOptions): Int32Array {
  const T = tokens.length;
  let targets: Int32Array;
  if (opts.targets) {
    const n = opts.targets.length;
    if (n !== T && n !== T - 1)
      throw new Error(`reference forward: targets has length ${n}, expected ${T - 1} or ${T} for ${T} tokens`);
    targets = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      const id = opts.targets[t];
      if (id === -1) targets[t] = -1;
      else if (Number.isInteger(id) && id >= 0 && id < vocabSize) targets[t] = id;
      else
        throw new Error(
          `reference forward: target ${id} at position ${t} is not a token id below ${vocabSize} (or -1 for unscored)`,
        );
    }
  } else {
    targets = Int32Array.from(tokens.slice(1));
  }
  const scoreFrom = opts.scoreFrom ?? 0;
  if (!Number.isInteger(scoreFrom) || scoreFrom < 0)
    throw new Error(`reference forward: scoreFrom must be a non-negative integer, got ${scoreFrom}`);
  targets.fill(-1, 0, Math.min(scoreFrom, targets.length));
  return targets;
}

export interface GenerateOptions {
  /** Only 0 (greedy argmax) is supported. */
  temperature?: number;
  precision?: Precision;
  transformLinearInput?: LinearInputTransform;
  /** Stop after emitting one of these ids (run.c stops at BOS = 1); default: never stop early. */
  stopTokens?: readonly number[];
  /** Keep the logits row of every generated step. */
  keepLogits?: boolean;
}

export interface GenerateResult {
  /** The prompt followed by the generated ids. */
  tokens: number[];
  /** logits[i]: the row that chose generated token i (when keepLogits). */
  logits?: RefArray[];
}

/**
 * Greedy decoding with a key/value cache: the prompt is run in one chunk, then each chosen token is fed at
 * the next position. steps = number of tokens to generate; prompt.length + steps − 1 positions are used.
 */
export function referenceGenerate(
  model: LlamaModel,
  prompt: readonly number[],
  steps: number,
  opts: GenerateOptions = {},
): GenerateResult {
  const temperature = opts.temperature ?? 0;
  if (temperature !== 0)
    throw new Error(`referenceGenerate: only greedy decoding (temperature 0) is implemented, got ${temperature}`);
  if (prompt.length === 0) throw new Error('referenceGenerate: the prompt is empty (start with BOS)');
  if (!Number.isInteger(steps) || steps < 0)
    throw new Error(`referenceGenerate: steps must be a non-negative integer, got ${steps}`);
  const tokens = [...prompt];
  const logits: RefArray[] = [];
  if (steps === 0) return opts.keepLogits ? { tokens, logits } : { tokens };
  const run = new ReferenceRun(
    model,
    prompt.length + steps - 1,
    opts.precision ?? 'float64',
    opts.transformLinearInput,
  );
  const V = model.config.vocabSize;
  const stop = new Set(opts.stopTokens ?? []);
  run.advance(prompt);
  for (let i = 0; i < steps; i++) {
    const row = (run.length - 1) * V;
    if (opts.keepLogits) logits.push(run.logits.slice(row, row + V));
    const next = argmax(run.logits, row, V);
    tokens.push(next);
    if (stop.has(next) || i === steps - 1) break;
    run.advance([next]);
  }
  return opts.keepLogits ? { tokens, logits } : { tokens };
}

function checkTokens(tokens: readonly number[], vocabSize: number): void {
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new Error(
        `reference forward: token ${id} at position ${t} is not an id below the vocabulary size ${vocabSize}`,
      );
  }
}

/** Weight arrays must have the sizes the config implies (a loader bug would otherwise read garbage). */
function checkWeights(model: LlamaModel): void {
  const c = model.config;
  const w = model.weights;
  const expect = (name: string, a: ArrayLike<number> | undefined, n: number) => {
    if (!a || a.length !== n)
      throw new Error(`reference: weight ${name} has ${a ? a.length : 'no'} values, expected ${n}`);
  };
  expect('tokenEmbedding', w.tokenEmbedding, c.vocabSize * c.dim);
  expect('classifier', w.classifier, c.vocabSize * c.dim);
  expect('finalNorm', w.finalNorm, c.dim);
  if (c.sharedClassifier !== (w.classifier === w.tokenEmbedding))
    throw new Error(
      c.sharedClassifier
        ? 'reference: config.sharedClassifier is set but weights.classifier is not the tokenEmbedding array'
        : 'reference: weights.classifier is the tokenEmbedding array but config.sharedClassifier is false',
    );
  if (w.layers.length !== c.nLayers)
    throw new Error(`reference: ${w.layers.length} layers of weights, config says ${c.nLayers}`);
  w.layers.forEach((lw, l) => {
    expect(`layers[${l}].attnNorm`, lw.attnNorm, c.dim);
    expect(`layers[${l}].ffnNorm`, lw.ffnNorm, c.dim);
    for (const p of PROJECTIONS) {
      const [r, k] = projectionShape(c, p);
      expect(`layers[${l}].${p}`, lw[p], r * k);
    }
  });
}

// Where the trainer's gradients come from. A batch is a list of token sequences of equal length n;
// each scores its n−1 next-token predictions. The loss is the mean over sequences of each
// sequence's mean cross-entropy, and the gradients are of that loss (so, the mean over sequences of
// the per-sequence gradients g_s), keyed by parameter name (see params.ts).
//
// ReferenceGradientSource uses the plain TypeScript oracle (tests, tiny configs); EngineGradientSource
// uses the ONNX forward+backward graph, whose gradsum.* outputs are Σ_s g_s.

import { referenceBackward, referenceForward, type Precision, type ReferenceGrads } from '../model/reference';
import type { LlamaModel } from '../model/types';
import { LlamaEngine, type TokenBatch } from '../runtime/engine';
import { gradSumName } from '../graph/names';
import { parametersOf } from './params';
import type { RuntimeOptions } from '../runtime/ort';

export interface LossAndGradients {
  loss: number;
  /** Parameter name -> gradient of the batch loss (same length as the parameter). */
  gradients: Map<string, Float32Array>;
}

export interface GradientSource {
  lossAndGradients(model: LlamaModel, sequences: readonly Int32Array[]): Promise<LossAndGradients>;
  /** Forward only: the same loss without gradients. */
  loss(model: LlamaModel, sequences: readonly Int32Array[]): Promise<number>;
  dispose?(): Promise<void>;
}

function checkSequences(sequences: readonly Int32Array[]): number {
  if (sequences.length === 0) throw new Error('a batch needs at least one sequence');
  const n = sequences[0].length;
  if (n < 2) throw new Error(`sequences need at least 2 tokens (one prediction), got ${n}`);
  for (const s of sequences)
    if (s.length !== n) throw new Error(`all sequences of a batch must have the same length (${n} and ${s.length})`);
  return n;
}

function referenceGradientOf(g: ReferenceGrads, name: string): ArrayLike<number> {
  if (name === 'tokenEmbedding' || name === 'finalNorm' || name === 'classifier') return g[name];
  const m = /^L(\d+)\.(\w+)$/.exec(name);
  if (!m) throw new Error(`unknown parameter ${name}`);
  return g.layers[+m[1]][m[2] as keyof ReferenceGrads['layers'][number]];
}

export class ReferenceGradientSource implements GradientSource {
  constructor(private readonly precision: Precision = 'float64') {}

  async lossAndGradients(model: LlamaModel, sequences: readonly Int32Array[]): Promise<LossAndGradients> {
    checkSequences(sequences);
    const params = parametersOf(model);
    const sums = params.map((p) => new Float64Array(p.values.length));
    let loss = 0;
    for (const s of sequences) {
      const r = referenceBackward(model, Array.from(s), { precision: this.precision });
      loss += r.loss;
      params.forEach((p, i) => {
        const g = referenceGradientOf(r.grads, p.name);
        const acc = sums[i];
        for (let j = 0; j < acc.length; j++) acc[j] += g[j];
      });
    }
    const B = sequences.length;
    const gradients = new Map<string, Float32Array>();
    params.forEach((p, i) =>
      gradients.set(
        p.name,
        Float32Array.from(sums[i], (x) => x / B),
      ),
    );
    return { loss: loss / B, gradients };
  }

  async loss(model: LlamaModel, sequences: readonly Int32Array[]): Promise<number> {
    checkSequences(sequences);
    let loss = 0;
    for (const s of sequences) loss += referenceForward(model, Array.from(s), { precision: this.precision }).meanNll;
    return loss / sequences.length;
  }
}

/** Inputs and next-token targets of equal-length sequences as one [batch, n−1] graph batch. */
export function toTokenBatch(sequences: readonly Int32Array[]): TokenBatch {
  const n = checkSequences(sequences);
  const seq = n - 1;
  const tokens = new Int32Array(sequences.length * seq);
  const targets = new Int32Array(sequences.length * seq);
  sequences.forEach((s, b) => {
    tokens.set(s.subarray(0, seq), b * seq);
    targets.set(s.subarray(1), b * seq);
  });
  return { batch: sequences.length, seq, tokens, targets };
}

function mean(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/**
 * The ONNX forward+backward graph on onnxruntime-web. One engine per model object; the trainer
 * updates the weight arrays in place, and the engine feeds the current arrays on every call.
 */
export class EngineGradientSource implements GradientSource {
  private engine: LlamaEngine | null = null;
  private engineModel: LlamaModel | null = null;

  constructor(private readonly runtime: RuntimeOptions = {}) {}

  private engineFor(model: LlamaModel): LlamaEngine {
    if (!this.engine || this.engineModel !== model) {
      void this.engine?.dispose();
      this.engine = LlamaEngine.forModel(model, this.runtime);
      this.engineModel = model;
    }
    this.engine.setWeights(model.weights);
    return this.engine;
  }

  async lossAndGradients(model: LlamaModel, sequences: readonly Int32Array[]): Promise<LossAndGradients> {
    const batch = toTokenBatch(sequences);
    const res = await this.engineFor(model).forwardBackward(batch, {
      graph: { fisher: false, gradSum: true, actFisher: false },
    });
    const B = sequences.length;
    const gradients = new Map<string, Float32Array>();
    for (const p of parametersOf(model)) {
      const sum = res.outputs.get(gradSumName(p.name));
      if (!sum) throw new Error(`the forward+backward graph has no output ${gradSumName(p.name)}`);
      if (sum.length !== p.values.length)
        throw new Error(`${gradSumName(p.name)} has ${sum.length} values, the parameter ${p.values.length}`);
      gradients.set(
        p.name,
        Float32Array.from(sum, (x) => x / B),
      );
    }
    return { loss: mean(res.nll), gradients };
  }

  async loss(model: LlamaModel, sequences: readonly Int32Array[]): Promise<number> {
    const res = await this.engineFor(model).forward(toTokenBatch(sequences));
    return mean(res.nll);
  }

  async dispose(): Promise<void> {
    await this.engine?.dispose();
    this.engine = null;
    this.engineModel = null;
  }
}

// Reference backward of the Llama forward in forward.ts: the gradient of the mean next-token cross-entropy
// with respect to every parameter and to the input of every linear layer, written out op by op.
import { PROJECTIONS, headSize as headSizeOf, kvDim as kvDimOf, projectionShape } from '../types';
import type { LlamaModel, Projection } from '../types';
import { forwardWithRun, type ReferenceForwardResult, type ReferenceOptions } from './forward';
import {
  arrayConstructor,
  attentionBackward,
  crossEntropyBackward,
  linearInputGrad,
  linearWeightGrad,
  ropeBackward,
  rmsnormBackward,
  swigluBackward,
  type RefArray,
} from './ops';

export interface ReferenceLayerGrads {
  attnNorm: RefArray;
  q: RefArray;
  k: RefArray;
  v: RefArray;
  o: RefArray;
  ffnNorm: RefArray;
  gate: RefArray;
  up: RefArray;
  down: RefArray;
}

/** Same structure and shapes as LlamaWeights. */
export interface ReferenceGrads {
  tokenEmbedding: RefArray;
  layers: ReferenceLayerGrads[];
  finalNorm: RefArray;
  /** The same array as tokenEmbedding when the classifier is shared (it then holds both contributions). */
  classifier: RefArray;
}

export interface ReferenceBackwardResult extends ReferenceForwardResult {
  /** Mean cross-entropy over the scored predictions (= meanNll). */
  loss: number;
  grads: ReferenceGrads;
  /**
   * Per layer, per projection p: dL/dx for p's input alone, W_pᵀ dY_p, shape [T, in]. q, k and v (and gate
   * and up) read the same activation but each gets its own gradient: quantizing p's input perturbs only p.
   */
  linearInputGrads: Record<Projection, RefArray>[];
}

/** Forward, then backward of the mean next-token cross-entropy over the scored positions. */
export function referenceBackward(
  model: LlamaModel,
  tokens: readonly number[],
  opts: ReferenceOptions = {},
): ReferenceBackwardResult {
  const { run, result, targets } = forwardWithRun(model, tokens, opts);
  if (result.scoredCount === 0) throw new Error('reference backward: no position is scored, so the loss is undefined');
  const c = model.config;
  const w = model.weights;
  const F = arrayConstructor(run.precision);
  const T = tokens.length;
  const { dim, hiddenDim, vocabSize: V } = c;
  const kvd = kvDimOf(c);
  const hs = headSizeOf(c);

  const tokenEmbedding = new F(V * dim);
  const grads: ReferenceGrads = {
    tokenEmbedding,
    layers: w.layers.map(() => ({
      attnNorm: new F(dim),
      q: new F(dim * dim),
      k: new F(kvd * dim),
      v: new F(kvd * dim),
      o: new F(dim * dim),
      ffnNorm: new F(dim),
      gate: new F(hiddenDim * dim),
      up: new F(hiddenDim * dim),
      down: new F(dim * hiddenDim),
    })),
    finalNorm: new F(dim),
    classifier: c.sharedClassifier ? tokenEmbedding : new F(V * dim),
  };

  // Cross-entropy: dL/dlogits = (softmax − onehot(target)) / N on scored rows.
  const dLogits = new F(T * V);
  crossEntropyBackward(dLogits, run.logits, targets, V, result.scoredCount);

  // Classifier and final norm.
  linearWeightGrad(grads.classifier, dLogits, run.finalNormed, T, dim, V);
  const dFinalNormed = new F(T * dim);
  linearInputGrad(dFinalNormed, dLogits, w.classifier, T, dim, V);
  let dx = new F(T * dim); // gradient with respect to the residual stream between blocks
  rmsnormBackward(dx, grads.finalNorm, dFinalNormed, run.xFinal, w.finalNorm, run.finalInvRms, T, dim);

  const linearInputGrads: Record<Projection, RefArray>[] = [];
  for (let l = c.nLayers - 1; l >= 0; l--) {
    const a = run.layers[l];
    const lw = w.layers[l];
    const g = grads.layers[l];
    const ig = {} as Record<Projection, RefArray>;
    for (const p of PROJECTIONS) ig[p] = new F(T * projectionShape(c, p)[1]);
    linearInputGrads[l] = ig;

    // Feed-forward block: x_out = xMid + down(silu(gate(n)) ⊙ up(n)), n = rmsnorm(xMid).
    linearWeightGrad(g.down, dx, a.inputs.down, T, hiddenDim, dim);
    linearInputGrad(ig.down, dx, lw.down, T, hiddenDim, dim);
    const dGate = new F(T * hiddenDim);
    const dUp = new F(T * hiddenDim);
    swigluBackward(dGate, dUp, ig.down, a.gate, a.up, T * hiddenDim);
    linearWeightGrad(g.gate, dGate, a.inputs.gate, T, dim, hiddenDim);
    linearWeightGrad(g.up, dUp, a.inputs.up, T, dim, hiddenDim);
    linearInputGrad(ig.gate, dGate, lw.gate, T, dim, hiddenDim);
    linearInputGrad(ig.up, dUp, lw.up, T, dim, hiddenDim);
    const dFfnNormed = new F(T * dim);
    for (let i = 0; i < T * dim; i++) dFfnNormed[i] = ig.gate[i] + ig.up[i];
    const dxMid = F.from(dx); // the residual path passes dx through unchanged
    rmsnormBackward(dxMid, g.ffnNorm, dFfnNormed, a.xMid, lw.ffnNorm, a.ffnInvRms, T, dim);

    // Attention block: xMid = x + o(attention(rope(q(n)), rope(k(n)), v(n))), n = rmsnorm(x).
    linearWeightGrad(g.o, dxMid, a.inputs.o, T, dim, dim);
    linearInputGrad(ig.o, dxMid, lw.o, T, dim, dim);
    const dq = new F(T * dim);
    const dk = new F(T * kvd);
    const dv = new F(T * kvd);
    attentionBackward(dq, dk, dv, ig.o, a.probs, a.q, a.k, a.v, T, run.attnShape);
    ropeBackward(dq, T, dim, hs, run.rope.cos, run.rope.sin, 0);
    ropeBackward(dk, T, kvd, hs, run.rope.cos, run.rope.sin, 0);
    linearWeightGrad(g.q, dq, a.inputs.q, T, dim, dim);
    linearWeightGrad(g.k, dk, a.inputs.k, T, dim, kvd);
    linearWeightGrad(g.v, dv, a.inputs.v, T, dim, kvd);
    linearInputGrad(ig.q, dq, lw.q, T, dim, dim);
    linearInputGrad(ig.k, dk, lw.k, T, dim, kvd);
    linearInputGrad(ig.v, dv, lw.v, T, dim, kvd);
    const dAttnNormed = new F(T * dim);
    for (let i = 0; i < T * dim; i++) dAttnNormed[i] = ig.q[i] + ig.k[i] + ig.v[i];
    const dxIn = F.from(dxMid);
    rmsnormBackward(dxIn, g.attnNorm, dAttnNormed, a.x, lw.attnNorm, a.attnInvRms, T, dim);
    dx = dxIn;
  }

  // Token embedding rows (added to the classifier's gradient when they share one array).
  for (let t = 0; t < T; t++) {
    const row = tokens[t] * dim;
    for (let i = 0; i < dim; i++) tokenEmbedding[row + i] += dx[t * dim + i];
  }

  return { ...result, loss: result.meanNll, grads, linearInputGrads };
}

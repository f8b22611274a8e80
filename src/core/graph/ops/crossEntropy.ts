// Softmax cross-entropy of logits [N, V] against targets, forward (per-token NLL) and backward (dlogits of the
// per-sequence mean over scored tokens) (reference/ops.ts rowNll, crossEntropyBackward).
import type { GraphContext } from './context.ts';

/** What the backward reads: the softmax probabilities and the targets as [N, 1] indices. */
export interface CrossEntropySaved {
  nll: string; // [B, T]
  probs: string; // [N, V]
  targets2d: string; // [N, 1] int64
}

/**
 * NLL = −log softmax(logits)[target]. ORT's Softmax (MLAS, vectorised exp) is about twice as fast as
 * ReduceLogSumExp here; the probability is floored at the smallest float32 so NLL stays finite (≤ 103.3).
 */
export function crossEntropy(ctx: GraphContext, logits: string, targets: string): CrossEntropySaved {
  const g = ctx.g;
  const probs = g.op('Softmax', [logits], { axis: 1 });
  const targets2d = g.op('Reshape', [targets, g.constI64([-1, 1])]);
  const picked = g.op('Max', [g.op('GatherElements', [probs, targets2d], { axis: 1 }), g.scalar(1e-45)]);
  const nll = g.op('Reshape', [g.op('Neg', [g.op('Log', [picked])]), ctx.tokenShape]);
  return { nll, probs, targets2d };
}

/**
 * L = Σ_s mean over the scored tokens of sequence s (lossMask [B, T], 1 = scored), so token weight
 * w = mask / (scored tokens of its sequence) and dlogits = w · (softmax − onehot(target)).
 */
export function crossEntropyBackward(ctx: GraphContext, saved: CrossEntropySaved, lossMask: string): string {
  const g = ctx.g;
  const count = g.op('ReduceSum', [lossMask, g.constI64([1])], { keepdims: 1 });
  const weight = g.op('Reshape', [g.op('Div', [lossMask, g.op('Max', [count, g.scalar(1)])]), g.constI64([-1, 1])]); // [N, 1]
  const negW = g.op('Neg', [weight]);
  return g.op('ScatterElements', [g.op('Mul', [saved.probs, weight]), saved.targets2d, negW], {
    axis: 1,
    reduction: 'add',
  });
}

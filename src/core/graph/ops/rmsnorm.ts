// RMSNorm over the feature axis of [N, dim]: forward and backward (reference/ops.ts rmsnorm, rmsnormBackward).
import type { GraphBuilder } from '../builder.ts';

/** What the backward reads: normed = xhat ⊙ gain, xhat = x · invRms, invRms = (mean(x²) + eps)^−1/2 [N, 1]. */
export interface RmsnormSaved {
  normed: string;
  xhat: string;
  invRms: string;
}

export function rmsnorm(g: GraphBuilder, x: string, gain: string, eps: number): RmsnormSaved {
  const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [1], keepdims: 1 });
  const invRms = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ms, g.scalar(eps)])])]);
  const xhat = g.op('Mul', [x, invRms]);
  return { normed: g.op('Mul', [xhat, gain]), xhat, invRms };
}

/** dgain = Σ_rows dy ⊙ xhat (only the gradient sums read it; calibration leaves it out of the graph). */
export function rmsnormGainGrad(g: GraphBuilder, dy: string, saved: RmsnormSaved): string {
  return g.op('ReduceSum', [g.op('Mul', [dy, saved.xhat]), g.constI64([0])], { keepdims: 0 });
}

/**
 * dx = (dxhat − xhat · mean(dxhat ⊙ xhat)) · invRms with dxhat = dy ⊙ gain
 * (the reference's r·w·dy − x·r³/dim·Σ w·dy·x, written with xhat).
 */
export function rmsnormInputGrad(g: GraphBuilder, dy: string, saved: RmsnormSaved, gain: string): string {
  const { xhat, invRms } = saved;
  const dxhat = g.op('Mul', [dy, gain]);
  const proj = g.op('ReduceMean', [g.op('Mul', [dxhat, xhat])], { axes: [1], keepdims: 1 });
  return g.op('Mul', [g.op('Sub', [dxhat, g.op('Mul', [xhat, proj])]), invRms]);
}

/** Both gradients of rmsnorm. */
export function rmsnormBackward(
  g: GraphBuilder,
  dy: string,
  saved: RmsnormSaved,
  gain: string,
): { dx: string; dgain: string } {
  const dgain = rmsnormGainGrad(g, dy, saved);
  return { dx: rmsnormInputGrad(g, dy, saved, gain), dgain };
}

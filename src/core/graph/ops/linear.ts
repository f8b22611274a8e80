// Linear layer y = x Wᵀ on [N, in] with the row-major [out, in] weight (one Gemm, transB = 1) and its backward:
// the weight gradient per sequence (Fisher Σ_s g_s², gradient sum Σ_s g_s), the input gradient dx = dy W and the
// activation Fisher Σ_tokens dx² per input channel (reference/ops.ts linear, linearWeightGrad, linearInputGrad).
import type { GraphContext } from './context.ts';

export function linear(ctx: GraphContext, x: string, weight: string): string {
  return ctx.g.op('Gemm', [x, weight], { transB: 1 });
}

/** Graph output names the backward of one linear layer writes; null = not wanted. */
export interface LinearGradOutputs {
  fisher: string | null;
  gradSum: string | null;
  actFisher: string | null;
}

/** Per-sequence weight gradients dY_s^T X_s [B, out, in], squared and summed, and/or summed over the batch. */
export function linearWeightGrad(
  ctx: GraphContext,
  dy2d: string,
  x2d: string,
  out: number,
  inF: number,
  fisher: string | null,
  gradSum: string | null,
): void {
  const g = ctx.g;
  if (fisher) {
    const dyT = g.op('Transpose', [ctx.to3d(dy2d, out)], { perm: [0, 2, 1] }); // [B, out, T]
    const perSeq = g.op('MatMul', [dyT, ctx.to3d(x2d, inF)]); // [B, out, in]
    // ReduceSumSquare: one pass over [B, out, in] instead of Mul then ReduceSum (same sums, same order).
    g.output(g.op('ReduceSumSquare', [perSeq], { axes: [0], keepdims: 0 }), fisher, 'float32', [out, inF]);
    if (gradSum)
      g.output(g.op('ReduceSum', [perSeq, g.constI64([0])], { keepdims: 0 }), gradSum, 'float32', [out, inF]);
  } else if (gradSum) {
    g.output(g.op('Gemm', [dy2d, x2d], { transA: 1 }), gradSum, 'float32', [out, inF]);
  }
}

/** dx = dY W [N, in], with its activation Fisher output when asked. */
export function linearInputGrad(ctx: GraphContext, dy: string, weight: string, inF: number, actFisher: string | null) {
  const g = ctx.g;
  const dx = g.op('Gemm', [dy, weight]);
  if (actFisher) g.output(g.op('ReduceSumSquare', [dx], { axes: [0], keepdims: 0 }), actFisher, 'float32', [inF]);
  return dx;
}

/** Backward of linear: weight-gradient outputs, then dx. [out, in] is the weight's shape. */
export function linearBackward(
  ctx: GraphContext,
  dy: string,
  x: string,
  weight: string,
  [out, inF]: readonly number[],
  o: LinearGradOutputs,
): string {
  linearWeightGrad(ctx, dy, x, out, inF, o.fisher, o.gradSum);
  return linearInputGrad(ctx, dy, weight, inF, o.actFisher);
}

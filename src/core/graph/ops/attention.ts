// Causal grouped-query attention over query chunks, forward and backward (reference/ops.ts attention,
// attentionBackward). Queries come in rotated and pre-scaled by 1/sqrt(hd) (folded into the rope tables).
// Chunk c holds queries [cQ, (c+1)Q) and sees keys [0, (c+1)Q): about 45% of the T×T work is skipped.
import type { LlamaConfig } from '../../model/types.ts';
import type { GraphContext } from './context.ts';

/** Query chunks: their size and each chunk's additive causal mask [rows of c, keys up to the end of c]. */
export interface AttentionChunks {
  size: number;
  masks: string[];
}

/** Chunks of about 32 queries (at most 16): measured on stories260K at T = 511, 1 thread: 8.6k tokens/CPU-s unchunked, 12.9k with 8 chunks, 14.0k with 16. */
export function attentionChunkSize(c: LlamaConfig): number {
  const nChunks = Math.max(1, Math.min(16, Math.ceil(c.maxSeqLen / 32)));
  return Math.ceil(c.maxSeqLen / nChunks);
}

/**
 * Additive causal mask [T, T] built from the sequence length (no O(context²) initializer): −1e30 where key j > query i,
 * sliced per chunk; chunks that would start at or beyond maxSeq are left out.
 */
export function causalChunkMasks(ctx: GraphContext, maxSeq: number): AttentionChunks {
  const g = ctx.g;
  const positions = g.op('Range', [
    g.constI64([0], []),
    g.op('Squeeze', [ctx.seqLen, g.constI64([0])]),
    g.constI64([1], []),
  ]);
  const future = g.op('Greater', [
    g.op('Unsqueeze', [positions, g.constI64([0])]),
    g.op('Unsqueeze', [positions, g.constI64([1])]),
  ]);
  const mask = g.op('Where', [future, g.scalar(-1e30), g.scalar(0)]);
  // Per query chunk, rows [cQ, (c+1)Q) and keys [0, (c+1)Q), clamped to T by Slice (empty when cQ >= T).
  const Q = attentionChunkSize(ctx.c);
  const masks: string[] = [];
  for (let start = 0; start < maxSeq; start += Q)
    masks.push(g.op('Slice', [mask, g.constI64([start, 0]), g.constI64([start + Q, start + Q])]));
  return { size: Q, masks };
}

/** Values of the forward that the backward reuses. */
export interface AttentionSaved {
  attnOut: string; // [N, dim], input of o
  q: string; // [B, KV, G, T, hd] rotated queries, scaled by 1/sqrt(hd)
  v: string; // [B, KV, 1, T, hd]
  probs: string[]; // per query chunk c: [B, KV, G, rows of c, keys up to the end of c]
}

/** Causal attention; queries [B,T,H,hd], keys/values [B,T,KV,hd] -> [N, dim]. */
export function attention(
  ctx: GraphContext,
  chunks: AttentionChunks,
  qr: string,
  kr: string,
  vr: string,
): AttentionSaved {
  const { g, c, hd, kvHeads, groups } = ctx;
  const q5 = g.op('Reshape', [
    g.op('Transpose', [qr], { perm: [0, 2, 1, 3] }),
    g.constI64([0, kvHeads, groups, -1, hd]),
  ]); // [B,KV,G,T,hd]
  const kT5 = g.op('Unsqueeze', [g.op('Transpose', [kr], { perm: [0, 2, 3, 1] }), g.constI64([2])]); // [B,KV,1,hd,T]
  const v5 = g.op('Unsqueeze', [g.op('Transpose', [vr], { perm: [0, 2, 1, 3] }), g.constI64([2])]); // [B,KV,1,T,hd]
  const Q = chunks.size;
  const probs: string[] = [];
  const outs = chunks.masks.map((mask, ci) => {
    const start = ci * Q;
    const end = g.constI64([start + Q]);
    const qc = g.op('Slice', [q5, g.constI64([start]), end, g.constI64([3])]);
    const kc = g.op('Slice', [kT5, g.constI64([0]), end, g.constI64([4])]);
    const vc = g.op('Slice', [v5, g.constI64([0]), end, g.constI64([3])]);
    const p = g.op('Softmax', [g.op('Add', [g.op('MatMul', [qc, kc]), mask])], { axis: -1 });
    probs.push(p);
    return g.op('MatMul', [p, vc]); // [B,KV,G,rows of chunk,hd]
  });
  const att5 = ctx.chain('Concat', outs, { axis: 3 });
  const attH = g.op('Reshape', [att5, g.constI64([0, c.nHeads, -1, hd])]);
  const attnOut = g.op('Reshape', [g.op('Transpose', [attH], { perm: [0, 2, 1, 3] }), g.constI64([-1, c.dim])]);
  return { attnOut, q: q5, v: v5, probs };
}

/**
 * Backward of attention. dAttnOut [N, dim] -> dq as [B,KV,G,T,hd] (H = KV·G heads), dk and dv [B,KV,T,hd];
 * with P = softmax(S): dP = dOut·vᵀ, dS = P ⊙ (dP − Σ P ⊙ dP). Chunk c's key/value gradients cover keys
 * [0, end of c); they are zero-padded to T and summed. k is the rotated keys [B,T,KV,hd].
 */
export function attentionBackward(
  ctx: GraphContext,
  chunks: AttentionChunks,
  dAttnOut: string,
  a: AttentionSaved,
  k: string,
): { dq5: string; dk4: string; dv4: string } {
  const { g, c, hd, kvHeads, groups } = ctx;
  const dA5 = g.op('Reshape', [
    g.op('Transpose', [g.op('Reshape', [dAttnOut, ctx.btShape([c.nHeads, hd])])], { perm: [0, 2, 1, 3] }),
    g.constI64([0, kvHeads, groups, -1, hd]),
  ]); // [B,KV,G,T,hd]
  const k5 = g.op('Unsqueeze', [g.op('Transpose', [k], { perm: [0, 2, 1, 3] }), g.constI64([2])]); // [B,KV,1,T,hd]
  const vT5 = g.op('Transpose', [a.v], { perm: [0, 1, 2, 4, 3] }); // [B,KV,1,hd,T]
  const Q = chunks.size;
  const dqs: string[] = [];
  const dks: string[] = [];
  const dvs: string[] = [];
  a.probs.forEach((p, ci) => {
    const start = ci * Q;
    const end = g.constI64([start + Q]);
    const dAc = g.op('Slice', [dA5, g.constI64([start]), end, g.constI64([3])]);
    const qc = g.op('Slice', [a.q, g.constI64([start]), end, g.constI64([3])]);
    const kc = g.op('Slice', [k5, g.constI64([0]), end, g.constI64([3])]);
    const vTc = g.op('Slice', [vT5, g.constI64([0]), end, g.constI64([4])]);
    const dP = g.op('MatMul', [dAc, vTc]); // [B,KV,G,Qc,Kc]
    const rowDot = g.op('ReduceSum', [g.op('Mul', [dP, p]), g.constI64([-1])], { keepdims: 1 });
    const dS = g.op('Mul', [p, g.op('Sub', [dP, rowDot])]);
    dqs.push(g.op('MatMul', [dS, kc])); // [B,KV,G,Qc,hd]
    // An empty chunk (start >= T) contracts over 0 rows; ORT's fused transpose-MatMul then leaves its output
    // uninitialised (seen as garbage on stories260K), so those contributions are replaced by zeros explicitly.
    const present = g.op('Greater', [ctx.seqLen, g.constI64([start])]);
    const sumGroups = (x: string) =>
      g.op('Where', [present, g.op('ReduceSum', [x, g.constI64([2])], { keepdims: 0 }), g.scalar(0)]); // [B,KV,Kc,hd]
    const dKc = sumGroups(g.op('MatMul', [g.op('Transpose', [dS], { perm: [0, 1, 2, 4, 3] }), qc]));
    const dVc = sumGroups(g.op('MatMul', [g.op('Transpose', [p], { perm: [0, 1, 2, 4, 3] }), dAc]));
    // Pad keys [0, Kc) to [0, T): T − Kc = max(T − (start + Q), 0) zero rows after.
    const after = g.op('Max', [g.op('Sub', [ctx.seqLen, g.constI64([start + Q])]), g.constI64([0])]);
    const pads = g.op('Concat', [g.constI64([0, 0, 0, 0, 0, 0]), after, g.constI64([0])], { axis: 0 });
    dks.push(g.op('Pad', [dKc, pads]));
    dvs.push(g.op('Pad', [dVc, pads]));
  });
  return {
    dq5: ctx.chain('Concat', dqs, { axis: 3 }),
    dk4: ctx.chain('Sum', dks),
    dv4: ctx.chain('Sum', dvs),
  };
}

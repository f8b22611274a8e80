// attention and attentionBackward (causal, grouped-query, in query chunks) as a one-op graph in onnxruntime
// against reference/ops.ts (float64), on a sequence that spans two chunks and one that leaves a chunk empty.
import { describe, expect, it } from 'vitest';
import { attention as refAttention, attentionBackward as refAttentionBackward } from '../../model/reference/ops';
import type { LlamaConfig } from '../../model/types';
import { relativeError } from '../testUtil';
import { attention, attentionBackward, attentionChunkSize, causalChunkMasks } from './attention';
import { f64, normals, OpGraph } from './opTestUtil';

const config: LlamaConfig = {
  dim: 32,
  hiddenDim: 16,
  nLayers: 1,
  nHeads: 4, // head size 8, two query heads per key/value head
  nKvHeads: 2,
  vocabSize: 8,
  maxSeqLen: 40, // two query chunks of 20
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};
const TOL = 1e-5;

describe.each([37, 9])('graph op attention: T = %i (chunks of 20)', (T) => {
  const B = 2;
  const { nHeads: H, nKvHeads: KV, dim } = config;
  const hd = dim / H;
  const kvDim = KV * hd;
  const N = B * T;
  const q = normals(N * dim, 51, 2);
  const k = normals(N * kvDim, 52);
  const v = normals(N * kvDim, 53);
  const dOut = normals(N * dim, 54);
  const scale = 1 / Math.sqrt(hd);

  it('forward (attnOut) and backward (dq, dk, dv) equal the reference', async () => {
    expect(attentionChunkSize(config)).toBe(20);
    const op = new OpGraph(config, B, T);
    const { g, ctx } = op;
    const chunks = causalChunkMasks(ctx, config.maxSeqLen);
    // The graph's queries arrive scaled by 1/sqrt(hd) (folded into the rope tables).
    const qs = op.input(
      'q',
      q.map((x) => x * scale),
      [B, T, H, hd],
    );
    const ks = op.input('k', k, [B, T, KV, hd]);
    const saved = attention(ctx, chunks, qs, ks, op.input('v', v, [B, T, KV, hd]));
    op.output(saved.attnOut, 'attnOut', [N, dim]);
    const { dq5, dk4, dv4 } = attentionBackward(ctx, chunks, op.input('dOut', dOut, [N, dim]), saved, ks);
    const tokenMajor = (x: string, width: number) =>
      g.op('Reshape', [g.op('Transpose', [x], { perm: [0, 2, 1, 3] }), g.constI64([-1, width])]);
    op.output(tokenMajor(g.op('Reshape', [dq5, g.constI64([0, H, -1, hd])]), dim), 'dq', [N, dim]);
    op.output(tokenMajor(dk4, kvDim), 'dk', [N, kvDim]);
    op.output(tokenMajor(dv4, kvDim), 'dv', [N, kvDim]);
    const out = await op.run();

    const shape = { nHeads: H, nKvHeads: KV, headSize: hd, capacity: T };
    const attnOut = new Float64Array(N * dim);
    const dq = new Float64Array(N * dim);
    const dk = new Float64Array(N * kvDim);
    const dv = new Float64Array(N * kvDim);
    for (let b = 0; b < B; b++) {
      const rows = (a: ArrayLike<number>, width: number) =>
        f64(Array.from(a).slice(b * T * width, (b + 1) * T * width));
      const [qb, kb, vb, dOutb] = [rows(q, dim), rows(k, kvDim), rows(v, kvDim), rows(dOut, dim)];
      const probs = new Float64Array(H * T * T);
      const ob = new Float64Array(T * dim);
      refAttention(ob, probs, qb, kb, vb, T, 0, shape);
      attnOut.set(ob, b * T * dim);
      const [dqb, dkb, dvb] = [new Float64Array(T * dim), new Float64Array(T * kvDim), new Float64Array(T * kvDim)];
      refAttentionBackward(dqb, dkb, dvb, dOutb, probs, qb, kb, vb, T, shape);
      dq.set(dqb, b * T * dim);
      dk.set(dkb, b * T * kvDim);
      dv.set(dvb, b * T * kvDim);
    }
    expect(relativeError(out.attnOut, attnOut), 'attnOut').toBeLessThan(TOL);
    // d/dq of the unscaled queries is scale · d/dq of the graph's scaled ones.
    expect(
      relativeError(
        out.dq.map((x) => x * scale),
        dq,
      ),
      'dq',
    ).toBeLessThan(TOL);
    expect(relativeError(out.dk, dk), 'dk').toBeLessThan(TOL);
    expect(relativeError(out.dv, dv), 'dv').toBeLessThan(TOL);
  });
});

// crossEntropy and crossEntropyBackward as a one-op graph in onnxruntime against reference/ops.ts (float64):
// per-token NLL, and dlogits of Σ_s (mean NLL over the scored tokens of sequence s).
import { describe, expect, it } from 'vitest';
import { crossEntropyBackward as refCrossEntropyBackward, rowNll } from '../../model/reference/ops';
import { randomIds, relativeError } from '../testUtil';
import { crossEntropy, crossEntropyBackward } from './crossEntropy';
import { f64, normals, opConfig, OpGraph } from './opTestUtil';

const config = opConfig();
const TOL = 1e-5;

describe('graph op crossEntropy', () => {
  const B = 3;
  const T = 5;
  const N = B * T;
  const V = 11;
  const logits = normals(N * V, 41, 2);
  const targets = randomIds(N, V, 42);
  // Sequence b leaves its first b positions unscored; sequence 2 also its last.
  const lossMask = Float32Array.from({ length: N }, (_, i) => (i % T >= Math.floor(i / T) && i !== N - 1 ? 1 : 0));

  it('forward (NLL of every token) and backward (dlogits of the per-sequence mean) equal the reference', async () => {
    const op = new OpGraph(config, B, T);
    const saved = crossEntropy(op.ctx, op.input('logits', logits, [N, V]), op.inputI64('targets', targets, [B, T]));
    op.output(saved.nll, 'nll', [B, T]);
    op.output(crossEntropyBackward(op.ctx, saved, op.input('lossMask', lossMask, [B, T])), 'dlogits', [N, V]);
    const out = await op.run();

    const nll = Float64Array.from({ length: N }, (_, t) => rowNll(f64(logits), t * V, V, targets[t]));
    const dlogits = new Float64Array(N * V);
    for (let b = 0; b < B; b++) {
      const seqTargets = Array.from({ length: T }, (_, t) => (lossMask[b * T + t] ? targets[b * T + t] : -1));
      const count = seqTargets.filter((t) => t >= 0).length;
      const rows = (a: Float64Array) => a.subarray(b * T * V, (b + 1) * T * V);
      refCrossEntropyBackward(rows(dlogits), rows(f64(logits)), seqTargets, V, count);
    }
    expect(relativeError(out.nll, nll), 'nll').toBeLessThan(TOL);
    expect(relativeError(out.dlogits, dlogits), 'dlogits').toBeLessThan(TOL);
  });
});

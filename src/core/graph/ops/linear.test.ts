// linear and linearBackward as a one-op graph in onnxruntime against reference/ops.ts (float64): the output,
// dx, the per-sequence weight gradients as Fisher Σ_s g_s² and gradient sum Σ_s g_s, and the activation Fisher.
import { describe, expect, it } from 'vitest';
import { linear as refLinear, linearInputGrad, linearWeightGrad } from '../../model/reference/ops';
import { relativeError } from '../testUtil';
import { linear, linearBackward } from './linear';
import { f64, normals, opConfig, OpGraph } from './opTestUtil';

const config = opConfig();
const TOL = 1e-5;

describe('graph op linear', () => {
  const B = 3;
  const T = 4;
  const N = B * T;
  const inF = 12;
  const outF = 7;
  const x = normals(N * inF, 21);
  const w = normals(outF * inF, 22, 0.3);
  const dy = normals(N * outF, 23);

  // Reference: y, dx, and per sequence s the weight gradient g_s = dY_sᵀ X_s.
  const y = new Float64Array(N * outF);
  refLinear(y, f64(x), f64(w), N, inF, outF);
  const dx = new Float64Array(N * inF);
  linearInputGrad(dx, f64(dy), f64(w), N, inF, outF);
  const fisher = new Float64Array(outF * inF);
  const gradSum = new Float64Array(outF * inF);
  for (let s = 0; s < B; s++) {
    const gs = new Float64Array(outF * inF);
    linearWeightGrad(
      gs,
      f64(dy.subarray(s * T * outF, (s + 1) * T * outF)),
      f64(x.subarray(s * T * inF, (s + 1) * T * inF)),
      T,
      inF,
      outF,
    );
    gs.forEach((v, i) => {
      fisher[i] += v * v;
      gradSum[i] += v;
    });
  }
  const actFisher = new Float64Array(inF);
  dx.forEach((v, i) => (actFisher[i % inF] += v * v));

  it('forward (y) and backward (dx, Fisher, gradient sum, activation Fisher) equal the reference', async () => {
    const op = new OpGraph(config, B, T);
    const xs = op.input('x', x, [N, inF]);
    const ws = op.input('w', w, [outF, inF]);
    op.output(linear(op.ctx, xs, ws), 'y', [N, outF]);
    const d = linearBackward(op.ctx, op.input('dy', dy, [N, outF]), xs, ws, [outF, inF], {
      fisher: 'fisher',
      gradSum: 'gradSum',
      actFisher: 'actFisher',
    });
    op.output(d, 'dx', [N, inF]);
    const out = await op.run();
    expect(relativeError(out.y, y), 'y').toBeLessThan(TOL);
    expect(relativeError(out.dx, dx), 'dx').toBeLessThan(TOL);
    expect(relativeError(out.fisher, fisher), 'fisher').toBeLessThan(TOL);
    expect(relativeError(out.gradSum, gradSum), 'gradSum').toBeLessThan(TOL);
    expect(relativeError(out.actFisher, actFisher), 'actFisher').toBeLessThan(TOL);
  });

  it('backward without Fisher: the gradient sum alone (one Gemm over the batch)', async () => {
    const op = new OpGraph(config, B, T);
    const xs = op.input('x', x, [N, inF]);
    const ws = op.input('w', w, [outF, inF]);
    linearBackward(op.ctx, op.input('dy', dy, [N, outF]), xs, ws, [outF, inF], {
      fisher: null,
      gradSum: 'gradSum',
      actFisher: null,
    });
    const out = await op.run();
    expect(relativeError(out.gradSum, gradSum), 'gradSum').toBeLessThan(TOL);
  });
});

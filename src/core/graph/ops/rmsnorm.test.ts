// rmsnorm and rmsnormBackward as a one-op graph in onnxruntime against reference/ops.ts (float64).
import { describe, expect, it } from 'vitest';
import { rmsnorm as refRmsnorm, rmsnormBackward as refRmsnormBackward } from '../../model/reference/ops';
import { relativeError } from '../testUtil';
import { rmsnorm, rmsnormBackward } from './rmsnorm';
import { f64, normals, opConfig, OpGraph } from './opTestUtil';

const config = opConfig({ dim: 24, hiddenDim: 32, nHeads: 4, nKvHeads: 4 });
const TOL = 1e-5;

describe('graph op rmsnorm', () => {
  const B = 2;
  const T = 5;
  const N = B * T;
  const { dim, normEps } = config;
  // Rows of very different scales, so 1/rms is exercised well away from 1.
  const x = normals(N * dim, 1).map((v, i) => v * 0.1 * (1 + Math.floor(i / dim)));
  const gain = normals(dim, 2).map((v) => 1 + 0.2 * v);
  const dy = normals(N * dim, 3);

  it('forward (normed, invRms) and backward (dx, dgain) equal the reference', async () => {
    const op = new OpGraph(config, B, T);
    const g = op.g;
    const saved = rmsnorm(g, op.input('x', x, [N, dim]), op.input('gain', gain, [dim]), normEps);
    const { dx, dgain } = rmsnormBackward(g, op.input('dy', dy, [N, dim]), saved, 'gain');
    op.output(saved.normed, 'normed', [N, dim]);
    op.output(saved.invRms, 'invRms', [N, 1]);
    op.output(dx, 'dx', [N, dim]);
    op.output(dgain, 'dgain', [dim]);
    const out = await op.run();

    const normed = new Float64Array(N * dim);
    const invRms = new Float64Array(N);
    refRmsnorm(normed, invRms, f64(x), f64(gain), N, dim, normEps);
    const refDx = new Float64Array(N * dim);
    const refDgain = new Float64Array(dim);
    refRmsnormBackward(refDx, refDgain, f64(dy), f64(x), f64(gain), invRms, N, dim);

    expect(relativeError(out.normed, normed), 'normed').toBeLessThan(TOL);
    expect(relativeError(out.invRms, invRms), 'invRms').toBeLessThan(TOL);
    expect(relativeError(out.dx, refDx), 'dx').toBeLessThan(TOL);
    expect(relativeError(out.dgain, refDgain), 'dgain').toBeLessThan(TOL);
  });
});

// swiglu and swigluBackward as a one-op graph in onnxruntime against reference/ops.ts (float64).
import { describe, expect, it } from 'vitest';
import { swiglu as refSwiglu, swigluBackward as refSwigluBackward } from '../../model/reference/ops';
import { relativeError } from '../testUtil';
import { swiglu, swigluBackward } from './swiglu';
import { f64, normals, opConfig, OpGraph } from './opTestUtil';

const config = opConfig({ hiddenDim: 20 });
const TOL = 1e-5;

describe('graph op swiglu', () => {
  const B = 2;
  const T = 3;
  const N = B * T;
  const H = config.hiddenDim;
  const gate = normals(N * H, 11, 3); // wide enough to reach both saturated ends of σ
  const up = normals(N * H, 12);
  const dAct = normals(N * H, 13);

  it('forward (act) and backward (dGate, dUp) equal the reference', async () => {
    const op = new OpGraph(config, B, T);
    const saved = swiglu(op.g, op.input('gate', gate, [N, H]), op.input('up', up, [N, H]));
    const { dGate, dUp } = swigluBackward(op.g, op.input('dAct', dAct, [N, H]), saved);
    op.output(saved.act, 'act', [N, H]);
    op.output(dGate, 'dGate', [N, H]);
    op.output(dUp, 'dUp', [N, H]);
    const out = await op.run();

    const act = new Float64Array(N * H);
    refSwiglu(act, f64(gate), f64(up), N * H);
    const refDGate = new Float64Array(N * H);
    const refDUp = new Float64Array(N * H);
    refSwigluBackward(refDGate, refDUp, f64(dAct), f64(gate), f64(up), N * H);

    expect(relativeError(out.act, act), 'act').toBeLessThan(TOL);
    expect(relativeError(out.dGate, refDGate), 'dGate').toBeLessThan(TOL);
    expect(relativeError(out.dUp, refDUp), 'dUp').toBeLessThan(TOL);
  });
});

// ropeTables, ropeApply and ropeBackward as a one-op graph in onnxruntime against reference/ops.ts (float64),
// for plain RoPE and each rope_scaling (dynamic NTK both below and past originalMaxPositions).
import { describe, expect, it } from 'vitest';
import {
  ropeApply as refRopeApply,
  ropeBackward as refRopeBackward,
  ropeTables as refRopeTables,
} from '../../model/reference/ops';
import { configInverseFrequencies } from '../../model/rope';
import type { LlamaConfig, RopeScaling } from '../../model/types';
import { relativeError } from '../testUtil';
import { ropeApply, ropeBackward, ropeTables } from './rope';
import { f64, normals, OpGraph } from './opTestUtil';

const base: LlamaConfig = {
  dim: 24,
  hiddenDim: 32,
  nLayers: 1,
  nHeads: 3, // head size 8
  nKvHeads: 3,
  vocabSize: 8,
  maxSeqLen: 16,
  ropeTheta: 100, // a small base so that even the slowest pair turns visibly over 16 positions
  normEps: 1e-5,
  sharedClassifier: true,
};
const TOL = 1e-5;

const cases: [string, RopeScaling | undefined, number][] = [
  ['plain', undefined, 13],
  ['linear ×4', { type: 'linear', factor: 4 }, 13],
  ['llama3', { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 }, 13],
  ['dynamic, T past originalMaxPositions', { type: 'dynamic', factor: 3, originalMaxPositions: 6 }, 13],
  ['dynamic, T within originalMaxPositions', { type: 'dynamic', factor: 3, originalMaxPositions: 6 }, 5],
];

describe.each(cases)('graph op rope: %s', (_label, ropeScaling, T) => {
  const config: LlamaConfig = { ...base, ...(ropeScaling ? { ropeScaling } : {}) };
  const B = 2;
  const H = config.nHeads;
  const hd = config.dim / H;
  const x = normals(B * T * H * hd, 31);
  const d = normals(B * T * H * hd, 32);

  it('forward and backward with the key tables, and the query tables pre-scaled by 1/sqrt(hd)', async () => {
    const op = new OpGraph(config, B, T);
    const tables = ropeTables(op.ctx);
    const xs = op.input('x', x, [B, T, H, hd]);
    const ds = op.input('d', d, [B, T, H, hd]);
    op.output(ropeApply(op.ctx, xs, tables.cosK, tables.sinK), 'y', [B, T, H, hd]);
    op.output(ropeApply(op.ctx, xs, tables.cosQ, tables.sinQ), 'yQ', [B, T, H, hd]);
    op.output(ropeBackward(op.ctx, ds, tables.cosK, tables.sinK), 'dx', [B, T, H, hd]);
    const out = await op.run();

    // The reference rotates [rows, width] per sequence with the frequencies of a run of T positions.
    const { cos, sin } = refRopeTables(T, configInverseFrequencies(config, T), 'float64');
    const y = f64(x);
    const dx = f64(d);
    for (let b = 0; b < B; b++) {
      const rows = (a: Float64Array) => a.subarray(b * T * H * hd, (b + 1) * T * H * hd);
      refRopeApply(rows(y), T, H * hd, hd, cos, sin, 0);
      refRopeBackward(rows(dx), T, H * hd, hd, cos, sin, 0);
    }
    expect(relativeError(out.y, y), 'y').toBeLessThan(TOL);
    expect(
      relativeError(
        out.yQ,
        y.map((v) => v / Math.sqrt(hd)),
      ),
      'yQ',
    ).toBeLessThan(TOL);
    expect(relativeError(out.dx, dx), 'dx').toBeLessThan(TOL);
  });
});

// Seeded fixtures for the chart snapshot tests: small tensors quantized by the real core, a simulated
// hardware report, a sweep. Deterministic (src/core/random), no DOM.
import { quantizeWeight } from '../../core/fgmp';
import { simulateHardware, DEFAULT_HW_PARAMS, type HardwareReport } from '../../core/hw';
import { PROJECTIONS } from '../../core/model/types';
import type { BlockCurve, SweepPoint, TensorDetail } from '../../core/pipeline/results';
import { boxMullerPairs, mulberry32, unit } from '../../core/random';

export const FIXTURE_SHAPE = { rows: 8, cols: 40, layers: 3 } as const;

/** An 8 × 40 weight (the last block of each row is 8 long) with heavy-ish tails and a seeded Fisher. */
export function tensorDetailFixture(seed = 11): TensorDetail {
  const { rows, cols } = FIXTURE_SHAPE;
  const normal = boxMullerPairs(unit(mulberry32(seed)));
  const u = unit(mulberry32(seed + 1));
  const weight = Float32Array.from({ length: rows * cols }, () => 0.05 * normal() * (u() < 0.05 ? 6 : 1));
  const fisher = Float32Array.from({ length: rows * cols }, () => Math.exp(4 * u() - 2) * 1e-4);
  const q = quantizeWeight(weight, rows, cols, { clip: 'fisher', fisher, curve: true });
  return {
    layer: 1,
    proj: 'down',
    rows,
    cols,
    weight,
    qLo: q.qLo,
    qHi: q.qHi,
    clipRatio: q.clipRatio,
    fisher,
    nvfp4TensorScale: q.nvfp4TensorScale,
    fp8Scales: q.fp8Scales,
    curve: q.curve && { grid: [...q.curve.grid], mse: q.curve.mse, fisherMse: q.curve.fisherMse },
  };
}

/** A block's own curve: a parabola in α with its minimum at 0.8 (MSE) and 0.9 (Fisher-weighted). */
export function blockCurveFixture(block: number, grid: number[]): BlockCurve {
  return {
    block,
    grid,
    mse: Float64Array.from(grid, (a) => 1 + 6 * (a - 0.8) ** 2),
    fisherMse: Float64Array.from(grid, (a) => 2 + 9 * (a - 0.9) ** 2),
  };
}

/** FP8 shares per tensor key (`L{layer}.{proj}`), seeded. */
export function sharesFixture(seed = 3): Map<string, number> {
  const u = unit(mulberry32(seed));
  const m = new Map<string, number>();
  for (let l = 0; l < FIXTURE_SHAPE.layers; l++) for (const p of PROJECTIONS) m.set(`L${l}.${p}`, u());
  return m;
}

/** Seeded weight and activation masks on three layers × seven 64 × 64 projections, 512 tokens. */
export function hardwareFixture(seed = 5): HardwareReport {
  const u = unit(mulberry32(seed));
  const inputs = [];
  for (let layer = 0; layer < FIXTURE_SHAPE.layers; layer++)
    for (const proj of PROJECTIONS) {
      const rows = 64;
      const cols = 64;
      const share = 0.15 + 0.2 * layer;
      inputs.push({
        layer,
        proj,
        rows,
        cols,
        tokens: 512,
        weightMask: Uint8Array.from({ length: rows * (cols / 16) }, () => (u() < share ? 1 : 0)),
        activationFp8Share: 0.3,
      });
    }
  return simulateHardware(inputs, DEFAULT_HW_PARAMS);
}

/** Perplexity rises as the FP8 share falls, faster for the weaker policies. */
export function sweepFixture(): SweepPoint[] {
  const out: SweepPoint[] = [];
  const slope = { fgmp: 1, magnitude: 1.6, random: 2.4 } as const;
  for (const policy of ['fgmp', 'magnitude', 'random'] as const)
    for (const weightBudget of [0, 0.1, 0.3, 0.5, 1]) {
      const ppl = 9 + slope[policy] * (1 - weightBudget) ** 2;
      out.push({ policy, weightBudget, ppl, meanNll: Math.log(ppl), energyVsFp8: 0.55 + 0.45 * weightBudget });
    }
  return out;
}

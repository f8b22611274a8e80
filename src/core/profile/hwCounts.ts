// Memory and energy from FP8 block counts alone, for profiles answered from histograms (no masks): with a
// uniform activation FP8 share per site, every figure of the hardware model's linear report is bilinear in
// (W8, a) = (the tensor's FP8 block count, its activation FP8 share) for 0 < W8 < N — block-pair counts are
// products of the two, storage and activation bits are linear in each — and steps at W8 = 0 and N (a tensor
// scale is stored only when some block uses that precision). So probes through the hardware model itself at
// W8 ∈ {0, 1, N−1, N} × a ∈ {0, 1} give any budget in O(tensors), without 405 M-entry masks. Exact (to
// rounding) when every row length is a multiple of 16; with a shorter last block the FP8 elements of the
// tail column are interpolated.
import {
  simulateLinear,
  type HardwareOptions,
  type HardwareReport,
  type HwParams,
  type LinearReport,
} from '../hw/index.ts';
import { storageFromCounts } from '../fgmp/mixed.ts';
import type { ProfileTensor } from './format.ts';
import { blocksPerRow } from './format.ts';

type Tree = number | { [k: string]: Tree } | Tree[];

/** Σ_i c_i · x_i over the numeric leaves of same-shaped trees (non-numbers taken from the first). */
function combine(xs: Tree[], c: number[]): Tree {
  const x0 = xs[0];
  if (typeof x0 === 'number') return xs.reduce<number>((s, x, i) => s + c[i] * (x as number), 0);
  if (Array.isArray(x0))
    return x0.map((_, j) =>
      combine(
        xs.map((x) => (x as Tree[])[j]),
        c,
      ),
    );
  if (x0 && typeof x0 === 'object') {
    const out: { [k: string]: Tree } = {};
    for (const k of Object.keys(x0))
      out[k] = combine(
        xs.map((x) => (x as { [k: string]: Tree })[k]),
        c,
      );
    return out;
  }
  return x0;
}

/** a + b over numeric leaves. */
const add = (a: Tree, b: Tree): Tree => combine([a, b], [1, 1]);

interface Constant {
  allFp8: Tree;
  allNvfp4: Tree;
  perLayer: Map<number, { allFp8: Tree; allNvfp4: Tree }>;
  fp8Bits: number;
  nvfp4Bits: number;
  elements: number;
}

export class CountHardware {
  private constructor(
    private readonly tensors: readonly ProfileTensor[],
    /** Per tensor its shape's probes [a][j]: activation share a ∈ {0, 1}, FP8 blocks {0, 1, N−1, N}[j]. */
    private readonly probes: LinearReport[][][],
    private readonly constant: Constant,
  ) {}

  /**
   * Runs the probes once per distinct weight shape (a report depends on the shape, not on the layer): for
   * Llama-2-7B, 3 shapes × 8 probes instead of a pass over 405 M blocks per budget.
   */
  static build(
    tensors: readonly ProfileTensor[],
    tokens: number,
    params?: HwParams,
    options: HardwareOptions = {},
  ): CountHardware {
    const byShape = new Map<string, LinearReport[][]>();
    for (const t of tensors) {
      const key = `${t.rows}x${t.cols}`;
      if (byShape.has(key)) continue;
      const n = t.rows * blocksPerRow(t.cols);
      const probes = [0, 1].map((a) =>
        [0, 1, 2, 3].map((j) => {
          const mask = new Uint8Array(n);
          if (j === 1) mask[0] = 1;
          if (j === 2) mask.fill(1, 1);
          if (j === 3) mask.fill(1);
          return simulateLinear(
            {
              layer: t.layer,
              proj: t.proj,
              rows: t.rows,
              cols: t.cols,
              weightMask: mask,
              tokens,
              activationFp8Share: a,
            },
            params,
            options,
          );
        }),
      );
      byShape.set(key, probes);
    }
    const probes = tensors.map((t) => byShape.get(`${t.rows}x${t.cols}`)!);
    // What no budget changes: the all-FP8 / all-NVFP4 references and the uniform storage (as simulateHardware).
    const uniform = { fp8Scale: options.fp8Scale, metadata: 'never' as const };
    const constant: Constant = { allFp8: 0, allNvfp4: 0, perLayer: new Map(), fp8Bits: 0, nvfp4Bits: 0, elements: 0 };
    tensors.forEach((t, i) => {
      const r = probes[i][0][0];
      const f = r.allFp8 as unknown as Tree;
      const q = r.allNvfp4 as unknown as Tree;
      constant.allFp8 = i === 0 ? f : add(constant.allFp8, f);
      constant.allNvfp4 = i === 0 ? q : add(constant.allNvfp4, q);
      const l = constant.perLayer.get(t.layer);
      constant.perLayer.set(
        t.layer,
        l ? { allFp8: add(l.allFp8, f), allNvfp4: add(l.allNvfp4, q) } : { allFp8: f, allNvfp4: q },
      );
      const n = t.rows * blocksPerRow(t.cols);
      constant.fp8Bits += storageFromCounts(t.rows, t.cols, n, t.rows * t.cols, uniform).totalBits;
      constant.nvfp4Bits += storageFromCounts(t.rows, t.cols, 0, 0, uniform).totalBits;
      constant.elements += t.rows * t.cols;
    });
    return new CountHardware(tensors, probes, constant);
  }

  /** One tensor's linear report for W8 FP8 blocks and activation share a. */
  private linear(i: number, w8: number, a: number): LinearReport {
    const t = this.tensors[i];
    const n = t.rows * blocksPerRow(t.cols);
    if (!(Number.isInteger(w8) && w8 >= 0 && w8 <= n))
      throw new Error(`FP8 block count of layer ${t.layer} ${t.proj} must be an integer in [0, ${n}], got ${w8}`);
    const p = this.probes[i];
    // Weights: the probe at an endpoint, else linear between W8 = 1 and W8 = N − 1.
    const at = (row: LinearReport[]): { xs: LinearReport[]; c: number[] } => {
      if (w8 === 0) return { xs: [row[0]], c: [1] };
      if (w8 === n) return { xs: [row[3]], c: [1] };
      if (n <= 2) return { xs: [row[1]], c: [1] };
      const lam = (w8 - 1) / (n - 2);
      return { xs: [row[1], row[2]], c: [1 - lam, lam] };
    };
    const lo = at(p[0]);
    const hi = at(p[1]);
    const r = combine([...lo.xs, ...hi.xs] as unknown as Tree[], [
      ...lo.c.map((c) => c * (1 - a)),
      ...hi.c.map((c) => c * a),
    ]) as unknown as LinearReport;
    return { ...r, layer: t.layer, proj: t.proj };
  }

  /** The hardware report (simulateHardware's shape) for FP8 block counts per tensor and activation FP8 shares per site. */
  report(fp8Counts: ArrayLike<number>, actShares: ArrayLike<number>): HardwareReport {
    const perLinear = this.tensors.map((_, i) => this.linear(i, fp8Counts[i], actShares[i]));
    let total: Tree = 0;
    let mixed = 0;
    const layers = new Map<number, { energy: Tree; weightBits: number }>();
    perLinear.forEach((r, i) => {
      const e = r.energy as unknown as Tree;
      total = i === 0 ? e : add(total, e);
      mixed += r.weightBits;
      const l = layers.get(r.layer);
      if (!l) layers.set(r.layer, { energy: e, weightBits: r.weightBits });
      else {
        l.energy = add(l.energy, e);
        l.weightBits += r.weightBits;
      }
    });
    const c = this.constant;
    const t = total as unknown as HardwareReport['total'];
    const allFp8 = c.allFp8 as unknown as HardwareReport['allFp8'];
    const allNvfp4 = c.allNvfp4 as unknown as HardwareReport['allNvfp4'];
    return {
      perLinear,
      perLayer: [...layers.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([layer, l]) => ({
          layer,
          energy: l.energy as unknown as HardwareReport['total'],
          allFp8: c.perLayer.get(layer)!.allFp8 as unknown as HardwareReport['allFp8'],
          allNvfp4: c.perLayer.get(layer)!.allNvfp4 as unknown as HardwareReport['allNvfp4'],
          weightBits: l.weightBits,
        })),
      total: t,
      allFp8,
      allNvfp4,
      vsFp8: t.total / allFp8.total,
      vsNvfp4: t.total / allNvfp4.total,
      weightBits: {
        mixed,
        allFp8: c.fp8Bits,
        allNvfp4: c.nvfp4Bits,
        bitsPerWeight: c.elements ? mixed / c.elements : 0,
        elements: c.elements,
      },
    };
  }
}

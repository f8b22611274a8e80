import { describe, expect, it } from 'vitest';
import { lcg32, unitOpen } from '../random';
import { E4M3 } from '../formats/index.ts';
import { CLIP_GRID, CLIP_MODES, clippingCurve, quantizeWeight, type ClipMode } from './quantize';

const lcg = (seed: number) => unitOpen(lcg32(seed));
function normals(n: number, seed: number): Float32Array {
  const u = lcg(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
/** Student-t with 1 degree of freedom (Cauchy), clamped: rare huge outliers in most blocks. */
function heavyTailed(n: number, seed: number): Float32Array {
  const u = lcg(seed);
  return Float32Array.from({ length: n }, () => Math.max(-200, Math.min(200, Math.tan(Math.PI * (u() - 0.5)))));
}
/** Positive Fisher spanning several orders of magnitude. */
function fisherLike(n: number, seed: number): Float32Array {
  const z = normals(n, seed);
  return Float32Array.from(z, (x) => Math.exp(2 * x));
}

/** Per-block Σ F (v − q)² (F omitted: 1), blocks of 16 along rows. */
function blockErrors(rows: number, cols: number, v: Float32Array, q: Float32Array, f?: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let s = 0; s < cols; s += 16) {
      let e = 0;
      for (let i = r * cols + s; i < r * cols + Math.min(s + 16, cols); i++) e += (f ? f[i] : 1) * (v[i] - q[i]) ** 2;
      out.push(e);
    }
  return out;
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('clip grid', () => {
  it('is 1.00, 0.95, …, 0.50', () => {
    expect(CLIP_GRID).toEqual([1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5]);
  });
});

describe('quantizeWeight on a hand-worked row of 20 (a full block and a short block of 4)', () => {
  // amax 2.625 -> tensor scale 2.625 / 2688 = 2^-10.
  // Block 0: amax 2.625 -> block scale E4M3(448) = 448 -> step 0.4375: 2.625 -> 6·0.4375, 1.0 -> 2.29 -> 2 -> 0.875,
  //          -0.2 -> -0.457 -> -0.5 -> -0.21875.
  // Block 1 (short): amax 0.75 -> block scale 128 -> step 0.125: 0.3 -> 2.4 -> 2 -> 0.25, -0.6 -> -4.8 -> -4 -> -0.5,
  //          0.75 -> 6 -> 0.75, 0.1 -> 0.8 -> 1 -> 0.125.
  const w = new Float32Array(20);
  w.set([2.625, 1.0, -0.2], 0);
  w.set([0.3, -0.6, 0.75, 0.1], 16);
  const expectedLo = new Float32Array(20);
  expectedLo.set([2.625, 0.875, -0.21875], 0);
  expectedLo.set([0.25, -0.5, 0.75, 0.125], 16);

  it('NVFP4 without clipping', () => {
    const q = quantizeWeight(w, 1, 20);
    expect(q.nvfp4TensorScale).toBe(2 ** -10);
    expect(Array.from(q.qLo)).toEqual(Array.from(expectedLo));
    expect(Array.from(q.clipRatio)).toEqual([1, 1]);
    expect(q.curve).toBeNull();
  });

  it('MSE clipping: block 0 keeps α = 1, the short block picks α = 0.9 (hand-computed errors at every ratio)', () => {
    // (Inputs are float32, so errors match the decimal values to ~1e-8.)
    // Block 1 at α = 0.9: 0.675 / 6 / 2^-10 = 115.2 -> E4M3 112 -> step 0.109375: 0.3 -> 2.74 -> 3, -0.6 -> -5.49 -> -6,
    // 0.75 -> 6.86 -> 6, 0.1 -> 0.91 -> 1. Squared error 0.01283203125 < 0.013125 at α = 1; α = 0.85 gives the same
    // block scale (ties keep the larger ratio) and every other ratio is worse (0.95: 0.01579, 0.8: 0.01989, …).
    // Block 0: α = 1 error 0.0159765625; α = 0.95 already 0.0703 (the 2.625 outlier is cut).
    const q = quantizeWeight(w, 1, 20, { clip: 'mse', curve: true });
    expect(Array.from(q.clipRatio)).toEqual([1, Math.fround(0.9)]);
    expect(Array.from(q.qLo.subarray(0, 16))).toEqual(Array.from(expectedLo.subarray(0, 16)));
    expect(Array.from(q.qLo.subarray(16))).toEqual([0.328125, -0.65625, 0.65625, 0.109375]);
    const c = clippingCurve(w, 1, 20, { block: 1 });
    expect(c.mse[0] * 4).toBeCloseTo(0.013125, 7);
    expect(c.mse[2] * 4).toBeCloseTo(0.01283203125, 7);
    expect(c.mse[1] * 4).toBeCloseTo(0.0157861328125, 7);
  });

  it('FP8 E4M3 with the per-tensor scale amax/448', () => {
    const q = quantizeWeight(w, 1, 20);
    const s = Math.fround(2.625 / 448);
    expect(q.fp8Scales[0]).toBe(s);
    // 2.625 -> 448·s; 0 -> 0.
    expect(q.qHi[0]).toBe(Math.fround(448 * s));
    expect(q.qHi[5]).toBe(0);
  });
});

describe('FP8 versions match a brute-force nearest-value search', () => {
  for (const granularity of ['tensor', 'row'] as const) {
    it(`per ${granularity}`, () => {
      const rows = 4;
      const cols = 40;
      const w = normals(rows * cols, 5);
      const q = quantizeWeight(w, rows, cols, { fp8Scale: granularity });
      const levels = E4M3.values();
      for (let r = 0; r < rows; r++) {
        let amax = 0;
        const lo = granularity === 'row' ? r * cols : 0;
        const hi = granularity === 'row' ? (r + 1) * cols : rows * cols;
        for (let i = lo; i < hi; i++) amax = Math.max(amax, Math.abs(w[i]));
        const s = Math.fround(amax / 448);
        for (let i = r * cols; i < (r + 1) * cols; i++) {
          const x = w[i] / s;
          let best = levels[0];
          for (const v of levels) if (Math.abs(v - x) < Math.abs(best - x)) best = v;
          expect(q.qHi[i]).toBe(Math.fround(best * s));
        }
      }
    });
  }
});

describe('clipping search', () => {
  const rows = 12;
  const cols = 172; // 10 full blocks + a short block of 12 per row
  const cases = [
    ['gaussian', normals(rows * cols, 1)],
    ['heavy-tailed', heavyTailed(rows * cols, 2)],
  ] as const;
  const fisher = fisherLike(rows * cols, 3);

  for (const [name, w] of cases) {
    it(`never worse than no clipping in its own objective, block by block (${name})`, () => {
      const none = quantizeWeight(w, rows, cols, { clip: 'none', fisher });
      const mse = quantizeWeight(w, rows, cols, { clip: 'mse', fisher });
      const fis = quantizeWeight(w, rows, cols, { clip: 'fisher', fisher, curve: true });
      expect(mse.grid.blockCount).toBe(rows * 11);
      const noneMse = blockErrors(rows, cols, w, none.qLo);
      const noneFis = blockErrors(rows, cols, w, none.qLo, fisher);
      const mseMse = blockErrors(rows, cols, w, mse.qLo);
      const fisFis = blockErrors(rows, cols, w, fis.qLo, fisher);
      for (let b = 0; b < noneMse.length; b++) {
        expect(mseMse[b]).toBeLessThanOrEqual(noneMse[b]);
        expect(fisFis[b]).toBeLessThanOrEqual(noneFis[b]);
      }
      // The search does something on these tensors.
      expect(sum(mseMse)).toBeLessThan(sum(noneMse));
      expect(sum(fisFis)).toBeLessThan(sum(noneFis));
      for (const q of [mse, fis]) for (const a of q.clipRatio) expect(CLIP_GRID).toContain(Math.round(a * 100) / 100);
      // The FP8 version does not depend on clipping.
      expect(Array.from(mse.qHi)).toEqual(Array.from(none.qHi));
    });

    it(`Fisher clipping beats MSE clipping in Fisher-weighted error and vice versa (${name})`, () => {
      const mse = quantizeWeight(w, rows, cols, { clip: 'mse', fisher });
      const fis = quantizeWeight(w, rows, cols, { clip: 'fisher', fisher, curve: true });
      const fisOfFis = blockErrors(rows, cols, w, fis.qLo, fisher);
      const fisOfMse = blockErrors(rows, cols, w, mse.qLo, fisher);
      const mseOfFis = blockErrors(rows, cols, w, fis.qLo);
      const mseOfMse = blockErrors(rows, cols, w, mse.qLo);
      for (let b = 0; b < fisOfFis.length; b++) {
        expect(fisOfFis[b]).toBeLessThanOrEqual(fisOfMse[b]);
        expect(mseOfMse[b]).toBeLessThanOrEqual(mseOfFis[b]);
      }
      expect(sum(fisOfFis)).toBeLessThan(sum(fisOfMse));
      expect(sum(mseOfMse)).toBeLessThan(sum(mseOfFis));
      expect(Array.from(fis.clipRatio)).not.toEqual(Array.from(mse.clipRatio));
    });
  }

  it('tensor curve: α = 1 is the unclipped error, and the per-block choice beats every single ratio', () => {
    const w = heavyTailed(rows * cols, 4);
    const none = quantizeWeight(w, rows, cols, { clip: 'none' });
    const fis = quantizeWeight(w, rows, cols, { clip: 'fisher', fisher, curve: true });
    const curve = fis.curve!;
    expect(curve.grid).toEqual(CLIP_GRID);
    const n = rows * cols;
    // The search sums its objective in float32 (clipsearch.ts): float64 sums agree to ~1e-7.
    expect(rel(curve.mse[0], sum(blockErrors(rows, cols, w, none.qLo)) / n)).toBeLessThan(1e-6);
    expect(rel(curve.fisherMse[0], sum(blockErrors(rows, cols, w, none.qLo, fisher)) / n)).toBeLessThan(1e-6);
    const chosen = sum(blockErrors(rows, cols, w, fis.qLo, fisher)) / n;
    for (const v of curve.fisherMse) expect(chosen).toBeLessThanOrEqual(v * (1 + 1e-6));
    // clippingCurve of the whole tensor gives the same numbers.
    const again = clippingCurve(w, rows, cols, { fisher });
    expect(Array.from(again.mse)).toEqual(Array.from(curve.mse));
    expect(Array.from(again.fisherMse)).toEqual(Array.from(curve.fisherMse));
  });

  it("block curve: its minimum is the chosen block's error at the chosen ratio (short last block too)", () => {
    const w = heavyTailed(rows * cols, 6);
    const fis = quantizeWeight(w, rows, cols, { clip: 'fisher', fisher, curve: true });
    const errs = blockErrors(rows, cols, w, fis.qLo, fisher);
    for (const b of [0, 10, 21, 5 * 11 + 3]) {
      const len = b % 11 === 10 ? 12 : 16;
      const c = clippingCurve(w, rows, cols, { fisher, block: b });
      const best = Math.min(...c.fisherMse);
      expect(rel(best * len, errs[b])).toBeLessThan(1e-6);
      // The chosen ratio's entry is the curve's minimum exactly (the same float32 objective).
      expect(c.fisherMse[CLIP_GRID.indexOf(Math.round(fis.clipRatio[b] * 100) / 100)]).toBe(best);
    }
    expect(() => clippingCurve(w, rows, cols, { block: rows * 11 })).toThrow(/out of range/);
  });

  it('rejects bad options with clear messages', () => {
    const w = normals(32, 1);
    expect(() => quantizeWeight(w, 1, 32, { clip: 'fisher' })).toThrow(/needs the weight Fisher/);
    expect(() => quantizeWeight(w, 2, 32)).toThrow(/expected 2×32 = 64/);
    expect(() => quantizeWeight(w, 1, 32, { clip: 'bogus' as ClipMode })).toThrow(/unknown clip mode/);
    expect(() => quantizeWeight(w, 1, 32, { clip: 'mse', grid: [1, 0] })).toThrow(/\(0, 1\]/);
  });
});

describe('the clipping curve is optional', () => {
  it('with or without it, the same values and ratios (the search skips only what a bound rules out)', () => {
    const rows = 12;
    const cols = 172;
    for (const seed of [1, 2, 3]) {
      const w = seed === 2 ? heavyTailed(rows * cols, seed) : normals(rows * cols, seed);
      const fisher = fisherLike(rows * cols, seed + 7);
      for (const clip of CLIP_MODES) {
        const a = quantizeWeight(w, rows, cols, { clip, fisher, curve: true });
        const b = quantizeWeight(w, rows, cols, { clip, fisher, curve: false });
        expect(Array.from(b.qLo)).toEqual(Array.from(a.qLo));
        expect(Array.from(b.clipRatio)).toEqual(Array.from(a.clipRatio));
        expect(b.curve).toBeNull();
        if (clip !== 'none') expect(clippingCurve(w, rows, cols, { fisher }).mse).toEqual(a.curve!.mse);
      }
    }
  });
});

describe('E4M3 scale sweep (clip mse-sweep | fisher-sweep)', () => {
  it('hand-worked: 16 ones find block scale 64 (error 0) where the grid keeps 44 (error 0.015625)', () => {
    // Row of 32: block 0 = [10.5, 0 × 15] sets the tensor amax, ts = 10.5 / 2688 = 2^-8 exactly.
    // Block 1 = 16 × 1.0: amax-derived scale 1/6·256 = 42.67 -> E4M3 44 (code 99), s = 44/256,
    // 1/s = 5.82 -> 6 -> q = 1.03125, error 16 · 0.03125² = 0.015625. Grid: 0.95 -> 40.5 -> 40
    // (q saturates at 0.9375, error 0.0625), 0.9 -> 38.4 -> 40 again, 0.85 -> 36.3 -> 36 (worse): α = 1.
    // Sweep above code 99: 48 -> 5.33 -> 6 (1.125); 52, 56, 60 -> 4 (0.8125, 0.875, 0.9375);
    // 64 (code 104, 5 above) -> 1/s = 4 exactly -> q = 1, error 0. 128 and 256 also give 0 but come later.
    const w = new Float32Array(32);
    w[0] = 10.5;
    w.fill(1, 16);
    const grid = quantizeWeight(w, 1, 32, { clip: 'mse', curve: true });
    const sweep = quantizeWeight(w, 1, 32, { clip: 'mse-sweep', curve: true });
    expect(grid.nvfp4TensorScale).toBe(2 ** -8);
    expect(Array.from(grid.qLo.subarray(16))).toEqual(Array(16).fill(1.03125));
    expect(Array.from(grid.clipRatio)).toEqual([1, 1]);
    expect(Array.from(sweep.qLo.subarray(16))).toEqual(Array(16).fill(1));
    // Effective ratio of the sweep's scale to amax/6: 64 · 2^-8 · 6 / 1 = 1.5; block 0 keeps its exact scale.
    expect(Array.from(sweep.clipRatio)).toEqual([1, 1.5]);
    expect(Array.from(sweep.qLo.subarray(0, 16))).toEqual(Array.from(grid.qLo.subarray(0, 16)));
    // The grid curve is still reported in sweep modes.
    expect(Array.from(sweep.curve!.mse)).toEqual(Array.from(grid.curve!.mse));
  });

  it('never worse in its own objective than the ratio grid or no clipping (random blocks, plain and Fisher)', () => {
    const rows = 8;
    const cols = 172;
    for (let seed = 1; seed <= 6; seed++) {
      const w = seed % 2 ? heavyTailed(rows * cols, seed) : normals(rows * cols, seed);
      if (seed === 3) for (let i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 4) / 4; // a coarse lattice: exact fits exist
      const fisher = fisherLike(rows * cols, seed + 100);
      for (const [gridMode, sweepMode, fisherObjective] of [
        ['mse', 'mse-sweep', false],
        ['fisher', 'fisher-sweep', true],
      ] as const) {
        const none = quantizeWeight(w, rows, cols, { clip: 'none', fisher });
        const g = quantizeWeight(w, rows, cols, { clip: gridMode, fisher });
        const sw = quantizeWeight(w, rows, cols, { clip: sweepMode, fisher });
        const objective = (q: Float32Array) => blockObjectives(rows, cols, w, q, fisherObjective ? fisher : undefined);
        const [eNone, eGrid, eSweep] = [objective(none.qLo), objective(g.qLo), objective(sw.qLo)];
        let strictly = 0;
        for (let b = 0; b < eNone.length; b++) {
          expect(eSweep[b]).toBeLessThanOrEqual(eGrid[b]);
          expect(eGrid[b]).toBeLessThanOrEqual(eNone[b]);
          if (eSweep[b] < eGrid[b]) strictly++;
        }
        expect(strictly).toBeGreaterThan(0);
      }
    }
  });
});

/** The search's own objective per block (clipsearch.ts: float32, fixed lane order) of values q. */
function blockObjectives(rows: number, cols: number, w: Float32Array, q: Float32Array, f?: Float32Array): number[] {
  const fr = Math.fround;
  const out: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let s = 0; s < cols; s += 16) {
      const acc = [0, 0, 0, 0];
      for (let i = 0; i < 16; i++) {
        const k = r * cols + s + i;
        const inside = s + i < cols;
        const d = inside ? fr(Math.abs(w[k]) - Math.abs(q[k])) : 0;
        const dd = fr(d * d);
        const t = f ? (inside ? fr(f[k] * dd) : 0) : dd;
        acc[i & 3] = i < 4 ? t : fr(acc[i & 3] + t);
      }
      out.push(fr(fr(acc[0] + acc[2]) + fr(acc[1] + acc[3])));
    }
  return out;
}

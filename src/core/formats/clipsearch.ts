// NVFP4 block-scale search (DESIGN.md §2 clipping; issue 14's E4M3 sweep), TypeScript reference of the
// wasm kernel (wasm/search-source.ts) and the fallback where wasm is unavailable.
// For each 16-element block (rows padded with zeros to a multiple of 16; padding adds exact zeros):
//   grid:  candidate codes c_g = round_E4M3((alpha_g · amax) / 6 / ts), g in grid order;
//   sweep: the amax-derived code0 and every positive finite E4M3 code 1..126, in the order
//          code0, code0−1, code0+1, code0−2, code0+2, …
// Objective of a code (float32 arithmetic, fixed order, so the kernel and this reference agree bit
// for bit): q_i = |E2M1(x_i / s)| · s, d_i = |x_i| − q_i, t_i = d_i² or F_i · d_i²; lane l sums t_l,
// t_{l+4}, t_{l+8}, t_{l+12} in order; E = (lane0 + lane2) + (lane1 + lane3). The first candidate wins
// ties (and keeps a block whose objective is NaN). The grid's per-ratio errors, summed over blocks in
// block order (float64), give the tensor's clipping curve.
import { E4M3_TABLE, encodeE2M1Fast, encodeE4M3Fast, E2M1_TABLE } from './fast.ts';

const fr = Math.fround;

export interface ClipSearchOptions {
  fisher?: ArrayLike<number>;
  /** Clip ratios (float32 values are used), at least one. */
  grid: ArrayLike<number>;
  /** Minimise the Fisher-weighted error (true) or the plain one. */
  fisherObjective: boolean;
  /** Also sweep every E4M3 block-scale code. */
  sweep: boolean;
  /** Sum the grid curve (default true); without it the curves are zeros and the search may skip work. */
  curve?: boolean;
}

export interface ClipSearchResult {
  /** Chosen E4M3 block-scale code per block. */
  scaleCodes: Uint8Array;
  /** Grid index of the choice; 255 when the sweep chose. */
  gridIndex: Uint8Array;
  /** Σ over blocks of each grid ratio's plain / Fisher error (not divided by the element count). */
  curveMse: Float64Array;
  curveFisher: Float64Array;
}

/** Block-scale code of the block amax scaled by alpha, as quantizeNvfp4 computes it. */
export function blockScaleCode(alpha: number, amax: number, tensorScale: number): number {
  return encodeE4M3Fast((alpha * amax) / 6 / tensorScale);
}

/**
 * Objective terms of one padded 16-lane block at code c: [plain, fisher, lowerBelow, lowerAbove]. The
 * bounds are the objective's terms of the elements at or beyond 6s (below) or rounded to zero (above):
 * lower bounds of the objective at every smaller (larger) scale.
 */
export function blockObjective(
  a: Float64Array,
  f: Float64Array | null,
  code: number,
  tensorScale: number,
  fisherObjective: boolean,
): [number, number, number, number] {
  const s = fr(E4M3_TABLE[code] * tensorScale);
  const accP = [0, 0, 0, 0];
  const accF = [0, 0, 0, 0];
  const accD = [0, 0, 0, 0];
  const accU = [0, 0, 0, 0];
  for (let i = 0; i < 16; i++) {
    const l = i & 3;
    let q = 0;
    let zero = true;
    let saturated = false;
    if (s > 0 && a[i] === a[i]) {
      const c = encodeE2M1Fast(a[i] / s) & 7;
      q = fr(E2M1_TABLE[c] * s);
      zero = c === 0;
      saturated = c === 7 && a[i] >= q;
    }
    const d = fr(a[i] - q);
    const dd = fr(d * d);
    const tf = f ? fr(f[i] * dd) : 0;
    const t = fisherObjective ? tf : dd;
    const add = (acc: number[], v: number) => (acc[l] = i < 4 ? v : fr(acc[l] + v));
    add(accP, dd);
    add(accF, tf);
    add(accD, saturated ? t : 0);
    add(accU, zero && a[i] === a[i] ? t : a[i] === a[i] ? 0 : t);
  }
  const h = (v: number[]) => fr(fr(v[0] + v[2]) + fr(v[1] + v[3]));
  return [h(accP), f ? h(accF) : 0, h(accD), h(accU)];
}

/** Order in which the sweep visits codes (after code0 itself): code0−1, code0+1, code0−2, … within 1..126. */
export function sweepOrder(code0: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= 126; d++) {
    if (code0 - d >= 1) out.push(code0 - d);
    if (code0 + d <= 126) out.push(code0 + d);
  }
  return out;
}

/** The reference search over a [rows, rowLength] tensor (brute force: every sweep code is evaluated). */
export function nvfp4ClipSearchReference(
  x: Float32Array,
  rowLength: number,
  tensorScale: number,
  options: ClipSearchOptions,
): ClipSearchResult {
  const G = options.grid.length;
  if (G < 1) throw new RangeError('clip grid is empty');
  const grid = Float32Array.from(options.grid);
  const rows = rowLength ? x.length / rowLength : 0;
  const bpr = Math.ceil(rowLength / 16);
  const nb = rows * bpr;
  const scaleCodes = new Uint8Array(nb);
  const gridIndex = new Uint8Array(nb);
  const curveMse = new Float64Array(G);
  const curveFisher = new Float64Array(G);
  const a = new Float64Array(16);
  const f = options.fisher ? new Float64Array(16) : null;
  const codes = new Int32Array(G);
  const errs: [number, number][] = [];
  let b = 0;
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < bpr; j++, b++) {
      const start = r * rowLength + j * 16;
      const len = Math.min(16, rowLength - j * 16);
      let amax = 0;
      for (let i = 0; i < 16; i++) {
        const v = i < len ? x[start + i] : 0;
        a[i] = Math.abs(v);
        if (f) f[i] = i < len ? fr(options.fisher![start + i]) : 0;
        if (a[i] > amax && a[i] !== Infinity) amax = a[i];
      }
      let best = NaN;
      let bestCode = 0;
      let bestG = 0;
      errs.length = 0;
      for (let g = 0; g < G; g++) {
        const c = blockScaleCode(grid[g], amax, tensorScale);
        codes[g] = c;
        const h = codes.subarray(0, g).indexOf(c);
        let e: [number, number];
        if (h >= 0) e = errs[h];
        else {
          const o = blockObjective(a, f, c, tensorScale, options.fisherObjective);
          e = [o[0], o[1]];
          const obj = options.fisherObjective ? o[1] : o[0];
          if (g === 0 || obj < best) [best, bestCode, bestG] = [obj, c, g];
        }
        errs.push(e);
        curveMse[g] += e[0];
        curveFisher[g] += e[1];
      }
      if (options.sweep) {
        const code0 = blockScaleCode(1, amax, tensorScale);
        const pick = (c: number) =>
          blockObjective(a, f, c, tensorScale, options.fisherObjective)[options.fisherObjective ? 1 : 0];
        best = pick(code0);
        bestCode = code0;
        bestG = 255;
        if (best === best)
          for (const c of sweepOrder(code0)) {
            const o = pick(c);
            if (o < best) [best, bestCode] = [o, c];
          }
      }
      scaleCodes[b] = bestCode;
      gridIndex[b] = bestG;
    }
  if (options.curve === false) {
    curveMse.fill(0);
    curveFisher.fill(0);
  }
  return { scaleCodes, gridIndex, curveMse, curveFisher };
}

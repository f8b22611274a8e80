// The SIMD kernels against the TS quantizers (the oracle), bit for bit: values as float32 bit patterns
// (NaN canonical), element codes, scale codes and scales; on exhaustive code tables, random tensors
// with NaN/Inf/subnormals/exact ties, and rows that are not a multiple of the block (172). FP8: fp8kernels.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleKernels, generatedModule, GENERATED_PATH } from '../../../../scripts/build-kernels.ts';
import { weightKernels } from './kernels.ts';
import { quantizeNvfp4, nvfp4TensorScale } from '../nvfp4.ts';
import { quantizeMx } from '../mx.ts';
import { finiteAbsMax } from '../layout.ts';
import { E4M3_TABLE, encodeE4M3Fast } from '../fast.ts';
import { E2M1 } from '../scalar.ts';
import {
  finiteAbsMaxFast,
  quantizeE4M3Fast,
  quantizeMxFast,
  quantizeNvfp4Fast,
  nvfp4ClipSearch,
} from '../fastquant.ts';
import { nvfp4ClipSearchReference } from '../clipsearch.ts';
import { bits, lcg, nastyTensor, nextDown, nextUp } from '../../../../tests/support/floatBits.ts';

const kernels = weightKernels();
describe.skipIf(!kernels)('wasm SIMD kernels (skipped: WebAssembly SIMD unavailable in this runtime)', () => {
  it('the committed binary is what the source assembles to', async () => {
    const fresh = generatedModule(await assembleKernels());
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(fresh);
  }, 60_000);

  it('block-scale E4M3 rounding: every code, every midpoint and its neighbours, random doubles', () => {
    const e = kernels!.exports;
    const probes: number[] = [0, 2 ** -11, 2 ** -10, 1e-300, 448, 464, 479, 480, 1e9, Infinity];
    for (let c = 0; c < 127; c++) {
      const v = E4M3_TABLE[c];
      probes.push(v, v * (1 + 2 ** -40), v * (1 - 2 ** -40));
      if (c < 126) {
        const mid = (v + E4M3_TABLE[c + 1]) / 2;
        probes.push(mid, mid * (1 + 2 ** -52), mid * (1 - 2 ** -52));
      }
    }
    const u = lcg(3);
    for (let i = 0; i < 20000; i++) probes.push(Math.exp(14 * (u() - 0.7)));
    for (const p of probes) expect(e.e4m3_code(p), String(p)).toBe(encodeE4M3Fast(p));
    expect(e.e4m3_code(NaN)).toBe(0x7f);
  });

  it('finite absolute maximum: NaN and ±Inf ignored, tails shorter than 16, empty and all-special arrays', () => {
    for (const n of [0, 5, 16, 172 * 9, 40000 + 3]) {
      const x = nastyTensor(n, n + 2);
      expect(finiteAbsMaxFast(x)).toBe(finiteAbsMax(x));
    }
    expect(finiteAbsMaxFast(Float32Array.of(NaN, Infinity, -Infinity))).toBe(0);
    expect(finiteAbsMaxFast(Float32Array.from({ length: 33 }, (_, i) => (i === 32 ? -7 : NaN)))).toBe(7);
  });

  const nvfp4Same = (x: Float32Array, opts: Parameters<typeof quantizeNvfp4>[1]) => {
    const a = quantizeNvfp4(x, opts);
    const b = quantizeNvfp4Fast(x, opts);
    expect(bits(b.values)).toEqual(bits(a.values));
    expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
    expect(Array.from(b.scaleCodes)).toEqual(Array.from(a.scaleCodes));
    expect(bits(b.scales)).toEqual(bits(a.scales));
    expect(bits(b.blockScales)).toEqual(bits(a.blockScales));
    expect(b.tensorScale).toBe(a.tensorScale);
  };

  it('NVFP4: every E2M1 value, midpoint and neighbour at every block-scale code', () => {
    // One block per (code, probe set): x = m · s and its float32 neighbours, s = E4M3[code] · ts.
    const ts = 2 ** -8;
    const xs: number[] = [];
    for (let code = 1; code < 127; code++) {
      const s = Math.fround(E4M3_TABLE[code] * ts);
      const probes: number[] = [];
      for (const m of [...E2M1.values().filter((v) => v >= 0 && v < 6), 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5]) {
        const t = Math.fround(m * s);
        probes.push(t, nextUp(t), nextDown(t), -t);
      }
      // Blocks of [6s (the block amax, so the block-scale code is `code`), 15 probes].
      for (let i = 0; i < probes.length; i += 15) {
        const chunk = probes.slice(i, i + 15);
        while (chunk.length < 15) chunk.push(0);
        xs.push(6 * s, ...chunk);
      }
    }
    nvfp4Same(Float32Array.from(xs), { tensorScale: ts });
  });

  it('NVFP4 rounding path: quotients that float32 rounds onto an E2M1 midpoint (the threshold redo), exact ties, saturation', () => {
    // A tensor scale with a long mantissa, so |x| / s is rarely exact: the float32 neighbours of m · s
    // often divide to exactly m (a false tie the kernel must redo through the thresholds).
    const ts = Math.fround(0.000367913366);
    const xs: number[] = [];
    let falseTies = 0;
    let exactTies = 0;
    for (let code = 1; code < 127; code++) {
      const s = Math.fround(E4M3_TABLE[code] * ts);
      const probes: number[] = [];
      for (const m of [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 6, 7, 8, 1e3]) {
        let up = Math.fround(m * s);
        let down = up;
        probes.push(up, -up);
        for (let k = 1; k <= 3; k++) probes.push((up = nextUp(up)), -(down = nextDown(down)));
      }
      for (const p of probes) {
        const q = Math.abs(p) / s;
        if (Math.fround(q) !== q && [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5].includes(Math.fround(q))) falseTies++;
        if ([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5].includes(q)) exactTies++;
      }
      for (let i = 0; i < probes.length; i += 15) {
        const chunk = probes.slice(i, i + 15);
        while (chunk.length < 15) chunk.push(0);
        xs.push(6 * s, ...chunk);
      }
    }
    expect(falseTies).toBeGreaterThan(50);
    expect(exactTies).toBeGreaterThan(10);
    const x = Float32Array.from(xs);
    nvfp4Same(x, { tensorScale: ts });
    // The same blocks with given scale codes (the clip search's final pass) and without element codes.
    const ref = quantizeNvfp4(x, { tensorScale: ts });
    const lower = ref.scaleCodes.map((c) => Math.max(1, c - 3));
    const given = quantizeNvfp4(x, { tensorScale: ts, scaleCodes: lower });
    const k = kernels!;
    const out = {
      values: new Float32Array(x.length),
      codes: new Uint8Array(0),
      scaleCodes: lower,
      scales: new Float32Array(lower.length),
    };
    k.nvfp4(x, x.length, ts, out, undefined, lower);
    expect(bits(out.values)).toEqual(bits(given.values));
    expect(bits(out.scales)).toEqual(bits(given.scales));
  });

  it('NVFP4: random tensors (rows of 172 and 4096), NaN/Inf/subnormals, clip ratios, tiny and explicit tensor scales', () => {
    for (const [rows, cols] of [
      [9, 172],
      [3, 4096],
      [1, 7],
    ] as const) {
      const x = nastyTensor(rows * cols, rows * 31 + cols);
      nvfp4Same(x, { rowLength: cols });
      const blocks = rows * Math.ceil(cols / 16);
      const u = lcg(cols);
      nvfp4Same(x, { rowLength: cols, clip: Float32Array.from({ length: blocks }, () => 0.5 + u() / 2) });
      // A large tensor scale underflows many block scales to code 0 (scale 0): the zero path.
      nvfp4Same(x, { rowLength: cols, tensorScale: nvfp4TensorScale(finiteAbsMax(x)) * 4096 });
      nvfp4Same(x, { rowLength: cols, tensorScale: 1e-30 });
      nvfp4Same(new Float32Array(rows * cols), { rowLength: cols });
    }
  });

  it('MXFP4 rounding path: every E2M1 value, midpoint and neighbour at scales from 2^-127 to 2^125', () => {
    // Blocks of [amax, 31 probes]: the amax sets X = 2^(floor(log2 amax) - 2), the probes m · X and their
    // float32 neighbours (exact ties round to the even code), including subnormal X and probes.
    const xs: number[] = [];
    for (const amax of [1.4e-45 * 7, 2 ** -126, 2 ** -100, 6 * 2 ** -3, 1, 5.9, 2 ** 90, 3e38]) {
      const X = 2 ** Math.max(-127, Math.floor(Math.log2(amax)) - 2);
      const probes: number[] = [];
      for (const m of [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7]) {
        const t = Math.fround(m * X);
        if (Math.abs(t) > amax) continue;
        probes.push(t, -t, nextUp(t), nextDown(t));
      }
      for (let i = 0; i < probes.length; i += 31) {
        const chunk = probes.slice(i, i + 31).map((p) => (Math.abs(p) > amax ? 0 : p));
        while (chunk.length < 31) chunk.push(0);
        xs.push(amax, ...chunk);
      }
    }
    const x = Float32Array.from(xs);
    const a = quantizeMx(x, 'e2m1');
    const b = quantizeMxFast(x, 'e2m1');
    expect(bits(b.values)).toEqual(bits(a.values));
    expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
    expect(Array.from(b.scaleCodes)).toEqual(Array.from(a.scaleCodes));
  });

  it('MXFP4: random tensors, rows of 172, clip ratios, scales at the E8M0 limits', () => {
    for (const [rows, cols] of [
      [9, 172],
      [2, 4096],
    ] as const) {
      const x = nastyTensor(rows * cols, cols * 3);
      x[40] = 3e38; // X = 2^125
      const u = lcg(9);
      const clip = Float32Array.from({ length: rows * Math.ceil(cols / 32) }, () => 0.5 + u() / 2);
      for (const opts of [{ rowLength: cols }, { rowLength: cols, clip }]) {
        const a = quantizeMx(x, 'e2m1', opts);
        const b = quantizeMxFast(x, 'e2m1', opts);
        expect(bits(b.values)).toEqual(bits(a.values));
        expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
        expect(Array.from(b.scaleCodes)).toEqual(Array.from(a.scaleCodes));
        expect(bits(b.scales)).toEqual(bits(a.scales));
      }
    }
  });

  it('clip search: kernel equals the brute-force reference (grid and sweep, plain and Fisher, with and without curves)', () => {
    const grid = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5];
    for (const [rows, cols, lattice] of [
      [12, 172, false],
      [2, 1024, false],
      [6, 160, true],
    ] as const) {
      const x = nastyTensor(rows * cols, cols + 1);
      // A coarse lattice: many blocks fit some E4M3 scale exactly (zero errors, ties between codes).
      if (lattice) for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] * 8) / 8;
      for (let i = 0; i < cols; i++) x[5 * cols + i] = 0; // an all-zero row: ties everywhere
      const u = lcg(4);
      const fisher = Float32Array.from({ length: x.length }, () => Math.exp(8 * (u() - 0.5)));
      const ts = nvfp4TensorScale(finiteAbsMax(x));
      for (const tsUsed of [ts, ts / 16])
        for (const sweep of [false, true])
          for (const fisherObjective of [false, true])
            for (const f of fisherObjective ? [fisher] : [fisher, undefined])
              for (const curve of [true, false]) {
                const opts = { fisher: f, grid, fisherObjective, sweep, curve };
                const ref = nvfp4ClipSearchReference(x, cols, tsUsed, opts);
                const got = nvfp4ClipSearch(x, cols, tsUsed, opts);
                expect(Array.from(got.scaleCodes)).toEqual(Array.from(ref.scaleCodes));
                expect(Array.from(got.gridIndex)).toEqual(Array.from(ref.gridIndex));
                expect(Array.from(got.curveMse)).toEqual(Array.from(ref.curveMse));
                expect(Array.from(got.curveFisher)).toEqual(Array.from(ref.curveFisher));
                const q = quantizeNvfp4(x, { rowLength: cols, tensorScale: tsUsed, scaleCodes: ref.scaleCodes });
                expect(bits(got.values)).toEqual(bits(q.values));
                expect(Array.from(got.codes)).toEqual(Array.from(q.codes));
                if (!curve) expect(got.curveMse.every((v) => v === 0)).toBe(true);
              }
    }
  }, 120_000);
  it('code table: subnormal block amaxes fall back to the exact rounding; an amax hint and codes: false change nothing else', () => {
    // Only float32 subnormals: the default tensor scale is the smallest float32, and the code table's
    // buckets (2^19 ulps) would hold many block-scale boundaries, so it stops and code_from_p takes over.
    const u = lcg(77);
    const tiny = Float32Array.from({ length: 12 * 160 }, () => (u() - 0.5) * 2e-41);
    nvfp4Same(tiny, { rowLength: 160 });
    expect(kernels!['table'].keyHi).toBeLessThan(0x7f800000 >>> 19);
    const grid = [1, 0.9, 0.8, 0.7, 0.6, 0.5];
    for (const x of [tiny, nastyTensor(12 * 160, 5)]) {
      const ts = nvfp4TensorScale(finiteAbsMax(x));
      const fisher = Float32Array.from({ length: x.length }, () => u());
      for (const sweep of [false, true]) {
        const opts = { fisher, grid, fisherObjective: true, sweep };
        const ref = nvfp4ClipSearchReference(x, 160, ts, opts);
        const plain = nvfp4ClipSearch(x, 160, ts, opts);
        const hinted = nvfp4ClipSearch(x, 160, ts, { ...opts, amax: finiteAbsMax(x), codes: false });
        for (const got of [plain, hinted]) {
          expect(Array.from(got.scaleCodes)).toEqual(Array.from(ref.scaleCodes));
          expect(Array.from(got.gridIndex)).toEqual(Array.from(ref.gridIndex));
          expect(Array.from(got.curveFisher)).toEqual(Array.from(ref.curveFisher));
        }
        expect(bits(hinted.values)).toEqual(bits(plain.values));
        expect(hinted.codes.length).toBe(0);
      }
    }
    const x = nastyTensor(9 * 172, 8);
    const full = quantizeE4M3Fast(x, { rowLength: 172 });
    const valuesOnly = quantizeE4M3Fast(x, { rowLength: 172, codes: false });
    expect(bits(valuesOnly.values)).toEqual(bits(full.values));
    expect(valuesOnly.codes.length).toBe(0);
    const n = quantizeNvfp4Fast(x, { rowLength: 172, codes: false });
    expect(bits(n.values)).toEqual(bits(quantizeNvfp4(x, { rowLength: 172 }).values));
    expect(n.codes.length).toBe(0);
  });
});

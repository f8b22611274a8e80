// Block formats worked by hand: every scale, code and dequantized value below is written out as a
// literal with its arithmetic in a comment. E2M1 magnitudes by code: 0:0 1:0.5 2:1 3:1.5 4:2 5:3
// 6:4 7:6, bit 3 = sign. E4M3 steps: [16,32) by 2, [32,64) by 4, [256,512) by 32.
import { describe, expect, it } from 'vitest';
import { lcg32, unit } from '../random';
import { quantizeNvfp4, nvfp4TensorScale, NAN_CODE } from './nvfp4.ts';
import { quantizeMx, mxScaleExponent } from './mx.ts';
import { quantizeE4M3, quantizeFp8 } from './fp8.ts';
import { quantizeGrouped, doubleQuantizeScales } from './grouped.ts';
import { E2M1, E4M3, INT8 } from './scalar.ts';
import { errorMetrics, weightedMse, weightedSse } from './metrics.ts';

const f32 = (xs: number[]) => Float32Array.from(xs);
const list = (a: ArrayLike<number>) => Array.from(a);

describe('NVFP4 worked examples', () => {
  // Row of 32 = two blocks of 16. Tensor amax 10.5 = 2688/256, so the tensor scale is
  // 10.5 / (6·448) = 2^-8 exactly.
  const block0 = [10.5, -7, 5.25, 4.375, 3.5, 2.625, 1.75, 0.875, 0.4375, 0.43, -0.44, 0, -0, 6.125, 8.75, 1.3125];
  const block1 = [1, -1, 0.5, 0.25, 0.1, 0.05, 0.04, 0.75, 0, 0, 0, 0, 0, 0, 0, 0];
  const x = f32([...block0, ...block1]);
  const r = quantizeNvfp4(x);

  it('tensor scale amax/(6·448) and E4M3 block scales', () => {
    expect(r.tensorScale).toBe(2 ** -8);
    // block 0: 10.5 / 6 / 2^-8 = 448 -> E4M3 448 (code 0x7E); scale 448 · 2^-8 = 1.75
    // block 1: 1 / 6 / 2^-8 = 42.67 -> E4M3 44 (step 4 in [32,64): 44 is 1.33 away, 40 is 2.67);
    //          44 = 1.375·2^5 -> code (5+7)<<3 | 3 = 0x63; scale 44 · 2^-8 = 0.171875
    expect(list(r.blockScales)).toEqual([448, 44]);
    expect(list(r.scaleCodes)).toEqual([0x7e, 0x63]);
    expect(list(r.scales)).toEqual([1.75, 0.171875]);
  });

  it('block 0: element codes and values (x / 1.75 rounded on the E2M1 grid, ties to even)', () => {
    // x/1.75 = 6, -4, 3, 2.5 (tie 2|3 -> 2), 2, 1.5, 1, 0.5, 0.25 (tie 0|0.5 -> 0), 0.2457 (-> 0),
    //          -0.2514 (-> -0.5), 0, -0, 3.5 (tie 3|4 -> 4), 5 (tie 4|6 -> 4), 0.75 (tie 0.5|1 -> 1)
    expect(list(r.codes.subarray(0, 16))).toEqual([7, 14, 5, 4, 4, 3, 2, 1, 0, 0, 9, 0, 8, 6, 6, 2]);
    // values = E2M1 · 1.75
    expect(list(r.values.subarray(0, 16))).toEqual([
      10.5, -7, 5.25, 3.5, 3.5, 2.625, 1.75, 0.875, 0, 0, -0.875, 0, -0, 7, 7, 1.75,
    ]);
  });

  it('block 1: the block amax itself can round up past amax (E4M3 scale rounding)', () => {
    // x/0.171875: 1 -> 5.82 -> 6; -1 -> -6; 0.5 -> 2.91 -> 3; 0.25 -> 1.45 -> 1.5; 0.1 -> 0.58 -> 0.5;
    // 0.05 -> 0.29 -> 0.5; 0.04 -> 0.23 -> 0; 0.75 -> 4.36 -> 4
    expect(list(r.codes.subarray(16, 24))).toEqual([7, 15, 5, 3, 1, 1, 0, 6]);
    // 6·0.171875 = 1.03125, 3·0.171875 = 0.515625, 1.5·… = 0.2578125, 0.5·… = 0.0859375, 4·… = 0.6875
    expect(list(r.values.subarray(16, 24))).toEqual([
      1.03125, -1.03125, 0.515625, 0.2578125, 0.0859375, 0.0859375, 0, 0.6875,
    ]);
  });

  it('a clip ratio per block scales alpha · amax; values beyond it saturate at ±6·scale', () => {
    const c = quantizeNvfp4(x, { clip: [1, 0.5] });
    // block 1: 0.5 · 1 / 6 / 2^-8 = 21.33 -> E4M3 22 (step 2 in [16,32)); scale 22 · 2^-8 = 0.0859375
    expect(c.blockScales[1]).toBe(22);
    // 1 / 0.0859375 = 11.6 -> saturates to 6 -> 0.515625; 0.25 -> 2.91 -> 3 -> 0.2578125
    expect(c.values[16]).toBe(0.515625);
    expect(c.values[19]).toBe(0.2578125);
    expect(list(c.values.subarray(0, 16))).toEqual(list(r.values.subarray(0, 16))); // block 0 unchanged
  });

  it('rows whose length is not a multiple of 16 end in a shorter block scaled by its own values', () => {
    // Two rows of 20: blocks [0,16), [16,20), [20,36), [36,40). Explicit tensor scale 2^-8.
    const row = [...Array(16).fill(1), 0.3, -0.6, 0.15, 0.9];
    const q = quantizeNvfp4(f32([...row, ...row]), { rowLength: 20, tensorScale: 2 ** -8 });
    expect(q.layout.blocks).toBe(4);
    // short block amax 0.9: 0.9/6·256 = 38.4 -> E4M3 40 (36 is 2.4 away) -> scale 0.15625
    // 0.3 -> 1.92 -> 2 -> 0.3125; -0.6 -> -3.84 -> -4 -> -0.625; 0.15 -> 0.96 -> 1 -> 0.15625; 0.9 -> 5.76 -> 6 -> 0.9375
    expect(list(q.blockScales)).toEqual([44, 40, 44, 40]);
    expect(list(q.codes.subarray(16, 20))).toEqual([4, 14, 2, 7]);
    expect(list(q.values.subarray(16, 20))).toEqual([0.3125, -0.625, 0.15625, 0.9375]);
    expect(list(q.values.subarray(36, 40))).toEqual([0.3125, -0.625, 0.15625, 0.9375]);
  });

  it('per-row (per-token) tensor scales', () => {
    // Row 0 with scale 2^-8 as above; row 1 = row 0 · 16 with scale 2^-4 gives the same codes, values · 16.
    const a = [1, 0.5, -0.25, 0.1];
    const q = quantizeNvfp4(f32([...a, ...a.map((v) => v * 16)]), {
      rowLength: 4,
      tensorScale: f32([2 ** -8, 2 ** -4]),
    });
    expect(list(q.tensorScales)).toEqual([2 ** -8, 2 ** -4]);
    expect(list(q.codes.subarray(4))).toEqual(list(q.codes.subarray(0, 4)));
    expect(list(q.values.subarray(4))).toEqual(list(q.values.subarray(0, 4)).map((v) => v * 16));
    const p = quantizeNvfp4(f32([...a, ...a.map((v) => v * 16)]), { rowLength: 4, perRowTensorScale: true });
    expect(list(p.tensorScales)).toEqual([Math.fround(1 / 2688), Math.fround(16 / 2688)]);
  });

  it('NaN elements stay NaN, ±Inf saturates, amax ignores both; all-zero tensors give zeros', () => {
    const q = quantizeNvfp4(f32([NaN, Infinity, -Infinity, 3, 1.5, 0, 0, 0]), { tensorScale: 2 ** -8 });
    // finite amax 3: 3/6·256 = 128 -> E4M3 128 -> scale 0.5
    expect(q.scales[0]).toBe(0.5);
    expect(q.codes[0]).toBe(NAN_CODE);
    expect(Number.isNaN(q.values[0])).toBe(true);
    expect(list(q.values.subarray(1, 5))).toEqual([3, -3, 3, 1.5]);
    const z = quantizeNvfp4(new Float32Array(20));
    expect(z.tensorScale).toBe(1);
    expect(list(z.values).every((v) => v === 0)).toBe(true);
    expect(nvfp4TensorScale(2688)).toBe(1);
  });

  it('agrees with the scalar E2M1/E4M3 reference on a random tensor', () => {
    const u = unit(lcg32(12345, 1103515245, 12345));
    const rnd = () => (u() - 0.5) * 2;
    const big = Float32Array.from({ length: 1000 }, () => rnd() * Math.exp(3 * rnd()));
    const q = quantizeNvfp4(big, { rowLength: 100 });
    const ts = Math.fround(Math.max(...list(big).map(Math.abs)) / 2688);
    expect(q.tensorScale).toBe(ts);
    for (let b = 0; b < q.layout.blocks; b++) {
      const row = Math.floor(b / 7);
      const start = row * 100 + (b % 7) * 16;
      const end = Math.min(start + 16, row * 100 + 100);
      const amax = Math.max(...list(big.subarray(start, end)).map(Math.abs));
      const bs = E4M3.round(amax / 6 / ts);
      expect(q.blockScales[b]).toBe(bs);
      const scale = Math.fround(bs * ts);
      for (let i = start; i < end; i++) {
        expect(q.codes[i]).toBe(E2M1.encode(big[i] / scale));
        expect(q.values[i]).toBe(Math.fround(E2M1.decode(q.codes[i]) * scale));
      }
    }
  });

  it('rejects bad options', () => {
    expect(() => quantizeNvfp4(new Float32Array(10), { rowLength: 3 })).toThrow(/not a multiple/);
    expect(() => quantizeNvfp4(new Float32Array(16), { clip: [1, 1] })).toThrow(/clip has 2/);
    expect(() => quantizeNvfp4(new Float32Array(16), { tensorScale: 0 })).toThrow(/positive finite/);
    expect(() => quantizeNvfp4(new Float32Array(16), { blockSize: 0 })).toThrow(/block size/);
  });
});

describe('MX worked examples (OCP MX v1.0: X = 2^(floor(log2 amax) - emax_elem))', () => {
  // One 32-element block with amax 0.7 (floor(log2 0.7) = -1).
  const vals = [0.7, 0.3, -0.45, 0.0625, 0.03, 0.1875, 0.65625, 0.625];
  const x = f32([...vals, ...Array(24).fill(0)]);

  it('MXFP4: X = 2^(-1-2) = 0.125', () => {
    const q = quantizeMx(x, 'e2m1');
    expect(list(q.scales)).toEqual([0.125]);
    expect(list(q.scaleCodes)).toEqual([124]); // -3 + 127
    // x/0.125 = 5.6 -> 6; 2.4 -> 2; -3.6 -> -4; 0.5; 0.24 -> 0; 1.5; 5.25 -> 6; 5 (tie 4|6) -> 4
    expect(list(q.codes.subarray(0, 8))).toEqual([7, 4, 14, 1, 0, 3, 7, 6]);
    expect(list(q.values.subarray(0, 8))).toEqual([0.75, 0.25, -0.5, 0.0625, 0, 0.1875, 0.75, 0.5]);
  });

  it('MXFP6 E2M3 (emax 2) and E3M2 (emax 4)', () => {
    const a = quantizeMx(x, 'e2m3');
    // X = 0.125; 0.7/0.125 = 5.6 -> step 0.5 in [4,8): 5.5 -> 0.6875; 0.3 -> 2.4 -> step 0.25: 2.5 -> 0.3125
    expect(a.scales[0]).toBe(0.125);
    expect(list(a.values.subarray(0, 2))).toEqual([0.6875, 0.3125]);
    const b = quantizeMx(x, 'e3m2');
    // X = 2^-5; 0.7·32 = 22.4 -> step 4 in [16,32): 24 -> 0.75; 0.3·32 = 9.6 -> step 2: 10 -> 0.3125
    expect(b.scales[0]).toBe(2 ** -5);
    expect(list(b.values.subarray(0, 2))).toEqual([0.75, 0.3125]);
  });

  it('MXFP8 E4M3 (emax 8) and E5M2 (emax 15)', () => {
    const a = quantizeMx(x, 'e4m3');
    // X = 2^-9; 0.7·512 = 358.4 -> step 32: 352 -> 0.6875; 0.3·512 = 153.6 -> step 16: 160 -> 0.3125
    expect(a.scales[0]).toBe(2 ** -9);
    expect(list(a.values.subarray(0, 2))).toEqual([0.6875, 0.3125]);
    expect(a.codes[0]).toBe(E4M3.encode(352));
    const b = quantizeMx(x, 'e5m2');
    // X = 2^-16; 0.7·65536 = 45875.2 -> step 8192 in [32768,65536): 49152 -> 0.75
    expect(b.scales[0]).toBe(2 ** -16);
    expect(b.values[0]).toBe(0.75);
  });

  it('MXINT8: elements int8/64, X = 2^-1', () => {
    const q = quantizeMx(x, 'int8');
    // x/0.5·64 = x·128: 89.6 -> 90; 38.4 -> 38; -57.6 -> -58 (byte 0xC6); values int·0.5/64
    expect(q.scales[0]).toBe(0.5);
    expect(list(q.codes.subarray(0, 3))).toEqual([90, 38, 0xc6]);
    expect(list(q.values.subarray(0, 3))).toEqual([0.703125, 0.296875, -0.453125]);
  });

  it('short last block of a row, zero blocks and scale clamping', () => {
    // Row of 35: block [0,32) and [32,35). Second block amax 8: floor(log2 8) = 3 -> X = 2 for FP4.
    const row = [...Array(32).fill(0), 8, -3, 1];
    const q = quantizeMx(f32(row), 'e2m1', { rowLength: 35 });
    expect(q.layout.blocks).toBe(2);
    expect(list(q.scales)).toEqual([2 ** -127, 2]); // all-zero block: smallest E8M0 scale
    // 8/2 = 4; -3/2 = -1.5; 1/2 = 0.5
    expect(list(q.values.subarray(32))).toEqual([8, -3, 1]);
    expect(mxScaleExponent(2 ** -140, 2)).toBe(-127);
    expect(mxScaleExponent(2 ** 127, 0)).toBe(127);
  });
});

describe('FP8 per-tensor and per-row', () => {
  it('scale amax/448, codes E4M3(x/scale)', () => {
    // amax 896 -> scale 2; 300/2 = 150 -> step 16 in [128,256): 144 (6 away) vs 160 (10) -> 144 -> 288
    const q = quantizeE4M3(f32([896, 300, -1, 0.001]));
    expect(list(q.scales)).toEqual([2]);
    expect(list(q.values)).toEqual([896, 288, -1, 0]); // 0.0005 < 2^-10: rounds to 0
    const p = quantizeE4M3(f32([896, 300, 4.48, 1]), { rowLength: 2, perRow: true });
    expect(list(p.scales)).toEqual([2, Math.fround(4.48 / 448)]);
    const e = quantizeFp8(f32([57344 * 4, 1]), 'e5m2');
    expect(e.scales[0]).toBe(4);
    expect(e.values[0]).toBe(57344 * 4);
  });
});

describe('grouped INT / NF4 quantizers', () => {
  it('INT8 per-tensor absmax: scale amax/127', () => {
    // amax 31.75 -> scale 31.75/127 = 0.25; 1/0.25 = 4; 0.375/0.25 = 1.5 -> 2 (tie, even);
    // -0.625/0.25 = -2.5 -> -2 (tie, even); 0.125/0.25 = 0.5 -> 0; values = code · 0.25
    const q = quantizeGrouped(f32([31.75, 1, 0.375, -0.625, 0.125]), INT8);
    expect(list(q.scales)).toEqual([0.25]);
    expect(list(q.codes)).toEqual([127, 4, 2, -2, 0]);
    expect(list(q.values)).toEqual([31.75, 1, 0.5, -0.5, 0]);
  });

  it('INT4 per-channel rows and per-group', () => {
    // rows [7, 3.5, -1, 0] and [0.7, 0.35, 0.1, -0.7]: scales 1 and 0.1
    const q = quantizeGrouped(f32([7, 3.5, -1, 0, 0.7, 0.35, 0.1, -0.7]), 'int4', { granularity: 'row', rowLength: 4 });
    expect(list(q.scales)).toEqual([1, Math.fround(Math.fround(0.7) / 7)]);
    expect(list(q.codes.subarray(0, 4))).toEqual([7, 4, -1, 0]); // 3.5 -> 4 (tie to even)
    const g = quantizeGrouped(f32([7, 3.5, -1, 0, 0.7, 0.35, 0.1, -0.7]), 'int4', {
      granularity: 'group',
      groupSize: 2,
    });
    expect(g.scales.length).toBe(4);
    expect(g.rawScales[1]).toBe(Math.fround(1 / 7));
  });

  it('UINT4 zero point: range [min(lo,0), max(hi,0)] = [-1, 2], scale 3/15 = 0.2, zero point 5', () => {
    const q = quantizeGrouped(f32([-1, 0, 2, 0.5, 0.3]), 'uint4', { scaling: 'zeropoint' });
    const s = Math.fround(3 / 15);
    expect(q.scales[0]).toBe(s);
    expect(list(q.zeroPoints!)).toEqual([5]);
    // codes = rne(x/0.2) + 5: -1 -> 0; 0 -> 5; 2 -> 15; 0.5 -> 2.5 -> 2 (tie) -> 7; 0.3 -> 1.5 -> 2 -> 7
    expect(list(q.codes)).toEqual([0, 5, 15, 7, 7]);
    expect(q.values[1]).toBe(0); // zero is exact
    expect(() => quantizeGrouped(f32([1]), 'nf4', { scaling: 'zeropoint' })).toThrow(/integer format/);
  });

  it('NF4 per-group absmax: scale = group amax, codes = nearest level', () => {
    // group [2, -1, 0.5, 0]: scale 2; x/2 = 1, -0.5 -> nearest level -0.525 (code 2), 0.25 -> 0.246 (code 10), 0 (code 7)
    const q = quantizeGrouped(f32([2, -1, 0.5, 0]), 'nf4', { granularity: 'group', groupSize: 4 });
    expect(list(q.codes)).toEqual([15, 2, 10, 7]);
    expect(q.values[1]).toBe(Math.fround(-0.5250730514526367 * 2));
  });

  it('double quantization: scales centred on their mean, 8-bit per super-group of 256; codes use exact scales', () => {
    let s = 7;
    const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
    const x = Float32Array.from({ length: 64 * 600 }, rnd);
    const plain = quantizeGrouped(x, 'nf4', { granularity: 'group', groupSize: 64 });
    const dq = quantizeGrouped(x, 'nf4', { granularity: 'group', groupSize: 64, doubleQuant: true });
    expect(list(dq.codes)).toEqual(list(plain.codes));
    expect(dq.doubleQuant!.superScales.length).toBe(Math.ceil(600 / 256));
    const offset = dq.doubleQuant!.offset;
    for (let g = 0; g < 600; g++) {
      const s2 = dq.doubleQuant!.superScales[Math.floor(g / 256)];
      // |dequantized − exact| ≤ half a step of the super-group's int8 grid (plus float32 rounding)
      expect(Math.abs(dq.scales[g] - plain.scales[g])).toBeLessThanOrEqual(s2 / 2 + 1e-6);
      expect(dq.scales[g]).toBe(Math.fround(dq.doubleQuant!.codes[g] * s2 + offset));
    }
    const e4 = doubleQuantizeScales(plain.scales, 256, 'e4m3');
    expect(e4.superScales.length).toBe(3);
  });
});

describe('metrics', () => {
  it('MSE, max abs, SQNR and weighted MSE by hand', () => {
    // errors 0.5, -1, 0: MSE (0.25 + 1) / 3; signal 1 + 4 + 9 = 14; SQNR 10 log10(14 / 1.25)
    const m = errorMetrics([1, 2, 3], [0.5, 3, 3]);
    expect(m.mse).toBeCloseTo(1.25 / 3, 15);
    expect(m.maxAbs).toBe(1);
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(14 / 1.25), 12);
    expect(weightedSse([1, 2, 3], [0.5, 3, 3], [4, 1, 9])).toBe(4 * 0.25 + 1);
    expect(weightedMse([1, 2, 3], [0.5, 3, 3], [1, 1, 1])).toBeCloseTo(m.mse, 15);
    const n = errorMetrics([NaN, 1], [NaN, 1]);
    expect([n.nanCount, n.count, n.sqnrDb]).toEqual([1, 1, Infinity]);
  });
});

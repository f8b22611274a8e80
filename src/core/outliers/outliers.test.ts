import { describe, expect, it } from 'vitest';
import {
  channelAbsMax,
  int8Decomposition,
  matmulTransposed,
  migrate,
  outlierColumns,
  selectColumns,
  smoothingScales,
  smoothQuant,
} from './index';

const f32 = (xs: number[]) => Float32Array.from(xs);
/** INT8 absmax dequantized value, as the formats core stores it: fround(code · fround(amax / 127)). */
const deq = (code: number, amax: number) => Math.fround(code * Math.fround(amax / 127));

describe('matrix helpers', () => {
  it('X·Wᵀ, column absmax and column selection on a 2×3 case', () => {
    const x = f32([1, 2, 3, 4, 5, 6]); // [2 tokens, 3 channels]
    const w = f32([1, 0, -1, 2, 1, 0]); // [2 outputs, 3 channels]
    expect(Array.from(matmulTransposed(x, w, 2, 3, 2))).toEqual([1 - 3, 2 + 2, 4 - 6, 8 + 5]);
    expect(Array.from(channelAbsMax(f32([1, -7, 3, -4, 5, 0]), 3))).toEqual([4, 7, 3]);
    expect(Array.from(selectColumns(x, 3, [1]))).toEqual([0, 2, 0, 0, 5, 0]);
    expect(Array.from(selectColumns(x, 3, [1], true))).toEqual([1, 0, 3, 4, 0, 6]);
  });
});

describe('SmoothQuant', () => {
  // X [2 tokens, 2 channels] with max|X_j| = (4, 16); W [2 outputs, 2 channels] with max|W_j| = (1, 1).
  const x = f32([4, -16, 1, 8]);
  const w = f32([1, 0.5, -0.5, 1]);
  const shape = { tokens: 2, channels: 2, outputs: 2 };

  it('s_j = max|X_j|^α / max|W_j|^(1−α), worked by hand for α = 0, ½, 1', () => {
    const xm = channelAbsMax(x, 2);
    const wm = Float64Array.from([2, 0.25]); // a second weight with max|W_j| = (2, ¼)
    expect(Array.from(smoothingScales(xm, channelAbsMax(w, 2), 0.5))).toEqual([2, 4]); // √4/1, √16/1
    expect(Array.from(smoothingScales(xm, channelAbsMax(w, 2), 1))).toEqual([4, 16]);
    expect(Array.from(smoothingScales(xm, wm, 0))).toEqual([0.5, 4]); // 1/2, 1/¼
    const half = smoothingScales(xm, wm, 0.5); // 2/√2, 4/½
    expect(half[0]).toBeCloseTo(Math.SQRT2, 15);
    expect(half[1]).toBe(8);
    expect(smoothingScales(Float64Array.from([0]), Float64Array.from([1]), 0.5)[0]).toBe(1e-8); // floored
    expect(() => smoothingScales(xm, xm, 1.5)).toThrow(/α/);
  });

  it('X/s and W·s give the same product as X and W', () => {
    const s = smoothingScales(channelAbsMax(x, 2), channelAbsMax(w, 2), 0.5);
    const { xs, ws } = migrate(x, w, s);
    expect(Array.from(xs)).toEqual([2, -4, 0.5, 2]);
    expect(Array.from(ws)).toEqual([2, 2, -1, 4]);
    // X·Wᵀ by hand: [4 − 8, −2 − 16; 1 + 4, −0.5 + 8]
    expect(Array.from(matmulTransposed(x, w, 2, 2, 2))).toEqual([-4, -18, 5, 7.5]);
    expect(Array.from(matmulTransposed(xs, ws, 2, 2, 2))).toEqual([-4, -18, 5, 7.5]);
  });

  it('then INT8: X/s per tensor, W·s per output row, codes worked by hand', () => {
    const r = smoothQuant(x, w, shape, 0.5);
    // X/s = [2, −4, 0.5, 2], amax 4: codes round(v·127/4) = [63.5→64, −127, 15.875→16, 63.5→64] (ties to even)
    expect(Array.from(r.xq)).toEqual([64, -127, 16, 64].map((c) => deq(c, 4)));
    // W·s rows [2, 2] (amax 2: codes 127, 127) and [−1, 4] (amax 4: −31.75→−32, 127)
    expect(Array.from(r.wq)).toEqual([deq(127, 2), deq(127, 2), deq(-32, 4), deq(127, 4)]);
    const y00 = r.xq[0] * r.wq[0] + r.xq[1] * r.wq[1];
    const y11 = r.xq[2] * r.wq[2] + r.xq[3] * r.wq[3];
    expect(r.y[0]).toBe(y00);
    expect(r.y[3]).toBe(y11);
    expect(Math.abs(r.y[0] - -4)).toBeLessThan(0.1);
    expect(Array.from(r.xBack)).toEqual(Array.from(r.xq, (v, i) => Math.fround(v * r.scales[i % 2])));
  });

  it('on a channel outlier, smoothing beats plain per-tensor INT8', () => {
    // 8 tokens × 4 channels, channel 2 about 50× the others; weights all of the same size.
    const tokens = 8;
    const channels = 4;
    const xo = new Float32Array(tokens * channels);
    for (let t = 0; t < tokens; t++)
      for (let c = 0; c < channels; c++) xo[t * channels + c] = c === 2 ? -50 - t : ((t * 7 + c * 3) % 5) / 4 - 0.5;
    const wo = Float32Array.from({ length: 3 * channels }, (_, i) => ((i * 5) % 7) / 7 - 0.4);
    const sh = { tokens, channels, outputs: 3 };
    const exact = matmulTransposed(xo, wo, tokens, channels, 3);
    const err = (y: Float64Array) => y.reduce((s, v, i) => s + (v - exact[i]) ** 2, 0);
    const plain = smoothQuant(xo, wo, sh, 0); // α = 0 with max|W_j| ≈ 0.5: nearly no migration
    const smooth = smoothQuant(xo, wo, sh, 0.5);
    expect(err(smooth.y)).toBeLessThan(err(plain.y));
  });

  it('checks shapes', () => {
    expect(() => smoothQuant(x, w, { tokens: 3, channels: 2, outputs: 2 }, 0.5)).toThrow(/activations/);
    expect(() => smoothQuant(x, w, { tokens: 2, channels: 2, outputs: 1 }, 0.5)).toThrow(/weights/);
  });
});

describe('LLM.int8() decomposition', () => {
  // X [2 tokens, 3 channels]: channel 1 holds |x| ≥ 6 (10 and −12). W [2 outputs, 3 channels].
  const x = f32([1, 10, -2, 0.5, -12, 3]);
  const w = f32([1, 2, 3, 4, 5, 6]);
  const shape = { tokens: 2, channels: 3, outputs: 2 };

  it('finds the outlier columns at the threshold (|x| ≥ threshold)', () => {
    expect(outlierColumns(x, 2, 3, 6)).toEqual([1]);
    expect(outlierColumns(x, 2, 3, 12)).toEqual([1]);
    expect(outlierColumns(x, 2, 3, 12.5)).toEqual([]);
    expect(outlierColumns(x, 2, 3, 3)).toEqual([1, 2]);
  });

  it('outlier channels in 16-bit float, the rest vector-wise INT8, worked by hand', () => {
    const r = int8Decomposition(x, w, shape, 6);
    expect(r.outliers).toEqual([1]);
    // FP16 part: only channel 1 (10, −12 and 2, 5 are exact in FP16).
    expect(Array.from(r.yHi)).toEqual([10 * 2, 10 * 5, -12 * 2, -12 * 5]);
    // INT8 part, channels 0 and 2. X rows [1, ·, −2] amax 2: codes [63.5→64, −127];
    // [0.5, ·, 3] amax 3: codes [21.17→21, 127]. W rows [1, ·, 3] amax 3: [42.33→42, 127];
    // [4, ·, 6] amax 6: [84.67→85, 127].
    const xq = [
      [deq(64, 2), deq(-127, 2)],
      [deq(21, 3), deq(127, 3)],
    ];
    const wq = [
      [deq(42, 3), deq(127, 3)],
      [deq(85, 6), deq(127, 6)],
    ];
    const lo = (t: number, o: number) => xq[t][0] * wq[o][0] + xq[t][1] * wq[o][1];
    expect(Array.from(r.yLo)).toEqual([lo(0, 0), lo(0, 1), lo(1, 0), lo(1, 1)]);
    expect(Array.from(r.y)).toEqual(Array.from(r.yHi, (v, i) => v + r.yLo[i]));
    // Close to the exact product [1·1 + 20 − 6, 4 + 50 − 12; 0.5 − 24 + 9, 2 − 60 + 18].
    const exact = [15, 42, -14.5, -40];
    r.y.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(0.05));
  });

  it('with no outliers it is plain vector-wise INT8; the outlier path is exact where FP16 is', () => {
    const none = int8Decomposition(x, w, shape, 100);
    expect(none.outliers).toEqual([]);
    expect(Array.from(none.yHi)).toEqual([0, 0, 0, 0]);
    const all = int8Decomposition(f32([1, 2, 3, 4, 5, 6]), w, shape, 0);
    expect(all.outliers).toEqual([0, 1, 2]);
    expect(Array.from(all.y)).toEqual(Array.from(matmulTransposed(f32([1, 2, 3, 4, 5, 6]), w, 2, 3, 2)));
  });
});

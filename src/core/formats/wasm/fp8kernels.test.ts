// The FP8 E4M3 kernels against the TS quantizer (the oracle), bit for bit: exact midpoint ties, every code
// and midpoint with its neighbours at scales across the range, and the quotients fl32(|x| · fl32(1/s)) that
// land on the other side of a midpoint than |x| / s (what the multiplying kernel's redo margin is for).
import { describe, expect, it } from 'vitest';
import { weightKernels } from './kernels.ts';
import { quantizeFp8 } from '../fp8.ts';
import { E4M3_TABLE } from '../fast.ts';
import { quantizeE4M3Fast } from '../fastquant.ts';
import { bits, lcg, nastyTensor, nextDown, nextUp } from '../../../../tests/support/floatBits.ts';

/** The kernel's values and codes for x (padded to whole groups) at scale s equal the TS quantizer's. */
function expectOracle(x: number[], s: number, o: { withoutCodes?: boolean } = {}): void {
  while (x.length % 16) x.push(0);
  const t = Float32Array.from(x);
  const a = quantizeFp8(t, 'e4m3', { scale: s });
  const b = quantizeE4M3Fast(t, { scale: s });
  expect(bits(b.values), `scale ${s}`).toEqual(bits(a.values));
  expect(Array.from(b.codes), `scale ${s}`).toEqual(Array.from(a.codes));
  if (o.withoutCodes)
    expect(bits(quantizeE4M3Fast(t, { scale: s, codes: false }).values), `scale ${s}`).toEqual(bits(a.values));
}

describe.skipIf(!weightKernels())(
  'wasm SIMD FP8 kernels (skipped: WebAssembly SIMD unavailable in this runtime)',
  () => {
    it('FP8 E4M3: exact midpoint ties (scalar fallback), random tensors, per tensor and per row', () => {
      const s = Math.fround(3 / 448);
      const ties: number[] = [];
      for (let c = 0; c < 126; c++) {
        const t = Math.fround(((E4M3_TABLE[c] + E4M3_TABLE[c + 1]) / 2) * s);
        // Exact ties, and 1..4 ulps either side: the reciprocal path redoes lanes within 3 ulps of a midpoint.
        let up = t;
        let down = t;
        ties.push(t, -t);
        for (let k = 1; k <= 4; k++) ties.push((up = nextUp(up)), (down = nextDown(down)));
      }
      for (const [rows, cols] of [
        [9, 172],
        [2, 4096],
        [1, 5],
      ] as const) {
        const x = nastyTensor(rows * cols, cols + 7, ties);
        // 1e-39 is a float32 subnormal: its reciprocal overflows, so that scale takes the dividing kernel.
        for (const opts of [
          { scale: s },
          {},
          { rowLength: cols, perRow: true },
          { rowLength: cols, scale: 1e-30 },
          { scale: 1e-39 },
        ]) {
          const a = quantizeFp8(x, 'e4m3', opts);
          const b = quantizeE4M3Fast(x, opts);
          expect(bits(b.values)).toEqual(bits(a.values));
          expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
          expect(bits(b.scales)).toEqual(bits(a.scales));
          // Without element codes (the _nc kernels): the same values, tie groups included.
          expect(bits(quantizeE4M3Fast(x, { ...opts, codes: false }).values)).toEqual(bits(a.values));
        }
      }
    });

    it('FP8 E4M3 rounding path: every code, midpoint and neighbour (8 ulps each way) at scales from 2^-120 to 2^120', () => {
      // Per-tensor scales whose reciprocal is normal take the multiplying kernel; odd mantissas make the
      // reciprocal inexact, so quotients land near (not on) midpoints too. Subnormal E4M3 codes (0..7) included.
      const scales = [1, 3 / 448, 0.7, 1e-3, 2 ** -120, 5 * 2 ** 110, Math.fround(1 / 3)].map(Math.fround);
      for (const s of scales) {
        const x: number[] = [];
        for (let c = 0; c <= 126; c++) {
          const at = (v: number) => {
            let up = Math.fround(v * s);
            let down = up;
            x.push(up, -up);
            for (let k = 1; k <= 8; k++) x.push((up = nextUp(up)), (down = nextDown(down)));
          };
          at(E4M3_TABLE[c]);
          if (c < 126) at((E4M3_TABLE[c] + E4M3_TABLE[c + 1]) / 2);
        }
        expectOracle(x, s, { withoutCodes: true });
      }
    });

    it('FP8 E4M3: quotients |x| · fl32(1/s) on the other side of a midpoint than |x| / s (the redo margin)', () => {
      // Found by search, exactly: the side of |x| / s against a midpoint m is that of x against m · s (exact
      // in f64), and q = fl32(x · r) is exact f32 arithmetic in JS. Lanes where q lands on m are redone by any
      // margin; these land off it, on the wrong side, so a margin too small gives the wrong code.
      const u = lcg(2504);
      const cases: { s: number; x: number[] }[] = [];
      let subnormal = 0;
      for (let t = 0; t < 120; t++) {
        const s = Math.fround((1 + u()) * 2 ** Math.floor(u() * 40 - 20));
        const r = Math.fround(1 / s);
        const x: number[] = [];
        for (let c = 0; c < 126; c++) {
          const m = (E4M3_TABLE[c] + E4M3_TABLE[c + 1]) / 2;
          let v = Math.fround(m * s);
          for (let k = 0; k < 4; k++) v = nextDown(v);
          for (let k = 0; k < 9; k++, v = nextUp(v)) {
            const q = Math.fround(v * r);
            if (q !== m && Math.sign(q - m) !== Math.sign(v - m * s)) {
              x.push(v, -v);
              if (c < 8) subnormal++;
            }
          }
        }
        if (x.length) cases.push({ s, x });
      }
      expect(cases.reduce((n, c) => n + c.x.length, 0)).toBeGreaterThan(200);
      expect(subnormal).toBeGreaterThan(5);
      for (const { s, x } of cases) expectOracle(x, s);
    });
  },
);

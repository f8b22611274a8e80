import { describe, expect, it } from 'vitest';
import { quantizeScheme, schemeIds } from './schemes.ts';
import { parseValueInput, probeRow, formatNumber } from './probe.ts';
import { codeBits, codeHex } from './display.ts';
import { E4M3, E8M0_FORMAT, INT8, NF4, TF32 } from './scalar.ts';

describe('quantizeScheme', () => {
  const x = Float32Array.from({ length: 96 }, (_, i) => Math.cos(i * 1.7) * (i === 40 ? 30 : 1));

  it('every id: per-element values and codes, per-block scales, NaN in -> NaN out', () => {
    const withNaN = Float32Array.from(x);
    withNaN[3] = NaN;
    for (const id of schemeIds()) {
      const r = quantizeScheme(withNaN, id);
      expect(r.values.length).toBe(96);
      expect(r.codes.length).toBe(96);
      expect(Number.isNaN(r.values[3]), id).toBe(true);
      expect(r.metrics.nanCount).toBe(1);
      if (r.scales.length) expect(r.scales.length).toBe(Math.ceil(96 / r.block));
    }
    expect(schemeIds().length).toBe(22);
  });

  it('clip mse is never worse than no clipping (same objective: MSE over the block)', () => {
    for (const id of ['nvfp4', 'mxfp4', 'mxint8', 'int4', 'nf4', 'e2m1', 'uint4']) {
      const none = quantizeScheme(x, id, { block: 16 });
      const mse = quantizeScheme(x, id, { block: 16, clip: { kind: 'mse' } });
      expect(mse.metrics.mse, id).toBeLessThanOrEqual(none.metrics.mse);
    }
  });

  it('rejects unknown ids, bad blocks and clipping of unscaled formats', () => {
    expect(() => quantizeScheme(x, 'fp7')).toThrow(/unknown format "fp7"/);
    expect(() => quantizeScheme(x, 'nvfp4', { block: 0 })).toThrow(/positive integer/);
    expect(() => quantizeScheme(x, 'fp16', { clip: { kind: 'kl' } })).toThrow(/no scale/);
  });
});

describe('display and probe', () => {
  it('hex and grouped bits', () => {
    expect([codeHex(E4M3, 0x7e), codeBits(E4M3, 0x7e)]).toEqual(['0x7e', '0|1111|110']);
    expect(codeBits(TF32, TF32.encode(1))).toBe('0|01111111|0000000000');
    expect([codeHex(INT8, -2), codeBits(INT8, -2)]).toEqual(['0xfe', '1|1111110']); // two's complement
    expect(codeBits(E8M0_FORMAT, 127)).toBe('01111111');
    expect(codeBits(NF4, 7)).toBe('0111');
    expect(codeHex(NF4, NaN)).toBe('—');
  });
  it('parses typed values and reports junk', () => {
    expect(parseValueInput(' 0.3 ')).toEqual({ value: 0.3 });
    expect(parseValueInput('-INF')).toEqual({ value: -Infinity });
    expect(Number.isNaN((parseValueInput('nan') as { value: number }).value)).toBe(true);
    expect(parseValueInput('1e')).toEqual({ error: '"1e" is not a number.' });
    expect(parseValueInput('0x10')).toHaveProperty('error');
  });
  it('a probe row: 1000 in E4M3 saturates to 448, relative error 0.552', () => {
    expect(probeRow(E4M3, 1000)).toMatchObject({
      hex: '0x7e',
      bits: '0|1111|110',
      value: '448',
      absError: '5.520e+2',
      relError: '5.520e-1',
    });
    expect(probeRow(E4M3, -0)).toMatchObject({ hex: '0x80', value: '-0', absError: '0', relError: '0' });
    expect(formatNumber(-Infinity)).toBe('-Infinity');
  });
});

describe('quantizeScheme clip mse-sweep (NVFP4 E4M3 scale sweep)', () => {
  it('hand-worked: 16 ones take block scale 64 (exact) and report ratio 1.5; never worse than mse per block', () => {
    // Tensor amax 10.5 -> ts = 2^-8; ones: amax-derived scale 44 (1.03125), the sweep finds 64 (4 · 0.25 = 1).
    const x = Float32Array.from([...Array(16).fill(1), 10.5, ...Array(15).fill(0)]);
    const r = quantizeScheme(x, 'nvfp4', { clip: { kind: 'mse-sweep' } });
    expect(r.blockScales).toEqual([64, 448]);
    expect(r.clip).toEqual([1.5, 1]);
    expect(Array.from(r.values.subarray(0, 16))).toEqual(Array(16).fill(1));
    let s = 5;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
    const y = Float32Array.from({ length: 16 * 40 }, () => rnd() * Math.exp(3 * rnd()));
    const sweep = quantizeScheme(y, 'nvfp4', { clip: { kind: 'mse-sweep' } });
    const mse = quantizeScheme(y, 'nvfp4', { clip: { kind: 'mse' } });
    const err = (v: Float32Array, b: number) => {
      let e = 0;
      for (let i = 16 * b; i < 16 * b + 16; i++) e += (y[i] - v[i]) ** 2;
      return e;
    };
    for (let b = 0; b < 40; b++) expect(err(sweep.values, b)).toBeLessThanOrEqual(err(mse.values, b) * (1 + 1e-6));
    expect(() => quantizeScheme(y, 'mxfp4', { clip: { kind: 'mse-sweep' } })).toThrow(/applies to nvfp4/);
  });
});

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

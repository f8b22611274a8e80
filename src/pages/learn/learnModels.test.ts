// The lesson helpers that are not the core but lay its results out: value windows, neighbours,
// bit-field arithmetic, mantissa truncation, and the share-URL the tour builds.
import { describe, expect, it } from 'vitest';
import { BF16, E2M1, E4M3, E5M2, FP32, INT4, NF4, SCALAR_FORMATS, TF32 } from '../../core/formats';
import { decodeShareHash } from '../../core/url/shareState';
import { bitFields, neighbours, valuesInRange } from './formatsModel';
import { truncateMantissa } from './truncationModel';
import { explorerHash } from './tourModel';
import { seededNormal } from './synthetic';

describe('valuesInRange', () => {
  it('walks TF32 codes to the same list as filtering values()', () => {
    // Around -1, around +1, and across zero through the subnormals (one zero, both signs).
    for (const [lo, hi] of [
      [-1.01, -0.99],
      [0.99, 1.01],
      [-(2 ** -130), 2 ** -130],
    ]) {
      const walked = valuesInRange(TF32, lo, hi).values;
      const listed = TF32.values().filter((v) => v >= lo && v <= hi);
      expect(walked.length).toBeGreaterThan(20);
      expect(walked).toEqual(listed);
    }
  });
  it('lists FP32 values next to 1 by their spacing (2^-24 below, 2^-23 above)', () => {
    const { values } = valuesInRange(FP32, 1 - 2 ** -23, 1 + 2 ** -22);
    expect(values).toEqual([1 - 2 ** -23, 1 - 2 ** -24, 1, 1 + 2 ** -23, 1 + 2 ** -22]);
  });
  it('reports truncation past the cap', () => {
    expect(valuesInRange(FP32, 1, 2).truncated).toBe(true);
  });
});

describe('neighbours', () => {
  it('brackets a value by the two nearest representable values in every narrow format', () => {
    for (const f of [E4M3, E5M2, E2M1, NF4, INT4, BF16]) {
      const x = 0.3;
      const { below, above } = neighbours(f, x);
      const vals = f.values();
      expect(below).toBe(Math.max(...vals.filter((v) => v <= x)));
      expect(above).toBe(Math.min(...vals.filter((v) => v >= x)));
      expect([below, above]).toContain(f.round(x));
    }
  });
  it('steps FP32 codes around 0.1 and -0.1', () => {
    const x = 0.1;
    const r = Math.fround(x);
    const n = neighbours(FP32, x);
    expect(n.below! < x && x < n.above!).toBe(true);
    expect([n.below, n.above]).toContain(r);
    const m = neighbours(FP32, -x);
    expect(m.below! < -x && -x < m.above!).toBe(true);
    expect([m.below, m.above]).toContain(-r);
  });
});

describe('bitFields', () => {
  it('writes arithmetic whose result is the decoded value for every E4M3 and E2M1 code', () => {
    for (const f of [E4M3, E2M1]) {
      for (let code = 0; code < 2 ** f.bits; code++) {
        const b = bitFields(f, code);
        expect(b.fields.map((x) => x.bits).join('')).toBe(code.toString(2).padStart(f.bits, '0'));
        const shown = b.arithmetic.split('=').pop()!.trim().replace('−', '-').replace(/^-0$/, '-0');
        expect(Number(shown)).toEqual(f.decode(code));
      }
    }
  });
  it("marks subnormals and spells two's complement for INT4", () => {
    expect(bitFields(E4M3, 1).arithmetic).toContain('subnormal');
    expect(bitFields(INT4, -3).fields[0].bits).toBe('1101');
  });
  it('covers every scalar format without throwing', () => {
    for (const f of SCALAR_FORMATS) expect(() => bitFields(f, f.encode(0.5))).not.toThrow();
  });
});

describe('truncateMantissa', () => {
  it('rounds toward zero and keeps 0..23 bits', () => {
    const normal = seededNormal(1);
    const x = Float32Array.from({ length: 256 }, () => normal());
    const t7 = truncateMantissa(x, 7);
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(t7[i])).toBeLessThanOrEqual(Math.abs(x[i]));
      // BF16 is rounding to 7 bits: the truncated value is one of its two neighbours.
      const { below, above } = neighbours(BF16, x[i]);
      expect([below, above]).toContain(t7[i]);
    }
    expect(truncateMantissa(x, 23)).toEqual(x);
    expect(() => truncateMantissa(x, 24)).toThrow(/0..23/);
  });
});

describe('explorerHash', () => {
  it('builds a share URL the explorer schema reads back without errors', () => {
    const d = decodeShareHash(explorerHash(0.45, { view: 'clipping' }));
    expect(d.errors).toEqual([]);
    expect(d.state.weightBudget).toBe(0.45);
    expect(d.state.activationBudget).toBe(0.45);
    expect(d.state.policy).toBe('fgmp');
    expect(d.state.clipping).toBe('fisher');
    expect(d.state.view).toBe('clipping');
  });
});

// RoPE inverse frequencies with rope_scaling: hand-worked values on a head of 8 (theta 10000, so the plain
// frequencies are exactly 1, 0.1, 0.01, 0.001), and float64 numbers from a Python transcription of transformers'
// modeling_rope_utils.py (_compute_default/linear/dynamic_ntk/llama3) at Llama-3.2-1B's rope settings.
import { describe, expect, it } from 'vitest';
import { configInverseFrequencies, dynamicNtkBase, ropeDependsOnLength, ropeInverseFrequencies } from './rope';
import type { LlamaConfig, RopeScaling } from './types';

/** |a − b| ≤ rel · |b| for every entry. */
function expectRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i]), `entry ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(
      rel * Math.abs(expected[i]),
    );
}

describe('ropeInverseFrequencies by hand (head size 8, theta 10000)', () => {
  it('plain: 10000^(−2j/8) = 1, 0.1, 0.01, 0.001', () => {
    expectRelClose(ropeInverseFrequencies(8, 10000), [1, 0.1, 0.01, 0.001], 1e-15);
  });

  it('linear ×4: positions divided by 4, i.e. every frequency', () => {
    expectRelClose(
      ropeInverseFrequencies(8, 10000, { type: 'linear', factor: 4 }),
      [0.25, 0.025, 0.0025, 0.00025],
      1e-15,
    );
  });

  it('dynamic ×2 at 32 positions past 16: base · 3^(4/3), so pair j gets 10^(−j) · 3^(−j/3)', () => {
    const s: RopeScaling = { type: 'dynamic', factor: 2, originalMaxPositions: 16 };
    // m = 2·32/16 − (2 − 1) = 3; base' = 10000 · 3^(8/6); base'^(−2j/8) = 10000^(−j/4) · 3^(−j/3).
    expect(dynamicNtkBase(10000, 8, 2, 16, 32)).toBeCloseTo(10000 * Math.cbrt(81), 8);
    expectRelClose(
      ropeInverseFrequencies(8, 10000, s, 32),
      [1, 0.1 / Math.cbrt(3), 0.01 / Math.cbrt(9), 0.001 / 3],
      1e-14,
    );
    // Up to originalMaxPositions (and by default) the base is unchanged.
    expectRelClose(ropeInverseFrequencies(8, 10000, s, 16), [1, 0.1, 0.01, 0.001], 1e-15);
    expectRelClose(ropeInverseFrequencies(8, 10000, s, 5), [1, 0.1, 0.01, 0.001], 1e-15);
    expectRelClose(ropeInverseFrequencies(8, 10000, s), [1, 0.1, 0.01, 0.001], 1e-15);
  });

  it('llama3: wavelengths 2π/f below 256 kept, above 1024 divided by 8, 628.3 blended', () => {
    const s: RopeScaling = {
      type: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 1024,
    };
    // Pair 2: f = 0.01, wavelength 200π; blend weight w = (1024 / (200π) − 1) / (4 − 1) on the unscaled frequency.
    const w = (1024 / (200 * Math.PI) - 1) / 3;
    const blended = 0.01 * (w + (1 - w) / 8);
    expect(blended).toBeCloseTo(0.003086762, 8);
    expectRelClose(ropeInverseFrequencies(8, 10000, s), [1, 0.1, blended, 0.001 / 8], 1e-14);
  });
});

describe('ropeInverseFrequencies against transformers (float64, head 64)', () => {
  it('llama3 at Llama-3.2-1B settings (theta 500000, factor 32, low 1, high 4, original 8192)', () => {
    const s: RopeScaling = {
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 8192,
    };
    const inv = ropeInverseFrequencies(64, 500000, s);
    // Pairs 14 (wavelength 1956 < 2048, kept), 15–17 (blended), 18 (10089 > 8192, divided by 32).
    const expected: [number, number][] = [
      [0, 1.0],
      [1, 0.6636012376960885],
      [14, 0.0032114459947525913],
      [15, 0.001290547928209264],
      [16, 0.00042955679655936815],
      [17, 9.70828780262767e-5],
      [18, 1.9461638184831125e-5],
      [31, 9.418306725434909e-8],
    ];
    expectRelClose(
      expected.map(([j]) => inv[j]),
      expected.map(([, v]) => v),
      1e-13,
    );
  });

  it('dynamic ×2 (theta 10000, max positions 2048) at 4096 positions', () => {
    const inv = ropeInverseFrequencies(64, 10000, { type: 'dynamic', factor: 2, originalMaxPositions: 2048 }, 4096);
    expectRelClose(
      [inv[0], inv[1], inv[16], inv[31]],
      [1.0, 0.7237840223942559, 0.005672099864306926, 4.445071440544414e-5],
      1e-13,
    );
  });

  it('linear ×4 (theta 10000)', () => {
    const inv = ropeInverseFrequencies(64, 10000, { type: 'linear', factor: 4 });
    expectRelClose([inv[0], inv[1], inv[16], inv[31]], [0.25, 0.18747355233311397, 0.0025, 3.33380358040831e-5], 1e-13);
  });
});

describe('rope config helpers', () => {
  const c: LlamaConfig = {
    dim: 16,
    hiddenDim: 8,
    nLayers: 1,
    nHeads: 2,
    nKvHeads: 2,
    vocabSize: 4,
    maxSeqLen: 32,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: true,
  };

  it('configInverseFrequencies uses head size dim / nHeads and the config rope_scaling', () => {
    expectRelClose(configInverseFrequencies(c), [1, 0.1, 0.01, 0.001], 1e-15);
    expectRelClose(
      configInverseFrequencies({ ...c, ropeScaling: { type: 'linear', factor: 2 } }),
      [0.5, 0.05, 0.005, 0.0005],
      1e-15,
    );
  });

  it('the float32 path rounds every step (run.c powf): values are float32 and within an ulp of float64', () => {
    const inv32 = configInverseFrequencies(c, undefined, Math.fround);
    const inv64 = configInverseFrequencies(c);
    inv32.forEach((v, j) => {
      expect(Math.fround(v)).toBe(v);
      expect(Math.abs(v - inv64[j])).toBeLessThanOrEqual(2 ** -23 * inv64[j]);
    });
  });

  it('only dynamic NTK with a context past originalMaxPositions depends on the run length', () => {
    expect(ropeDependsOnLength(c)).toBe(false);
    expect(ropeDependsOnLength({ ...c, ropeScaling: { type: 'dynamic', factor: 2, originalMaxPositions: 16 } })).toBe(
      true,
    );
    expect(ropeDependsOnLength({ ...c, ropeScaling: { type: 'dynamic', factor: 2, originalMaxPositions: 32 } })).toBe(
      false,
    );
    expect(ropeDependsOnLength({ ...c, ropeScaling: { type: 'linear', factor: 2 } })).toBe(false);
  });

  it('rejects scalings the formulas cannot use', () => {
    expect(() => ropeInverseFrequencies(8, 10000, { type: 'linear', factor: 0 })).toThrow(/factor must be a positive/);
    expect(() =>
      ropeInverseFrequencies(8, 10000, {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 4,
        highFreqFactor: 4,
        originalMaxPositions: 64,
      }),
    ).toThrow(/lowFreqFactor < highFreqFactor/);
    expect(() => ropeInverseFrequencies(8, 10000, { type: 'dynamic', factor: 2, originalMaxPositions: 0 })).toThrow(
      /originalMaxPositions must be positive/,
    );
    expect(() => ropeInverseFrequencies(8, 10000, { type: 'yarn', factor: 2 } as unknown as RopeScaling)).toThrow(
      /not supported/,
    );
  });
});

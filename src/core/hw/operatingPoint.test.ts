import { describe, expect, it } from 'vitest';
import { shapeConfig } from '../model/shapes';
import { ENERGY_COMPONENTS } from './energy';
import {
  FGMP_HEADLINE_VS_FP8,
  FGMP_OPERATING_POINT,
  fitParameter,
  sensitivity,
  shapeInputs,
  simulateShape,
} from './operatingPoint';
import { DEFAULT_HW_PARAMS, FITTED_OPERAND_FETCH_BIT, hwParams } from './params';

// Llama-2-7B's published config (meta-llama/Llama-2-7b-hf config.json), from the shapes table.
const LLAMA2_7B = shapeConfig('llama2-7b');

describe('the paper operating point on the Llama-2-7B shape', () => {
  it('gives −14 % ± 1.5 points against all-FP8 (prefill of 4,096 tokens, 70 % NVFP4 weights and activations)', () => {
    const r = simulateShape(LLAMA2_7B, FGMP_OPERATING_POINT);
    expect(Math.abs(r.vsFp8 - FGMP_HEADLINE_VS_FP8)).toBeLessThan(0.015);
    // Weight memory: 4.5·0.7 + 8·0.3 + 1/16 bits per weight (plus per-tensor scales) = 29.8 % below FP8.
    expect(r.weightBits.bitsPerWeight).toBeCloseTo(4.5 * 0.7 + 8 * 0.3 + 1 / 16, 4);
    // The paper: the activation unit costs under 1 % of the energy.
    expect(r.total.activationUnit / r.total.total).toBeLessThan(0.01);
  });

  it('the fitted operand-fetch energy is what re-fitting gives, and the fit hits the target exactly', () => {
    const v = fitParameter('operandFetchBit', FGMP_HEADLINE_VS_FP8, LLAMA2_7B, FGMP_OPERATING_POINT);
    expect(v).toBeCloseTo(FITTED_OPERAND_FETCH_BIT, 5);
    const r = simulateShape(LLAMA2_7B, FGMP_OPERATING_POINT, hwParams({ operandFetchBit: v }));
    expect(r.vsFp8).toBeCloseTo(FGMP_HEADLINE_VS_FP8, 10);
  });

  it('decode streams the weights once per token, so the saving approaches the weight-memory saving', () => {
    const point = { ...FGMP_OPERATING_POINT, tokens: 64 };
    const r = simulateShape(LLAMA2_7B, point, DEFAULT_HW_PARAMS, { preset: 'decode' });
    const memory = r.weightBits.mixed / r.weightBits.allFp8;
    expect(r.vsFp8).toBeGreaterThan(memory);
    expect(r.vsFp8 - memory).toBeLessThan(0.01);
  });

  it('the sensitivity table moves each answer in the direction of its cost', () => {
    const rows = sensitivity(LLAMA2_7B, FGMP_OPERATING_POINT);
    const by = Object.fromEntries(rows.map((r) => [r.key, r]));
    // A precision-independent cost dilutes the saving when it grows.
    expect(by.alignAccumulate.double).toBeGreaterThan(FGMP_HEADLINE_VS_FP8);
    expect(by.alignAccumulate.half).toBeLessThan(FGMP_HEADLINE_VS_FP8);
    // A cost only mixed blocks pay (block scales) hurts when it grows.
    expect(by.blockScaleApply.double).toBeGreaterThan(FGMP_HEADLINE_VS_FP8);
    // Costs that shrink with FP4 (operand bits, DRAM bits) widen the saving when they grow.
    expect(by.operandFetchBit.double).toBeLessThan(FGMP_HEADLINE_VS_FP8);
    expect(by.dramBitEnergy.double).toBeLessThan(FGMP_HEADLINE_VS_FP8);
    // The FP8×FP8 multiply is the baseline's: making it dearer widens the saving.
    expect(by.dotW8A8.double).toBeLessThan(by.dotW8A8.half);
  });

  it('shape inputs cover every projection of every layer, and components sum to the total', () => {
    const inputs = shapeInputs(LLAMA2_7B, FGMP_OPERATING_POINT);
    expect(inputs.length).toBe(32 * 7);
    const elements = inputs.reduce((s, i) => s + i.rows * i.cols, 0);
    expect(elements).toBe(32 * (4 * 4096 * 4096 + 3 * 4096 * 11008));
    const r = simulateShape(LLAMA2_7B, FGMP_OPERATING_POINT);
    const sum = ENERGY_COMPONENTS.reduce((s, k) => s + r.total[k], 0);
    expect(sum / r.total.total).toBeCloseTo(1, 12);
  });
});

import { describe, expect, it } from 'vitest';
import { runCli } from '../../../tests/support/cli';
import { ENERGY_COMPONENTS } from '../../core/hw/energy.ts';
import { tinyConfig, writeTinyCheckpoint } from '../../../tests/support/models';

describe('fgmp energy', () => {
  it('--shape llama2-7b at the paper point: −14 % ± 1.5 vs all-FP8, the documented JSON fields', async () => {
    const r = await runCli(['energy', '--shape', 'llama2-7b', '--budget', '0.3', '--act-budget', '0.3', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of ['total', 'vsFp8', 'vsNvfp4', 'components', 'perLayer']) expect(j).toHaveProperty(k);
    expect(Math.abs(j.vsFp8 - 0.86)).toBeLessThan(0.015);
    expect(Object.keys(j.components)).toEqual([...ENERGY_COMPONENTS]);
    const shares = Object.values(j.components as Record<string, { energy: number; share: number }>);
    expect(shares.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 12);
    expect(shares.reduce((s, c) => s + c.energy, 0) / j.total).toBeCloseTo(1, 12);
    expect(j.perLayer).toHaveLength(32);
    expect(j.perLayer.reduce((s: number, l: { total: number }) => s + l.total, 0) / j.total).toBeCloseTo(1, 12);
    expect(j.weightBitsPerWeight).toBeCloseTo(4.5 * 0.7 + 8 * 0.3 + 1 / 16, 4);
  });

  it('decode streams weights per token: the saving nears the weight-memory saving; budgets 0 and 1 are the references', async () => {
    const run = async (...a: string[]) =>
      JSON.parse((await runCli(['energy', '--shape', 'stories15M', '--json', ...a])).out);
    const decode = await run('--budget', '0.3', '--act-budget', '0.3', '--preset', 'decode', '--tokens', '16');
    expect(decode.vsFp8 - decode.weightMemoryVsFp8).toBeLessThan(0.02);
    expect(decode.vsFp8).toBeGreaterThan(decode.weightMemoryVsFp8);
    // All FP8 still pays the flags and the activation unit, all NVFP4 too: just above the references.
    const fp8 = await run('--budget', '1', '--act-budget', '1');
    expect(fp8.vsFp8).toBeGreaterThan(1);
    expect(fp8.vsFp8).toBeLessThan(1.02);
    const lo = await run('--budget', '0', '--act-budget', '0');
    expect(lo.vsNvfp4).toBeGreaterThan(1);
    expect(lo.vsNvfp4).toBeLessThan(1.03);
  });

  it('prints the component and sensitivity tables, and refuses bad input with one clear line', async () => {
    const t = await runCli([
      'energy',
      '--shape',
      'llama2-7b',
      '--budget',
      '0.3',
      '--act-budget',
      '0.3',
      '--sensitivity',
    ]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/alignAccumulate/);
    expect(t.out).toMatch(/vs all-FP8 86\.\d\d %/);
    expect(t.out).toMatch(/operandFetchBit .* fitted to the FGMP headline/);
    const bad = await runCli(['energy', '--shape', 'nope', '--budget', '0.3', '--act-budget', '0.3']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/unknown model shape "nope"/);
    const range = await runCli(['energy', '--shape', 'stories15M', '--budget', '1.5', '--act-budget', '0.3']);
    expect(range.err).toMatch(/--budget is out of range \(0–1\)/);
    const preset = await runCli([
      'energy',
      '--shape',
      'stories15M',
      '--budget',
      '0.5',
      '--act-budget',
      '0.3',
      '--preset',
      'x',
    ]);
    expect(preset.err).toMatch(/--preset must be one of prefill, decode, on-chip/);
  });
});

describe('fgmp energy MODEL', () => {
  it('costs the policy masks and the realised activation counts: the same total as fgmp run', async () => {
    const modelPath = writeTinyCheckpoint(tinyConfig(), 5, 0.2);
    const common = [
      modelPath,
      '--seqs',
      '3',
      '--seq-len',
      '16',
      '--eval-tokens',
      '40',
      '--engine',
      'wasm',
      '--budget',
      '0.3',
      '--act-budget',
      '0.3',
      '--json',
    ];
    const e = await runCli(['energy', ...common]);
    expect(e.code, e.err).toBe(0);
    const j = JSON.parse(e.out);
    const r = JSON.parse((await runCli(['run', ...common, '--kl', 'off'])).out);
    expect(j.total).toBeCloseTo(r.energy.total, 6);
    expect(j.vsFp8).toBeCloseTo(r.energy.vsFp8, 12);
    for (const k of ENERGY_COMPONENTS) expect(j.components[k].energy).toBeCloseTo(r.energy.components[k], 6);
    expect(j.perLayer).toHaveLength(2);
    const decode = JSON.parse((await runCli(['energy', ...common, '--preset', 'decode'])).out);
    expect(decode.components.weightDram.energy).toBeGreaterThan(j.components.weightDram.energy * 10);
    const both = await runCli(['energy', modelPath, '--shape', 'stories15M', '--budget', '0.3', '--act-budget', '0.3']);
    expect(both.err).toMatch(/give MODEL or --shape, not both/);
  }, 120_000);
});

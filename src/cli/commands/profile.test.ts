// fgmp profile / fgmp run --profile: on stories260K (tok512, calibrated on tinystories_train_head.txt) the
// answers from the profile alone equal `fgmp run` on the model — every layers[].fp8Share, weightBits,
// weightBitsPerWeight and energy — at several budgets, weights only and with activations; ppl from the
// sweep. Plus clear errors on a tiny random model.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedData, sharedPath, SKIP_REASON } from '../../../tests/support/sharedData';
import { runCli } from '../../../tests/support/cli';
import { tinyConfig, writeTinyCheckpoint } from '../../../tests/support/models';

const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-profile-cli-'));

async function json(argv: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(argv);
  if (r.code !== 0) throw new Error(`fgmp ${argv.join(' ')} failed (${r.code}): ${r.err}`);
  return JSON.parse(r.out) as Record<string, unknown>;
}

type Layer = { layer: number; proj: string; fp8Share: number; actFp8Share: number | null };

describe.skipIf(!hasSharedData)('fgmp run --profile equals fgmp run on stories260K', () => {
  if (!hasSharedData) console.warn(SKIP_REASON);
  const model = sharedPath('models/stories260K.bin');
  const data = [
    '--tokenizer',
    sharedPath('models/tok512.bin'),
    '--calib',
    sharedPath('text/tinystories_train_head.txt'),
    '--calib-tokens',
    '2048',
    '--eval',
    sharedPath('text/tinystories_valid_head.txt'),
    '--eval-tokens',
    '1024',
  ];
  const out = path.join(dir, 'stories260K.profile.safetensors');

  it('at several budgets, weights only and weights+activations', { timeout: 900_000 }, async () => {
    const summary = await json([
      'profile',
      model,
      ...data,
      '--budgets',
      '0.1,0.3',
      '--sweep-policies',
      'fgmp,magnitude',
      '--out',
      out,
      '--json',
    ]);
    expect(summary).toMatchObject({
      tensors: 35,
      blocks: 14240,
      sweepPoints: 8,
      policies: ['fgmp', 'unweighted', 'error', 'magnitude'],
    });
    const cases: [string, number, number | null][] = [
      ['fgmp', 0.1, null],
      ['fgmp', 0.3, 0.3],
      ['fgmp', 0.2, null],
      ['magnitude', 0.1, 0.1],
      ['uniform', 0.05, null],
      ['error', 0.5, null],
    ];
    for (const [policy, budget, act] of cases) {
      const a = [
        '--budget',
        String(budget),
        '--policy',
        policy,
        ...(act === null ? [] : ['--act-budget', String(act)]),
        '--json',
      ];
      const live = await json(['run', model, ...data, ...a]);
      const prof = await json(['run', '--profile', out, ...a]);
      const what = `${policy} ${budget} ${act}`;
      const ll = live.layers as Layer[];
      const pl = prof.layers as Layer[];
      expect(
        pl.map((l) => [l.layer, l.proj, l.fp8Share]),
        what,
      ).toEqual(ll.map((l) => [l.layer, l.proj, l.fp8Share]));
      expect(prof.fp8Share, what).toBe(live.fp8Share);
      expect(prof.weightBits, what).toBe(live.weightBits);
      expect(prof.weightBitsPerWeight, what).toBe(live.weightBitsPerWeight);
      expect(prof.weightMemoryVsFp8, what).toBe(live.weightMemoryVsFp8);
      const inSweep =
        (policy === 'fgmp' || policy === 'magnitude') &&
        (budget === 0.1 || budget === 0.3) &&
        (act === null || act === budget);
      if (inSweep) {
        // From the sweep: the very numbers run printed, activations realised on the evaluation tokens included.
        expect(prof.ppl, what).toBe(live.ppl);
        expect(prof.meanNll, what).toBe(live.meanNll);
        expect(
          pl.map((l) => l.actFp8Share),
          what,
        ).toEqual(ll.map((l) => l.actFp8Share));
        expect(prof.tau, what).toEqual(live.tau);
        expect(prof.energy, what).toEqual(live.energy);
        expect(prof.profile).toMatchObject({ weights: 'block scores', ppl: 'sweep', maxTensorSlack: 0 });
      } else {
        expect(prof.ppl, what).toBeNull();
        // Weights only: energy is computed from the masks with float32 activations costed as FP8, as run does.
        expect(prof.energy, what).toEqual(live.energy);
      }
    }
    // Off the sweep with activations: τ by the live rule on the stored calibration scores equals run's τ.
    const a = ['--budget', '0.2', '--act-budget', '0.1', '--json'];
    const live = await json(['run', model, ...data, ...a]);
    const prof = await json(['run', '--profile', out, ...a]);
    expect(prof.tau).toBe(live.tau);
    expect(prof.profile).toMatchObject({ activations: 'calibration', ppl: null });
    // From histograms: within the stated bound (the boundary bin), Σ exact.
    const h = await json(['run', '--profile', out, '--budget', '0.2', '--from', 'histogram', '--json']);
    const exact = await json(['run', '--profile', out, '--budget', '0.2', '--json']);
    expect(h.fp8Share).toBe(exact.fp8Share);
    expect((h.profile as { weights: string }).weights).toBe('histogram');
  });
});

describe('fgmp profile and run --profile: errors', () => {
  const cfg = tinyConfig({ nLayers: 1 });
  const modelPath = writeTinyCheckpoint(cfg, 5, 0.2);
  const out = path.join(dir, 'tiny.profile.safetensors');

  it('writes a data-free profile and answers from it; clear errors', { timeout: 300_000 }, async () => {
    expect((await runCli(['profile', modelPath, '--calib-seed', '1'])).err).toMatch(
      /^fgmp profile: --out FILE is required/,
    );
    const s = await json([
      'profile',
      modelPath,
      '--calib-seed',
      '1',
      '--seqs',
      '2',
      '--seq-len',
      '16',
      '--out',
      out,
      '--json',
    ]);
    expect(s).toMatchObject({ tensors: 7, blocks: 64 + 32 + 32 + 64 + 80 + 80 + 96, sweepPoints: 0 });
    const r = await json(['run', '--profile', out, '--budget', '0.25', '--json']);
    expect(r.ppl).toBeNull();
    expect(r.fp8Share).toBe(112 / 448);
    expect((await runCli(['run', '--profile', out, '--budget', '0.3', '--clip', 'mse'])).err).toMatch(
      /computed with clip fisher; it cannot answer --clip mse/,
    );
    expect((await runCli(['run', '--profile', path.join(dir, 'nope')])).err).toMatch(/profile not found/);
    expect((await runCli(['run', modelPath, '--profile', out, '--budget', '0.1'])).err).toMatch(
      /--profile answers without a model: drop/,
    );
    writeFileSync(path.join(dir, 'bad.safetensors'), new Uint8Array(4));
    expect((await runCli(['run', '--profile', path.join(dir, 'bad.safetensors'), '--budget', '0.1'])).err).toMatch(
      /invalid profile: file is 4 bytes/,
    );
  });
});

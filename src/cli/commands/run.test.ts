// fgmp run / fgmp sweep: JSON shapes, data-free calibration on a tiny random llama2.c file, clear errors.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedData, sharedPath, SKIP_REASON } from '../../../tests/support/sharedData';
import { runCli } from '../../../tests/support/cli';
import { tinyConfig, writeTinyCheckpoint } from '../../../tests/support/models';

const cfg = tinyConfig();
const modelPath = writeTinyCheckpoint(cfg, 5, 0.2);
const dir = path.dirname(modelPath);
const small = ['--seqs', '3', '--seq-len', '16', '--eval-tokens', '40'];

const RUN_KEYS = ['policy', 'budget', 'actBudget', 'clip', 'ppl', 'fp8Share', 'layers', 'weightBits', 'energy'];

function checkRunObject(
  o: Record<string, unknown>,
  policy: string,
  budget: number,
  actBudget: number | null,
  clip: string,
  nLayers = cfg.nLayers,
) {
  for (const k of RUN_KEYS) expect(o, `key ${k}`).toHaveProperty(k);
  expect(o).toMatchObject({ policy, budget, actBudget, clip });
  expect(typeof o.ppl).toBe('number');
  expect(Number.isFinite(o.ppl)).toBe(true);
  expect(o.fp8Share).toBeCloseTo(budget, 1);
  const layers = o.layers as Record<string, unknown>[];
  expect(layers).toHaveLength(nLayers * 7);
  for (const l of layers) {
    expect(Object.keys(l).sort()).toEqual(['actFp8Share', 'fp8Share', 'layer', 'proj']);
    if (actBudget === null) expect(l.actFp8Share).toBeNull();
    else expect(typeof l.actFp8Share).toBe('number');
  }
  expect(layers.map((l) => `${l.layer}${l.proj}`).slice(0, 7)).toEqual([
    '0q',
    '0k',
    '0v',
    '0o',
    '0gate',
    '0up',
    '0down',
  ]);
  const energy = o.energy as Record<string, number>;
  expect(typeof energy.total).toBe('number');
  expect(typeof energy.vsFp8).toBe('number');
  expect(typeof o.weightBits).toBe('number');
}

describe('fgmp run', () => {
  it('--json prints one object with the documented fields (data-free calibration and evaluation)', async () => {
    const r = await runCli([
      'run',
      modelPath,
      '--budget',
      '0.3',
      '--act-budget',
      '0.2',
      '--clip',
      'mse',
      '--policy',
      'magnitude',
      '--calib-seed',
      '4',
      '--eval-seed',
      '5',
      ...small,
      '--json',
    ]);
    expect(r.err).toMatch(/calibration: 3 x 16 tokens from model samples \(seed 4\)/);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out);
    checkRunObject(o, 'magnitude', 0.3, 0.2, 'mse');
    expect(o.tokens).toBe(40);
  }, 120_000);

  it('prints per-layer shares, perplexity, memory and energy as text', async () => {
    const r = await runCli(['run', modelPath, '--budget', '0.5', ...small]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/layer\s+proj\s+weight FP8\s+act FP8/);
    expect(r.out).toMatch(/perplexity \d+\.\d{4} \(float32 \d+\.\d{4}\)/);
    expect(r.out).toMatch(/weight memory .* bits\/weight/);
    expect(r.out).toMatch(/energy .* of all-FP8/);
  }, 120_000);

  it('rejects bad values with clear messages', async () => {
    const cases: [string[], RegExp][] = [
      [['run', modelPath], /--budget is required/],
      [['run', modelPath, '--budget', '1.5'], /--budget must be a share in \[0, 1\]/],
      [['run', modelPath, '--budget', 'abc'], /--budget must be a number/],
      [['run', modelPath, '--budget', '0.1', '--policy', 'best'], /unknown policy "best"/],
      [['run', modelPath, '--budget', '0.1', '--clip', 'max'], /unknown clip mode "max"/],
      [['run', modelPath, '--budget', '0.1', '--act-budget', '1.2'], /--act-budget must be a share/],
      [['run', modelPath, '--budget', '0.1', '--act-budget', 'same'], /applies to fgmp sweep only/],
      [['run', modelPath, '--budget', '0.1', '--seqs', '0'], /--seqs must be an integer >= 1/],
      [['run', modelPath, '--budget', '0.1', '--seq-len', '64'], /exceeds the model's context 32/],
      [['run', modelPath, '--budget', '0.1', '--calib', 'x.txt', '--calib-seed', '3'], /not both/],
      [['run', path.join(dir, 'missing.bin'), '--budget', '0.1'], /model not found/],
    ];
    for (const [argv, msg] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(msg);
    }
    const same = await runCli(['run', modelPath, '--budget', '0.1', '--calib-seed', '3', '--eval-seed', '3', ...small]);
    expect(same.code).toBe(1);
    expect(same.err).toMatch(/seeds are both 3: they must differ/);
    const text = await runCli(['run', modelPath, '--budget', '0.1', '--calib', modelPath, ...small]);
    expect(text.err).toMatch(/needs a tokenizer/);
  }, 120_000);
});

describe('fgmp sweep', () => {
  it('--json prints an array of run objects, policies × budgets', async () => {
    const r = await runCli([
      'sweep',
      modelPath,
      '--budgets',
      '0,0.25,1',
      '--policies',
      'fgmp,random',
      '--act-budget',
      'same',
      ...small,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const arr = JSON.parse(r.out) as Record<string, unknown>[];
    expect(arr).toHaveLength(6);
    arr.forEach((o, i) =>
      checkRunObject(o, ['fgmp', 'random'][Math.floor(i / 3)], [0, 0.25, 1][i % 3], [0, 0.25, 1][i % 3], 'fisher'),
    );
    // Budgets 0 and 1 do not depend on the policy.
    expect(arr[3].ppl).toBe(arr[0].ppl);
    expect(arr[5].ppl).toBe(arr[2].ppl);
  }, 180_000);

  it('rejects a bad list', async () => {
    const r = await runCli(['sweep', modelPath, '--budgets', '0,,1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/comma-separated list without empty items/);
    const p = await runCli(['sweep', modelPath, '--policies', 'fgmp,nope']);
    expect(p.err).toMatch(/--policies: unknown policy "nope"/);
  });
});

describe.skipIf(!hasSharedData)(
  `fgmp run on stories260K text (${hasSharedData ? 'shared data present' : SKIP_REASON})`,
  () => {
    it('calibrates on the train head, evaluates on the validation head', async () => {
      const r = await runCli([
        'run',
        sharedPath('models/stories260K.bin'),
        '--tokenizer',
        sharedPath('models/tok512.bin'),
        '--calib',
        sharedPath('text/tinystories_train_head.txt'),
        '--eval',
        sharedPath('text/tinystories_valid_head.txt'),
        '--calib-tokens',
        '512',
        '--seq-len',
        '128',
        '--eval-tokens',
        '511',
        '--budget',
        '0.1',
        '--act-budget',
        '0.1',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const o = JSON.parse(r.out);
      checkRunObject(o, 'fgmp', 0.1, 0.1, 'fisher', 5);
      expect(o.tokens).toBe(511);
      expect(o.ppl).toBeGreaterThan(o.float32Ppl);
    }, 180_000);
  },
);

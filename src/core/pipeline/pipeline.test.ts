// App/CLI parity by construction: the explorer's Pipeline (what the worker calls) and setupSession (what
// `fgmp run` calls) give the same perplexity, bit for bit, on stories260K, with an evaluation text and
// with the held-out tail of the calibration text.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../model/loaders/index.ts';
import {
  hasSharedData,
  readShared,
  readSharedText,
  sharedPath,
  SKIP_REASON,
} from '../../../tests/support/sharedData.ts';
import { Pipeline } from './pipeline.ts';
import { setupSession } from './setup.ts';
import { heldApartSeed, type DataSource } from './vocabulary.ts';
import { runCli } from '../../../tests/support/cli.ts';

const files = () => [
  { name: 'stories260K.bin', bytes: readShared('models/stories260K.bin') },
  { name: 'tok512.bin', bytes: readShared('models/tok512.bin') },
];
const TRAIN = 'text/tinystories_train_head.txt';
const VALID = 'text/tinystories_valid_head.txt';
const EVAL_TOKENS = 511;
const CALIB_TOKENS = 512;

async function cliPpl(evaluation: DataSource): Promise<number> {
  const { model } = loadCheckpoint(files());
  const { session } = await setupSession(model, {
    calibration: { kind: 'text', text: readSharedText(TRAIN), name: 'train' },
    evaluation,
    // `fgmp run --calib-tokens 512`: ceil(512 / 256) sequences of min(256, context) tokens.
    sequences: Math.ceil(CALIB_TOKENS / Math.min(256, model.config.maxSeqLen)),
    seqLen: Math.min(256, model.config.maxSeqLen),
    evalTokens: EVAL_TOKENS,
    runtime: { threads: 1 },
  });
  try {
    const r = await session.evaluate({
      policy: 'fgmp',
      budget: 0.3,
      actBudget: 0.3,
      clip: 'fisher',
      fp8Scaling: 'tensor',
      actTau: 'global',
    });
    return r.ppl;
  } finally {
    await session.dispose();
  }
}

describe.skipIf(!hasSharedData)(`Pipeline equals setupSession${hasSharedData ? '' : ` (${SKIP_REASON})`}`, () => {
  it('with an evaluation text and with the held-out calibration tail', async () => {
    const app = new Pipeline({ runtime: { threads: 1 } });
    app.load(files());
    app.setText('calibration', 'train.txt', readShared(TRAIN));
    await app.calibrate(CALIB_TOKENS);
    const req = {
      policy: 'fgmp' as const,
      clipping: 'fisher' as const,
      fp8Scaling: 'tensor' as const,
      weightBudget: 0.3,
      activationBudget: 0.3,
      evaluationTokens: EVAL_TOKENS,
      variant: 'mixed' as const,
    };
    // No evaluation text: the calibration text after its calibration part.
    const heldOut = await app.evaluate(req);
    expect(heldOut.tokens).toBe(EVAL_TOKENS);
    expect(heldOut.ppl).toBe(await cliPpl({ kind: 'held-out' }));
    app.setText('evaluation', 'valid.txt', readShared(VALID));
    const valid = await app.evaluate(req);
    expect(valid.ppl).toBe(await cliPpl({ kind: 'text', text: readSharedText(VALID), name: 'valid' }));
    expect(valid.ppl).not.toBe(heldOut.ppl);
  }, 240_000);

  it('held-out evaluation needs a calibration text', async () => {
    const { model } = loadCheckpoint(files());
    await expect(
      setupSession(model, {
        calibration: { kind: 'samples', seed: 1 },
        evaluation: { kind: 'held-out' },
        sequences: 1,
        seqLen: 32,
        evalTokens: 16,
      }),
    ).rejects.toThrow(/held-out evaluation tokens need a calibration text/);
  });
});

describe.skipIf(!hasSharedData)(
  `data-free: Pipeline equals fgmp run --calib-seed${hasSharedData ? '' : ` (${SKIP_REASON})`}`,
  () => {
    // One calibration sequence, one evaluation window: sampling on the reference engine is the slow part.
    const SAMPLED_CALIB = 256;
    const SAMPLED_EVAL = 255;
    const req = {
      policy: 'fgmp' as const,
      clipping: 'fisher' as const,
      fp8Scaling: 'tensor' as const,
      weightBudget: 0.3,
      activationBudget: 0.3,
      evaluationTokens: SAMPLED_EVAL,
      variant: 'mixed' as const,
    };
    /** `fgmp run MODEL --calib-seed N --engine wasm` (the app's engine; evaluation: the CLI's default, seed 2). */
    async function cli(seed: number): Promise<{ ppl: number; tokens: number }> {
      const r = await runCli([
        'run',
        sharedPath('models/stories260K.bin'),
        '--calib-seed',
        String(seed),
        '--calib-tokens',
        String(SAMPLED_CALIB),
        '--eval-tokens',
        String(SAMPLED_EVAL),
        '--budget',
        '0.3',
        '--act-budget',
        '0.3',
        '--engine',
        'wasm',
        '--json',
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`from model samples (seed ${seed})`);
      return JSON.parse(r.out) as { ppl: number; tokens: number };
    }

    it('a checkpoint without its tokenizer: calibrated and evaluated on its own seeded samples, as the CLI', async () => {
      const app = new Pipeline({ runtime: { threads: 1 } });
      const summary = app.load([files()[0]]);
      expect(summary.tokenizer).toBeNull();
      // No evaluation seed: the CLI's default (2, held apart from 3). Evaluation samples are drawn during
      // calibration, more than asked: a shorter ask is their prefix.
      const cal = await app.calibrate(
        SAMPLED_CALIB,
        {},
        {
          calibrationSeed: 3,
          evaluationSeed: null,
          evaluationTokens: 2 * SAMPLED_EVAL,
        },
      );
      expect(cal.data).toEqual({ kind: 'samples', description: 'model samples (seed 3)', seed: 3 });
      expect(cal.tokens).toBe(SAMPLED_CALIB);
      const r = await app.evaluate(req);
      const ref = await cli(3);
      expect(r.tokens).toBe(ref.tokens);
      expect(r.ppl).toBe(ref.ppl);
      expect(heldApartSeed(3)).toBe(2);
      expect(heldApartSeed(2)).toBe(3);
    }, 1_800_000);

    it('refuses equal seeds and says what a text needs', async () => {
      const app = new Pipeline({ runtime: { threads: 1 } });
      app.load([files()[0]]);
      await expect(app.calibrate(SAMPLED_CALIB, {}, { calibrationSeed: 4, evaluationSeed: 4 })).rejects.toThrow(
        /seeds are both 4: they must differ/,
      );
      app.setText('calibration', 'train.txt', readShared(TRAIN));
      await expect(app.calibrate(SAMPLED_CALIB, {}, { calibrationSeed: null, evaluationSeed: null })).rejects.toThrow(
        /no tokenizer: open its tokenizer file .* or calibrate on samples of the model itself/,
      );
      expect(() => app.setSamples('calibration', -1)).toThrow(/integer from 0 to 4294967295/);
    }, 60_000);
  },
);

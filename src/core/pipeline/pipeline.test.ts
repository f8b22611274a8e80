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
import { memoryFile } from '../../../tests/support/spillFile.ts';

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

/** The app's default request: FGMP at 0.3 / 0.3, Fisher clipping, per-tensor FP8, as `cliPpl` runs it. */
const req = {
  policy: 'fgmp' as const,
  clipping: 'fisher' as const,
  fp8Scaling: 'tensor' as const,
  weightBudget: 0.3,
  activationBudget: 0.3,
  evaluationTokens: EVAL_TOKENS,
  variant: 'mixed' as const,
};

describe.skipIf(!hasSharedData)(`Pipeline equals setupSession${hasSharedData ? '' : ` (${SKIP_REASON})`}`, () => {
  it('with an evaluation text and with the held-out calibration tail', async () => {
    const app = new Pipeline({ runtime: { threads: 1 } });
    app.load(files());
    app.setText('calibration', 'train.txt', readShared(TRAIN));
    await app.calibrate(CALIB_TOKENS);
    // No evaluation text: the calibration text after its calibration part.
    const heldOut = await app.evaluate(req);
    expect(heldOut.tokens).toBe(EVAL_TOKENS);
    expect(heldOut.ppl).toBe(await cliPpl({ kind: 'held-out' }));
    app.setText('evaluation', 'valid.txt', readShared(VALID));
    const valid = await app.evaluate(req);
    expect(valid.ppl).toBe(await cliPpl({ kind: 'text', text: readSharedText(VALID), name: 'valid' }));
    expect(valid.ppl).not.toBe(heldOut.ppl);
  }, 240_000);

  it('a weight Fisher kept in a spill file (as the worker does for large models) gives the same numbers', async () => {
    const opened: ReturnType<typeof memoryFile>[] = [];
    const spillFile = async () => (opened.push(memoryFile()), opened.at(-1)!);
    const apps = [
      new Pipeline({ runtime: { threads: 1 } }),
      new Pipeline({ runtime: { threads: 1 }, spillFile, spillFisherBytes: 0 }),
    ];
    const figures = [];
    const stored: number[] = [];
    for (const app of apps) {
      app.load(files());
      app.setText('calibration', 'train.txt', readShared(TRAIN));
      stored.push((await app.calibrate(CALIB_TOKENS)).fisherStoredBytes);
      const detail = app.tensorDetail({ ...req, layer: 1, proj: 'down' });
      // Another clipping mode and FP8 scaling: prepared again, reading the Fisher tensor by tensor.
      const q = app.quantize({ ...req, clipping: 'mse', fp8Scaling: 'row' });
      figures.push({
        ppl: (await app.evaluate(req)).ppl,
        fisher: Array.from(new Uint32Array(detail.fisher!.buffer)),
        clipRatio: Array.from(detail.clipRatio),
        curve: Array.from(app.blockCurve(0, 'q', 3).fisherMse),
        scores: Array.from(q.ranking.scores),
      });
    }
    expect(opened).toHaveLength(1);
    // stories260K: 5 layers of dim 64, kv dim 32 (4 of 8 heads), hidden 172; one float32 per weight.
    expect(stored).toEqual([0, 4 * 5 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 172)]);
    expect(opened[0].bytes().byteLength).toBe(stored[1]);
    expect(figures[1]).toEqual(figures[0]);
    // A new calibration deletes the file of the one it replaces.
    await apps[1].calibrate(CALIB_TOKENS);
    expect(opened.map((f) => f.closed)).toEqual([true, false]);
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

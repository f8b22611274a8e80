// The worker's service in Node (the same code the worker runs): loading keeps the previous model on
// error, policies without Fisher rank before calibration, FGMP asks for calibration, and after calibration
// the numbers are those of src/core/pipeline's FgmpSession configured like `fgmp run`.
import { describe, expect, it } from 'vitest';
import { ActivationShareIndex } from '../src/core/actquant/shareIndex';
import { buildRanking, prepareWeights } from '../src/core/fgmp/index';
import { hasSharedData, readShared, SKIP_REASON } from '../tests/support/sharedData';
import { CancelledError, PipelineService } from './pipelineService';
import { rankingFromWire } from './protocol';

const files = () => [
  { name: 'stories260K.bin', bytes: readShared('models/stories260K.bin') },
  { name: 'tok512.bin', bytes: readShared('models/tok512.bin') },
];

describe.skipIf(!hasSharedData)(`pipeline service on stories260K${hasSharedData ? '' : ` (${SKIP_REASON})`}`, () => {
  it('a failed load leaves the previous model loaded', async () => {
    const svc = new PipelineService();
    const first = await svc.load(files());
    expect(first.config.dim).toBe(64);
    expect(first.tokenizerVocab).toBe(512);
    await expect(svc.load([{ name: 'cut.bin', bytes: files()[0].bytes.subarray(0, 10_000) }])).rejects.toThrow(
      /truncated/,
    );
    const q = await svc.quantize({
      policy: 'magnitude',
      clipping: 'none',
      fp8Scaling: 'tensor',
      evaluationTokens: 64,
    });
    expect(q.ranking.totalBlocks).toBe(14240);
  });

  it('before calibration: magnitude ranks like the core; FGMP and Fisher clipping say what they need', async () => {
    const svc = new PipelineService();
    const s = await svc.load(files());
    await expect(
      svc.quantize({ policy: 'fgmp', clipping: 'fisher', fp8Scaling: 'tensor', evaluationTokens: 64 }),
    ).rejects.toThrow(/calibrate first/);
    const q = await svc.quantize({
      policy: 'magnitude',
      clipping: 'fisher',
      fp8Scaling: 'tensor',
      evaluationTokens: 64,
    });
    expect(q.clippingUsed).toBe('mse');
    expect(q.notes[0]).toMatch(/needs calibration/);
    const { loadCheckpoint } = await import('../src/core/model/loaders/index');
    const model = loadCheckpoint(files()).model;
    const direct = buildRanking(prepareWeights(s.config, model.weights, { clip: 'mse' }), 'magnitude', { seed: 0 });
    expect(Array.from(rankingFromWire(q.ranking).order!)).toEqual(Array.from(direct.order!));
    await expect(
      svc.evaluate({
        policy: 'magnitude',
        clipping: 'mse',
        fp8Scaling: 'tensor',
        weightBudget: 0.3,
        activationBudget: 0.3,
        evaluationTokens: 64,
        variant: 'mixed',
      }),
    ).rejects.toThrow(/not calibrated/);
  });

  it('calibrates with the pipeline, then answers rankings, activation shares and perplexity; cancel stops a run', async () => {
    const svc = new PipelineService();
    await svc.load(files());
    await svc.setText('calibration', 'train.txt', readShared('text/tinystories_train_head.txt'));
    await svc.setText('evaluation', 'valid.txt', readShared('text/tinystories_valid_head.txt'));
    const progress: number[] = [];
    const cal = await svc.calibrate(512, (p) => progress.push(p.done));
    expect(cal.tokens).toBe(512);
    expect(cal.sequences).toBe(2);
    expect(progress.at(-1)).toBe(512);
    const req = {
      policy: 'fgmp' as const,
      clipping: 'fisher' as const,
      fp8Scaling: 'tensor' as const,
      evaluationTokens: 511,
    };
    const q = await svc.quantize(req);
    expect(q.clippingUsed).toBe('fisher');
    // The page answers activation budgets from the sorted calibration scores the worker sends once.
    const { keys, parts } = (await svc.activationIndex(511))!;
    expect(keys).toHaveLength(35);
    const index = ActivationShareIndex.fromParts(parts);
    expect(index.answer(1).shares.every((x) => x === 1)).toBe(true);
    const share = index.answer(0.3).shares;
    const fp8Blocks = parts.blocks.reduce((a, n, i) => a + share[i] * n, 0);
    expect(Math.abs(fp8Blocks / index.total - 0.3)).toBeLessThan(0.01);
    const mixed = await svc.evaluate({ ...req, weightBudget: 0.3, activationBudget: 0.3, variant: 'mixed' });
    const fp8 = await svc.evaluate({ ...req, weightBudget: 0.3, activationBudget: 0.3, variant: 'fp8' });
    const nvfp4 = await svc.evaluate({ ...req, weightBudget: 0.3, activationBudget: 0.3, variant: 'nvfp4' });
    expect(mixed.tokens).toBe(511);
    expect(fp8.ppl).toBeLessThan(mixed.ppl);
    expect(mixed.ppl).toBeLessThan(nvfp4.ppl);
    expect(mixed.fp8Share).toBeCloseTo(Math.round(0.3 * 14240) / 14240, 15);
    // All blocks FP8 through the mixed design: the uniform FP8 design plus only the mixed-precision overheads.
    expect(fp8.energyVsFp8!).toBeGreaterThan(1);
    expect(fp8.energyVsFp8!).toBeLessThan(1.01);
    // Cancel: the next long step throws CancelledError and the service keeps working afterwards.
    // (cancel() stops what runs; here it is called from the first progress report of the run).
    // 8 windows of 511 run as two batches: the cancel lands between them.
    const run = svc.evaluate(
      { ...req, evaluationTokens: 8 * 511, weightBudget: 0.7, activationBudget: 0.3, variant: 'mixed' },
      () => svc.cancel(),
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const again = await svc.evaluate({ ...req, weightBudget: 0.3, activationBudget: 0.3, variant: 'mixed' });
    expect(again.ppl).toBe(mixed.ppl);
  });
});

// Perplexity and generation through the ONNX engine: the PROVENANCE.md figure, run.c's greedy ids and a
// sampled sequence, determinism, progress and cancellation, and agreement with the reference on a random model.
import { describe, expect, it } from 'vitest';
import { parseLlama2c } from '../model/loaders/llama2c';
import { randomModel, type LlamaConfig } from '../model/types';
import { referenceForward } from '../model/reference';
import { LlamaEngine } from '../runtime/engine';
import { perplexity, sequencesPerplexity, type EvalProgress } from './perplexity';
import { generate, RunCRng } from './generate';
import { randomIds } from '../graph/testUtil';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData';

const ids = (text: string) => text.trim().split(/\s+/).map(Number);

describe('perplexity on a random model vs the reference', () => {
  const config: LlamaConfig = {
    dim: 16,
    hiddenDim: 24,
    nLayers: 2,
    nHeads: 2,
    nKvHeads: 1,
    vocabSize: 40,
    maxSeqLen: 8,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: true,
  };
  const model = randomModel(config, 5, 0.3);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  const stream = randomIds(30, config.vocabSize, 9);

  it('overlapping windows after BOS: same mean NLL as scoring each window with the reference', async () => {
    const r = await perplexity(engine, stream, { window: 6, stride: 4, batchSize: 3 });
    expect(r.tokens).toBe(30);
    // Reference: window starting at a predicts stream[a..a+5] from [BOS, stream[a..a+4]]; scores only unseen targets.
    let sum = 0;
    let seen = 0;
    for (let a = 0; seen < 30; a += 4) {
      const len = Math.min(6, 30 - a);
      const tokens = [1, ...stream.slice(a, a + len - 1)];
      const targets = stream.slice(a, a + len).map((t, i) => (a + i >= seen ? t : -1));
      const ref = referenceForward(model, tokens, { targets });
      sum += ref.meanNll * ref.scoredCount;
      seen = a + len;
    }
    expect(Math.abs(r.meanNll - sum / 30)).toBeLessThan(1e-5);
    expect(r.ppl).toBeCloseTo(Math.exp(r.meanNll), 12);
  });

  it('is deterministic, reports progress and honours cancellation', async () => {
    const events: EvalProgress[] = [];
    const a = await perplexity(engine, stream, { window: 5, batchSize: 2, onProgress: (p) => events.push(p) });
    const b = await perplexity(engine, stream, { window: 5, batchSize: 2 });
    expect(a.sumNll).toBe(b.sumNll);
    expect(events.map((e) => e.tokensDone)).toEqual([10, 20, 30]);
    expect(events.at(-1)!.secondsLeft).toBe(0);
    expect(events.every((e) => e.tokensTotal === 30 && e.tokensPerSecond > 0)).toBe(true);
    const ctl = new AbortController();
    let calls = 0;
    const run = perplexity(engine, stream, {
      window: 5,
      batchSize: 1,
      signal: ctl.signal,
      onProgress: () => (calls++, ctl.abort()),
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(calls).toBe(1);
  });

  it('independent sequences: every next-token prediction of each line', async () => {
    const seqs = [stream.slice(0, 5), stream.slice(5, 8), [3]];
    const r = await sequencesPerplexity(engine, seqs);
    expect(r.tokens).toBe(4 + 2);
    const ref = [referenceForward(model, seqs[0]), referenceForward(model, seqs[1])];
    expect(Math.abs(r.meanNll - (ref[0].meanNll * 4 + ref[1].meanNll * 2) / 6)).toBeLessThan(1e-5);
    await expect(perplexity(engine, [])).rejects.toThrow(/empty/);
  });
});

describe('RunCRng', () => {
  it('reproduces xorshift64* (run.c random_u32) computed by hand for seed 1', () => {
    // state 1: s ^= s>>12 -> 1; s ^= s<<25 -> 0x2000001; s ^= s>>27 -> 0x2000001;
    // (0x2000001 * 0x2545F4914F6CDD1D) mod 2^64 >> 32 computed with BigInt independently here.
    const s = 0x2000001n;
    const expected = Number(((s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 32n);
    expect(new RunCRng(1).nextU32()).toBe(expected);
  });
});

describe.skipIf(!hasSharedData)(`stories260K evaluation (${SKIP_REASON} when absent)`, () => {
  const model = hasSharedData
    ? parseLlama2c(readShared('models/stories260K.bin'), 'stories260K.bin')
    : randomModel({
        dim: 8,
        hiddenDim: 8,
        nLayers: 1,
        nHeads: 1,
        nKvHeads: 1,
        vocabSize: 8,
        maxSeqLen: 8,
        ropeTheta: 1e4,
        normEps: 1e-5,
        sharedClassifier: true,
      });
  const engine = LlamaEngine.forModel(model, { threads: 1 });

  it('PROVENANCE.md method (BOS + windows of 511, stride 511) on the 4096 golden tokens: mean NLL 1.393654', async () => {
    const stream = ids(readSharedText('golden/tinystories_valid_head-first4096-tok512.txt'));
    const r = await perplexity(engine, stream);
    expect(r.tokens).toBe(4096);
    expect(r.windows).toBe(9);
    expect(Math.abs(r.meanNll - 1.393654)).toBeLessThan(1e-4);
    expect(Math.abs(r.ppl - 4.029548)).toBeLessThan(1e-3);
  });

  it('greedy generation from BOS reproduces run.c ids (golden/stories260K-greedy-tokens.txt)', async () => {
    const golden = ids(readSharedText('golden/stories260K-greedy-tokens.txt'));
    expect(await generate(engine, [1], golden.length - 1, { stopToken: null })).toEqual(golden);
  });

  it('temperature 1, seed 1234567, inverse-CDF sampling reproduces run.c sample 0 (golden samples file)', async () => {
    const sample0 = ids(readSharedText('golden/stories260K-samples-4x256.txt').split('\n')[0]);
    const got = await generate(engine, [1], 255, { temperature: 1, topp: 1, seed: 1234567, stopToken: null });
    expect(got).toEqual(sample0);
  });
});

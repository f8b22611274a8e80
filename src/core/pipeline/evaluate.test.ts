// The FGMP session on stories260K with tok512: calibration on TinyStories train text, evaluation on the
// validation text (PROVENANCE.md's perplexity method), weights and activations quantized in the graph.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../model/loaders/index.ts';
import type { LlamaModel } from '../model/types.ts';
import { LlamaEngine } from '../runtime/engine.ts';
import { linearInputName } from '../graph/names.ts';
import { quantizeActivations } from '../actquant/rule.ts';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData.ts';
import {
  calibrate,
  encodeTextPrefix,
  tensorKey,
  textSequences,
  type CalibrationResult,
  type TokenSequences,
} from './calibrate.ts';
import { FgmpSession, validateEvalConfig } from './evaluate.ts';

describe.skipIf(!hasSharedData)(
  `FgmpSession on stories260K (${hasSharedData ? 'shared data present' : SKIP_REASON})`,
  () => {
    let model: LlamaModel;
    let calib: CalibrationResult;
    let calibSeqs: TokenSequences;
    let session: FgmpSession;
    let calibSession: FgmpSession;
    beforeAll(async () => {
      model = loadCheckpoint([
        { name: 'stories260K.bin', bytes: readShared('models/stories260K.bin') },
        { name: 'tok512.bin', bytes: readShared('models/tok512.bin') },
      ]).model;
      calibSeqs = textSequences(
        model.tokenizer!,
        readSharedText('text/tinystories_train_head.txt'),
        16,
        128,
        'train head',
      );
      const engine = LlamaEngine.forModel(model, { threads: 1 });
      calib = await calibrate(engine, calibSeqs);
      await engine.dispose();
      const evalStream = encodeTextPrefix(
        model.tokenizer!,
        readSharedText('text/tinystories_valid_head.txt'),
        2044,
      ).slice(0, 2044);
      session = new FgmpSession(model, calib, calibSeqs, evalStream);
      // The calibration stream itself as "evaluation" windows: the same sequences as calibration.
      const calibStream = encodeTextPrefix(
        model.tokenizer!,
        readSharedText('text/tinystories_train_head.txt'),
        16 * 128,
      ).slice(0, 16 * 128);
      calibSession = new FgmpSession(model, calib, calibSeqs, calibStream, { evalWindow: 128 });
    }, 300_000);
    afterAll(async () => {
      await session?.dispose();
      await calibSession?.dispose();
    });

    it('all-FP8 weights with float32 activations stay within 0.2 % of the float32 perplexity', async () => {
      const f32 = await session.evaluateFloat32();
      expect(f32.tokens).toBe(2044);
      const r = await session.evaluate({ policy: 'fgmp', budget: 1, actBudget: null, clip: 'none' });
      expect(r.fp8Share).toBe(1);
      expect(Math.abs(r.ppl / f32.ppl - 1)).toBeLessThan(0.002);
      expect(r.ppl).not.toBe(f32.ppl); // the weights really were swapped
    }, 120_000);

    it('NLL ordering all-NVFP4 ≥ FGMP 30 % ≥ all-FP8, weights and activations quantized, and FGMP beats random at 30 %', async () => {
      const base = { actBudget: 0.3, clip: 'fisher' as const };
      const nv = await session.evaluate({ ...base, policy: 'fgmp', budget: 0, actBudget: 0 });
      const fg = await session.evaluate({ ...base, policy: 'fgmp', budget: 0.3 });
      const rnd = await session.evaluate({ ...base, policy: 'random', budget: 0.3 });
      const f8 = await session.evaluate({ ...base, policy: 'fgmp', budget: 1, actBudget: 1 });
      expect(nv.meanNll).toBeGreaterThan(fg.meanNll);
      expect(fg.meanNll).toBeGreaterThan(f8.meanNll);
      expect(rnd.meanNll).toBeGreaterThan(fg.meanNll);
      expect(fg.fp8Share).toBeCloseTo(0.3, 3);
      // Memory and energy between the two uniform ends.
      expect(fg.weightBits).toBeGreaterThan(nv.weightBits);
      expect(fg.weightBits).toBeLessThan(f8.weightBits);
      expect(fg.energy.vsFp8).toBeLessThan(1);
      expect(nv.actFp8Share).toBe(0);
      expect(f8.actFp8Share).toBe(1);
      // Per-layer rows weighted by block counts give the global weight share.
      const prepared = session.preparedWeights('fisher');
      let fp8 = 0;
      let blocks = 0;
      for (const row of fg.layers) {
        const t = prepared.find((p) => p.layer === row.layer && p.proj === row.proj)!;
        fp8 += row.fp8Share * t.quant.grid.blockCount;
        blocks += t.quant.grid.blockCount;
      }
      expect(fp8 / blocks).toBeCloseTo(fg.fp8Share, 9);
    }, 300_000);

    it('results are cached by configuration; budgets 0 and 1 are shared by all policies', async () => {
      const a = await session.evaluate({ policy: 'magnitude', budget: 1, actBudget: null, clip: 'none' });
      const b = await session.evaluate({ policy: 'fgmp', budget: 1, actBudget: null, clip: 'none' });
      expect(a.policy).toBe('magnitude');
      expect(a.ppl).toBe(b.ppl);
      expect(a.seconds).toBe(b.seconds);
      expect(() => validateEvalConfig({ policy: 'fgmp', budget: 1.5, actBudget: null, clip: 'none' })).toThrow(
        /budget must be a number in \[0, 1\]/,
      );
      expect(() => validateEvalConfig({ policy: 'best' as never, budget: 0.5, actBudget: null, clip: 'none' })).toThrow(
        /unknown policy "best"/,
      );
      await expect(session.evaluate({ policy: 'fgmp', budget: 0.1, actBudget: 2, clip: 'none' })).rejects.toThrow(
        /activation budget/,
      );
    }, 120_000);

    it('graph block scores equal the TypeScript rule on the calibration activations, bit for bit', async () => {
      const scores = await session.calibrationScores();
      const engine = LlamaEngine.forModel(model, { threads: 1 });
      const T = calibSeqs.seqLen;
      const out = await engine.forward(
        {
          batch: 2,
          seq: T,
          tokens: calibSeqs.tokens.subarray(0, 2 * T),
          targets: calibSeqs.targets.subarray(0, 2 * T),
        },
        { linearInputs: true },
      );
      await engine.dispose();
      for (const [layer, proj] of [
        [0, 'q'],
        [2, 'gate'],
        [4, 'down'],
      ] as const) {
        const x = out.linearInputs!.get(linearInputName(layer, proj))!;
        const inF = x.length / (2 * T);
        const ts = quantizeActivations({
          x,
          tokens: 2 * T,
          inFeatures: inF,
          fisher: calib.activationFisher.get(tensorKey(layer, proj))!,
          tau: 0,
        });
        const graph = scores.get(tensorKey(layer, proj))!.subarray(0, ts.scores.length);
        expect(new Uint32Array(graph.slice().buffer)).toEqual(new Uint32Array(ts.scores.buffer));
      }
    }, 120_000);

    it('τ gives the requested activation FP8 share exactly on calibration blocks, and the graph realises it where inputs are unquantized', async () => {
      const taus = await calibSession.activationThresholds(0.2);
      const scores = await calibSession.calibrationScores();
      let total = 0;
      let above = 0;
      for (const s of scores.values()) {
        total += s.length;
        for (const v of s) if (v > taus[0].tau) above++;
      }
      expect(taus[0].total).toBe(total);
      expect(above).toBe(taus[0].fp8);
      expect(taus[0].fp8).toBe(taus[0].requested);
      // Layer 0's q, k, v inputs do not depend on any quantization, so the graph's realised FP8 counts there
      // equal the calibration counts.
      const r = await calibSession.evaluate({ policy: 'fgmp', budget: 0.3, actBudget: 0.2, clip: 'none' });
      for (const proj of ['q', 'k', 'v'] as const) {
        const s = scores.get(tensorKey(0, proj))!;
        const expected = s.filter((v) => v > taus[0].tau).length / s.length;
        expect(r.layers.find((l) => l.layer === 0 && l.proj === proj)!.actFp8Share).toBe(expected);
      }
      // Per-layer τ: each layer gets the share on its own blocks.
      const perLayer = await calibSession.activationThresholds(0.2, 'layer');
      for (let l = 0; l < 5; l++) {
        const t = perLayer[calibSession.sites.findIndex((s) => s.layer === l)];
        expect(Math.abs(t.achievedShare - 0.2)).toBeLessThan(0.01);
      }
    }, 300_000);
  },
);

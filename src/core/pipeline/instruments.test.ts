// The expert instruments of FgmpSession on stories260K: KL statistics against the float32 model, pins,
// and the layerwise (per-tensor knapsack) baseline at FGMP's bits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../model/loaders/index.ts';
import { LlamaEngine } from '../runtime/engine.ts';
import { KlAccumulator } from '../eval/kl.ts';
import { slidingWindows } from '../eval/windows.ts';
import { parsePins } from '../fgmp/pins.ts';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData.ts';
import { calibrate, encodeTextPrefix, textSequences } from './calibrate.ts';
import { FgmpSession } from './evaluate.ts';

describe.skipIf(!hasSharedData)(
  `FgmpSession instruments on stories260K (${hasSharedData ? 'shared data present' : SKIP_REASON})`,
  () => {
    let session: FgmpSession;
    let evalStream: number[];
    beforeAll(async () => {
      const model = loadCheckpoint([
        { name: 'stories260K.bin', bytes: readShared('models/stories260K.bin') },
        { name: 'tok512.bin', bytes: readShared('models/tok512.bin') },
      ]).model;
      const seqs = textSequences(
        model.tokenizer!,
        readSharedText('text/tinystories_train_head.txt'),
        8,
        128,
        'train head',
      );
      const engine = LlamaEngine.forModel(model, { threads: 1 });
      const calib = await calibrate(engine, seqs);
      await engine.dispose();
      evalStream = encodeTextPrefix(model.tokenizer!, readSharedText('text/tinystories_valid_head.txt'), 1022).slice(
        0,
        1022,
      );
      session = new FgmpSession(model, calib, seqs, evalStream);
    }, 300_000);
    afterAll(async () => {
      await session?.dispose();
    });

    it('KL statistics equal a direct comparison of the two models’ logits, and order all-FP8 < FGMP < all-NVFP4', async () => {
      const base = { policy: 'fgmp' as const, actBudget: null, clip: 'fisher' as const, kl: true };
      const lo = await session.evaluate({ ...base, budget: 0 });
      const mid = await session.evaluate({ ...base, budget: 0.3 });
      const hi = await session.evaluate({ ...base, budget: 1 });
      for (const r of [lo, mid, hi]) {
        expect(r.kl!.positions).toBe(r.tokens);
        expect(r.kl!.kl).toBeGreaterThan(0);
      }
      expect(hi.kl!.kl).toBeLessThan(mid.kl!.kl);
      expect(mid.kl!.kl).toBeLessThan(lo.kl!.kl);
      expect(hi.kl!.top1).toBeGreaterThan(lo.kl!.top1);
      expect(hi.kl!.klP99).toBeGreaterThanOrEqual(hi.kl!.klMedian);
      // Independent check of the all-FP8 figure: the same windows run here, logits compared by hand.
      const { weights } = session.mixedWeights({ ...base, budget: 1 });
      const engine = LlamaEngine.forModel(session.model, { threads: 1 });
      const acc = new KlAccumulator(session.model.config.vocabSize);
      for (const w of slidingWindows(evalStream, { window: session.model.config.maxSeqLen - 1, bos: 1 })) {
        const run = { batch: 1, seq: w.tokens.length, tokens: w.tokens, targets: w.targets };
        const q = await engine.forward(run, { weights, logits: true });
        const p = await engine.forward(run, { logits: true });
        acc.add(p.logits!, q.logits!, w.targets, w.mask);
      }
      await engine.dispose();
      const direct = acc.result();
      expect(hi.kl!.kl).toBeCloseTo(direct.kl, 9);
      expect(hi.kl!.top1).toBe(direct.top1);
      expect(hi.kl!.dpRms).toBeCloseTo(direct.dpRms, 9);
      // Without kl the field is null and the perplexity is the same.
      const plain = await session.evaluate({ ...base, budget: 0.3, kl: false });
      expect(plain.kl).toBeNull();
      expect(plain.ppl).toBe(mid.ppl);
    }, 300_000);

    it('pins hold exactly and count toward the budget', async () => {
      const pins = parsePins('*.down=fp8,0.*=nvfp4');
      const r = await session.evaluate({ policy: 'fgmp', budget: 0.3, actBudget: null, clip: 'fisher', pins });
      expect(r.pins).toBe('*.down=fp8,0.*=nvfp4');
      for (const l of r.layers) {
        if (l.layer === 0) expect(l.fp8Share).toBe(0);
        else if (l.proj === 'down') expect(l.fp8Share).toBe(1);
      }
      const plain = await session.evaluate({ policy: 'fgmp', budget: 0.3, actBudget: null, clip: 'fisher' });
      expect(r.fp8Share).toBe(plain.fp8Share);
      await expect(
        session.evaluate({ policy: 'fgmp', budget: 0.01, actBudget: null, clip: 'fisher', pins }),
      ).rejects.toThrow(/pins already hold/);
    }, 300_000);

    it('layerwise keeps whole tensors under the FGMP configuration’s bits', async () => {
      for (const budget of [0.1, 0.3]) {
        const fgmp = await session.evaluate({ policy: 'fgmp', budget, actBudget: null, clip: 'fisher' });
        const lw = await session.evaluate({ policy: 'layerwise', budget, actBudget: null, clip: 'fisher' });
        expect(lw.policy).toBe('layerwise');
        expect(lw.weightBits).toBeLessThanOrEqual(fgmp.weightBits);
        for (const l of lw.layers) expect([0, 1]).toContain(l.fp8Share);
        expect(lw.layers.some((l) => l.fp8Share === 1)).toBe(true);
      }
    }, 300_000);
  },
);

// Token id sequences (--calib-ids / --eval-ids): each line calibrated or scored as its own sequence. Ragged
// calibration batches are padded with lossMask 0; the result must equal calibrating each sequence alone, and
// scoring must equal the plain-TypeScript reference forward of each sequence.
import { describe, expect, it } from 'vitest';
import { randomModel } from '../model/types.ts';
import { referenceForward } from '../model/reference/forward.ts';
import { LlamaEngine } from '../runtime/engine.ts';
import { mulberry32 } from '../random.ts';
import { calibrate, idSequences, tensorKey } from './calibrate.ts';
import { setupSession } from './setup.ts';
import { tinyConfig } from '../../../tests/support/models';

const cfg = tinyConfig({ hiddenDim: 48, vocabSize: 50, maxSeqLen: 24 });
const model = randomModel(cfg, 3, 0.3);
const next = mulberry32(9);
const seqs = [7, 12, 3, 24, 9].map((n) => Array.from({ length: n + 1 }, () => next() % cfg.vocabSize));

describe('token id sequences', () => {
  it('ragged calibration equals each sequence calibrated alone (weight Fisher summed, activation Fisher averaged over tokens)', async () => {
    const engine = LlamaEngine.forModel(model, { threads: 1 });
    const ragged = await calibrate(engine, idSequences(seqs, cfg.vocabSize, cfg.maxSeqLen, 'ids'));
    const alone = [];
    for (const s of seqs) alone.push(await calibrate(engine, idSequences([s], cfg.vocabSize, cfg.maxSeqLen, 'one')));
    await engine.dispose();
    const tokens = seqs.reduce((n, s) => n + s.length - 1, 0);
    expect(ragged.tokens).toBe(tokens);
    const nll = alone.reduce((acc, r) => acc + r.meanNll * r.tokens, 0) / tokens;
    expect(ragged.meanNll).toBeCloseTo(nll, 5);
    for (const key of [tensorKey(0, 'q'), tensorKey(1, 'down'), tensorKey(1, 'v')]) {
      const w = ragged.weightFisher.get(key)!;
      const a = ragged.activationFisher.get(key)!;
      const wSum = new Float64Array(w.length);
      const aSum = new Float64Array(a.length);
      for (const r of alone) {
        r.weightFisher.get(key)!.forEach((x, i) => (wSum[i] += x));
        r.activationFisher.get(key)!.forEach((x, i) => (aSum[i] += x * r.tokens));
      }
      const scale = Math.max(...wSum);
      w.forEach((x, i) => expect(Math.abs(x - wSum[i])).toBeLessThan(1e-4 * scale));
      const aScale = Math.max(...aSum) / tokens;
      a.forEach((x, i) => expect(Math.abs(x - aSum[i] / tokens)).toBeLessThan(1e-4 * aScale));
    }
  }, 120_000);

  it('evaluation scores every sequence alone: float32 NLL equals the reference forward of each', async () => {
    const { session } = await setupSession(model, {
      calibration: { kind: 'ids', sequences: seqs, name: 'calib ids' },
      evaluation: { kind: 'ids', sequences: seqs.slice(0, 3), name: 'eval ids' },
      runtime: { threads: 1 },
    });
    try {
      const f = await session.evaluateFloat32();
      let sum = 0;
      let n = 0;
      for (const s of seqs.slice(0, 3)) {
        const r = referenceForward(model, s, { precision: 'float64' });
        sum += r.meanNll * r.scoredCount;
        n += r.scoredCount;
      }
      expect(f.tokens).toBe(n);
      expect(f.meanNll).toBeCloseTo(sum / n, 5);
    } finally {
      await session.dispose();
    }
  }, 120_000);

  it('rejects sequences that are too short, too long or outside the vocabulary', () => {
    expect(() => idSequences([[1]], 50, 24, 'f')).toThrow(/sequence 1 has 1 id\(s\); a sequence needs at least 2/);
    expect(() => idSequences([Array(26).fill(1)], 50, 24, 'f')).toThrow(/more than the model's context 24 \+ 1/);
    expect(() => idSequences([[1, 50]], 50, 24, 'f')).toThrow(/id 50, outside the vocabulary \(0..49\)/);
    expect(() => idSequences([], 50, 24, 'f')).toThrow(/holds no sequences/);
  });
});

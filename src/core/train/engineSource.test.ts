// The ONNX gradient source agrees with the reference oracle on a tiny grouped-query model: the
// trainer gets the same loss and the same (batch-mean) gradients from either.
import { describe, expect, it } from 'vitest';
import { randomModel, type LlamaConfig } from '../model/types';
import { EngineGradientSource, ReferenceGradientSource } from './gradientSource';
import { parametersOf } from './params';

const tiny: LlamaConfig = {
  dim: 16,
  hiddenDim: 20,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 30,
  maxSeqLen: 12,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

describe('EngineGradientSource', () => {
  for (const shared of [true, false]) {
    it(`matches the reference loss and gradients (${shared ? 'shared' : 'separate'} classifier, batch of 3)`, async () => {
      const model = randomModel({ ...tiny, sharedClassifier: shared }, 11, 0.2);
      const seqs = [0, 1, 2].map((b) =>
        Int32Array.from({ length: 10 }, (_, i) => (i === 0 ? 1 : (7 * i + 5 * b + 3) % 30)),
      );
      const engine = new EngineGradientSource();
      try {
        const a = await engine.lossAndGradients(model, seqs);
        const r = await new ReferenceGradientSource('float64').lossAndGradients(model, seqs);
        expect(a.loss).toBeCloseTo(r.loss, 5);
        expect(await engine.loss(model, seqs)).toBeCloseTo(r.loss, 5);
        for (const p of parametersOf(model)) {
          const ga = a.gradients.get(p.name)!;
          const gr = r.gradients.get(p.name)!;
          let maxAbs = 0;
          let maxDiff = 0;
          for (let i = 0; i < gr.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(gr[i]));
            maxDiff = Math.max(maxDiff, Math.abs(ga[i] - gr[i]));
          }
          expect(maxAbs, p.name).toBeGreaterThan(0);
          expect(maxDiff / maxAbs, p.name).toBeLessThan(1e-4);
        }
      } finally {
        await engine.dispose();
      }
    });
  }
});

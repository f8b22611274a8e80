// The page answers activation budgets from Pipeline.activationIndex (the calibration scores, sorted per site):
// at every budget its shares equal the worker's own activationShares (τ by the live rule, a plain count).
import { describe, expect, it } from 'vitest';
import { ActivationShareIndex } from '../actquant/shareIndex.ts';
import { readFileSync } from 'node:fs';
import { writeTinyCheckpoint } from '../../../tests/support/models.ts';
import { Pipeline } from './pipeline.ts';

describe('Pipeline.activationIndex', () => {
  it('answers every activation budget as activationShares does (a tiny random model, data-free calibration)', async () => {
    const app = new Pipeline({ runtime: { threads: 1 } });
    app.load([{ name: 'tiny.bin', bytes: readFileSync(writeTinyCheckpoint()) }]);
    expect(await app.activationIndex(64)).toBeNull();
    await app.calibrate(256, {}, { calibrationSeed: 1, evaluationSeed: null });
    const got = (await app.activationIndex(64))!;
    // Through the wire form the worker sends (structured clone).
    const index = ActivationShareIndex.fromParts(structuredClone(got.parts));
    expect(got.keys).toHaveLength(2 * 7);
    for (const b of [0, 0.05, 0.3, 0.5, 0.77, 1]) {
      const live = (await app.activationShares(b, 64))!;
      const shares = index.answer(b).shares;
      expect(Object.fromEntries(got.keys.map((k, i) => [k, shares[i]]))).toEqual(live);
    }
  }, 240_000);
});

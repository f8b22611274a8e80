// The synchronous activation answerer (every slider move) equals activationAnswer (the live τ rule on the stored
// scores, or the histograms) at every budget, on a synthetic profile with ties.
import { describe, expect, it } from 'vitest';
import type { LlamaConfig } from '../model/types.ts';
import { activationAnswer, activationAnswerer } from './answer.ts';
import { bufferSource } from './container.ts';
import { Profile } from './reader.ts';
import { memorySink } from './writer.ts';
import { syntheticMeta, writeSyntheticProfile } from './testUtil.ts';

const config: LlamaConfig = {
  dim: 32,
  hiddenDim: 40,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 64,
  maxSeqLen: 32,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

async function synthetic(activations: 'full' | 'histogram'): Promise<Profile> {
  const sink = memorySink();
  await writeSyntheticProfile(syntheticMeta(config, 40, { activations }), sink, { tieShare: 0.3 });
  return Profile.open(bufferSource(sink.bytes()));
}

const budgets = Array.from({ length: 51 }, (_, i) => i / 50);

describe('activationAnswerer', () => {
  it('from block scores: the shares of activationAnswer at every budget', async () => {
    const profile = await synthetic('full');
    const a = await activationAnswerer(profile);
    expect(a.source).toBe('block scores');
    for (const b of budgets) expect([...a.shares(b)]).toEqual((await activationAnswer(profile, b)).shares);
    expect(() => a.shares(-0.1)).toThrow(/\[0, 1\]/);
  });

  it('from histograms: the shares of activationAnswer at every budget', async () => {
    const profile = await synthetic('histogram');
    const a = await activationAnswerer(profile);
    expect(a.source).toBe('histogram');
    for (const b of budgets) expect([...a.shares(b)]).toEqual((await activationAnswer(profile, b)).shares);
    expect(() => a.shares(2)).toThrow(/\[0, 1\]/);
  });
});

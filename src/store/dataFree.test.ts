// Data-free calibration in the store: which settings (and so which link) a checkpoint without a tokenizer
// gets, what becomes of texts opened meanwhile, and when the texts come back.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelSummary, TextSummary } from '../core/pipeline/results';
import { encodeShareQuery } from '../core/url/shareState';
import {
  calibratedOn,
  calibrationReady,
  dataSeeds,
  evaluationSeed,
  modelOpened,
  seedsChanged,
  textOpened,
  textWaits,
} from './dataFree';
import { initialExplorerState, patch, setSettings, useExplorer } from './explorerStore';

const summary = (tokenizer: string | null) => ({ tokenizer, config: { vocabSize: 512 } }) as unknown as ModelSummary;
const text = (name: string): TextSummary => ({ name, characters: 10, tokens: 3, tokensCounted: 10 });
const st = () => useExplorer.getState();

beforeEach(() => {
  useExplorer.setState(initialExplorerState(), true);
  // Leave any samples of an earlier test: a random model takes the texts back.
  modelOpened('random');
  useExplorer.setState(initialExplorerState(), true);
});

describe('data-free calibration (store)', () => {
  it('a checkpoint without a tokenizer: calib=seed:1, eval=seed:2 in the settings and the link; calibration can start', () => {
    setSettings({ model: { kind: 'file', name: 'm.bin' }, calibration: { kind: 'file', name: 'a.txt' } });
    patch('model', { status: 'done', summary: summary(null) });
    expect(calibrationReady(st())).toBe(false);
    modelOpened('no-tokenizer');
    expect(st().settings.calibration).toEqual({ kind: 'samples', seed: 1 });
    expect(st().settings.evaluation).toEqual({ kind: 'samples', seed: 2 });
    const q = new URLSearchParams(encodeShareQuery(st().settings));
    expect([q.get('calib'), q.get('eval')]).toEqual(['seed:1', 'seed:2']);
    expect(calibrationReady(st())).toBe(true);
    expect(dataSeeds(st().settings)).toEqual({ calibrationSeed: 1, evaluationSeed: 2, evaluationTokens: 4096 });
    expect(evaluationSeed(st())).toBe(2);
    // A second checkpoint without one keeps the seeds (a link's included).
    setSettings({ calibration: { kind: 'samples', seed: 7 }, evaluation: { kind: 'samples', seed: 8 } });
    modelOpened('no-tokenizer');
    expect(dataSeeds(st().settings)).toMatchObject({ calibrationSeed: 7, evaluationSeed: 8 });
  });

  it('a text opened meanwhile waits; a tokenizer brings the replaced texts back with it', () => {
    setSettings({ calibration: { kind: 'file', name: 'a.txt' } });
    patch('model', { status: 'done', summary: summary(null) });
    modelOpened('no-tokenizer');
    expect(textWaits(st())).toBe(true);
    expect(textOpened('evaluation', { kind: 'file', name: 'e.txt' })).toBe(false);
    expect(st().settings.evaluation).toEqual({ kind: 'samples', seed: 2 });
    // The tokenizer arrives, but there is no calibration text to use: the samples stay.
    patch('model', { summary: summary('tok512.bin') });
    modelOpened('tokenizer');
    expect(st().settings.calibration).toEqual({ kind: 'samples', seed: 1 });
    // With a calibration text loaded, the texts come back: a.txt and the waiting e.txt.
    useExplorer.setState({ texts: { calibration: text('a.txt'), evaluation: text('e.txt'), error: null } });
    modelOpened('tokenizer');
    expect(st().settings.calibration).toEqual({ kind: 'file', name: 'a.txt' });
    expect(st().settings.evaluation).toEqual({ kind: 'file', name: 'e.txt' });
    expect(evaluationSeed(st())).toBeNull();
  });

  it('with a tokenizer, a text chosen replaces the samples (the other role goes back to its text)', () => {
    patch('model', { status: 'done', summary: summary(null) });
    modelOpened('no-tokenizer');
    patch('model', { summary: summary('tok512.bin') });
    expect(textWaits(st())).toBe(false);
    expect(textOpened('calibration', { kind: 'file', name: 'b.txt' })).toBe(true);
    expect(st().settings.calibration).toEqual({ kind: 'file', name: 'b.txt' });
    expect(st().settings.evaluation).toEqual({ kind: 'default' });
  });

  it("a link's seeds are not undone by a tokenizer, and a random model is never calibrated on samples", () => {
    patch('model', { status: 'done', summary: summary(null) });
    modelOpened('no-tokenizer');
    setSettings({ calibration: { kind: 'samples', seed: 5 } });
    useExplorer.setState({ texts: { calibration: text('a.txt'), evaluation: null, error: null } });
    modelOpened('tokenizer');
    expect(st().settings.calibration).toEqual({ kind: 'samples', seed: 5 });
    // eval seed held apart from calibration's when the link gives none and no evaluation text is open.
    setSettings({ evaluation: { kind: 'default' }, calibration: { kind: 'samples', seed: 2 } });
    expect(evaluationSeed(st())).toBe(3);
    useExplorer.setState(initialExplorerState(), true);
    patch('model', { status: 'done', summary: summary(null) });
    modelOpened('no-tokenizer');
    modelOpened('random');
    expect(st().settings.calibration).toEqual({ kind: 'default' });
    expect(calibrationReady(st())).toBe(false);
  });

  it('a calibration made for other seeds is forgotten (a link opened over it)', () => {
    setSettings({ calibration: { kind: 'samples', seed: 1 }, evaluation: { kind: 'samples', seed: 2 } });
    calibratedOn(st().settings);
    patch('calibration', { status: 'done' });
    expect(seedsChanged(st())).toBe(false);
    setSettings({ evaluation: { kind: 'samples', seed: 9 } });
    expect(seedsChanged(st())).toBe(true);
    expect(st().calibration.status).toBe('idle');
  });
});

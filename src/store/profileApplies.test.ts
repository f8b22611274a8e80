// When the explorer's views answer from a profile (profileApplies): the shipped profile only for the default
// model on the settings and the calibration text it was made with, until live quantization answers.
import { beforeEach, describe, expect, it } from 'vitest';
import { initialExplorerState, patch, useExplorer } from './explorerStore';
import { profileApplies } from './profile';
import type { Profile } from '../core/profile/index';

/** The shipped profile's meta as profileApplies reads it (clip fisher, per-tensor FP8 scales, 4,096 tokens). */
const shipped = {
  meta: { quantization: { clip: 'fisher', fp8Scaling: 'tensor' }, calibration: { tokens: 4096 } },
} as unknown as Profile;

const applies = () => profileApplies(useExplorer.getState());
const settings = (s: Partial<ReturnType<typeof useExplorer.getState>['settings']>) =>
  useExplorer.setState((st) => ({ settings: { ...st.settings, ...s } }));

beforeEach(() => {
  useExplorer.setState(initialExplorerState(), true);
  patch('profile', { status: 'done', origin: 'default', name: 'sotu-llama.profile.safetensors', profile: shipped });
});

describe('profileApplies (the shipped profile)', () => {
  it('applies on the default settings until live quantization is done', () => {
    expect(applies()).toBe(true);
    patch('quant', { status: 'running' });
    expect(applies()).toBe(true);
    patch('quant', { status: 'done' });
    expect(applies()).toBe(false);
  });

  it('does not apply to settings the profile was not made with', () => {
    settings({ clipping: 'mse' });
    expect(applies()).toBe(false);
    settings({ clipping: 'fisher', fp8Scaling: 'row' });
    expect(applies()).toBe(false);
    settings({ fp8Scaling: 'tensor', calibrationTokens: 2048 });
    expect(applies()).toBe(false);
    settings({ calibrationTokens: 4096 });
    expect(applies()).toBe(true);
  });

  it('does not apply to another calibration text: its live numbers differ from the profile', () => {
    settings({ calibration: { kind: 'file', name: 'notes.txt' } });
    expect(applies()).toBe(false);
    settings({ calibration: { kind: 'samples', seed: 1 } });
    expect(applies()).toBe(false);
    settings({ calibration: { kind: 'default' } });
    expect(applies()).toBe(true);
  });
});

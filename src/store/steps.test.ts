// The store's step table: what invalidate(step) forgets, what it keeps, and how tickets drop late answers.
import { beforeEach, describe, expect, it } from 'vitest';
import { initialExplorerState, patch, useExplorer } from './explorerStore';
import { perplexityKey, quantKey, truncationKey } from './keys';
import { DEPENDS_ON, downstream, invalidate, ticket } from './steps';

beforeEach(() => useExplorer.setState(initialExplorerState(), true));

describe('store steps', () => {
  it('the dependency table: everything downstream of calibration, nothing upstream', () => {
    expect(downstream('calibration')).toEqual([
      'calibration',
      'quantization',
      'activations',
      'perplexity',
      'detail',
      'sweep',
    ]);
    expect(downstream('perplexity')).toEqual(['perplexity', 'sweep']);
    expect(downstream('sweep')).toEqual(['sweep']);
    // Every dependency is itself a step (no dangling names).
    for (const deps of Object.values(DEPENDS_ON)) for (const d of deps) expect(DEPENDS_ON).toHaveProperty(d);
  });

  it('invalidate forgets the step and its dependents, keeps the rest; keepSelf spares the step', () => {
    const s = useExplorer.getState().settings;
    patch('calibration', { status: 'done' });
    patch('quant', { status: 'done', key: quantKey(s) });
    patch('sweep', {
      status: 'done',
      points: [{ policy: 'fgmp', weightBudget: 0.3, ppl: 2, meanNll: 0.7, energyVsFp8: 0.8 }],
    });
    patch('texts', { error: 'kept' });
    invalidate('calibration', { keepSelf: true });
    const st = useExplorer.getState();
    expect(st.calibration.status).toBe('done');
    expect(st.quant).toEqual(initialExplorerState().quant);
    expect(st.sweep.points).toEqual([]);
    expect(st.texts.error).toBe('kept');
    invalidate('calibration');
    expect(useExplorer.getState().calibration.status).toBe('idle');
  });

  it('perplexity: configuration results go, truncation results (keyed by their model) stay', () => {
    const s = useExplorer.getState().settings;
    const result = { ppl: 3 } as never;
    const config = perplexityKey(s);
    const trunc = truncationKey('model|1|4096|valid', 7, 'truncate');
    useExplorer.setState({
      perplexity: {
        ...useExplorer.getState().perplexity,
        cache: { [config]: { kind: 'configuration', result }, [trunc]: { kind: 'truncation', result } },
        lastShownKey: config,
      },
    });
    invalidate('perplexity');
    const p = useExplorer.getState().perplexity;
    expect(Object.keys(p.cache)).toEqual([trunc]);
    expect(p.lastShownKey).toBeNull();
  });

  it('a ticket is current until an invalidate touches its step (upstream or itself)', () => {
    const q = ticket('quantization');
    const m = ticket('model');
    invalidate('perplexity');
    expect(q()).toBe(true);
    invalidate('calibration');
    expect(q()).toBe(false);
    expect(m()).toBe(true);
  });

  it('keys differ where the results differ: variants, budgets, truncation bits', () => {
    const s = useExplorer.getState().settings;
    const keys = new Set([
      perplexityKey(s),
      perplexityKey(s, 'fp8'),
      perplexityKey(s, 'nvfp4'),
      perplexityKey({ ...s, weightBudget: 0.5 }),
      truncationKey('c', 7, 'truncate'),
      truncationKey('c', 7, 'round'),
      truncationKey('c', 6, 'truncate'),
    ]);
    expect(keys.size).toBe(7);
    // Baselines do not depend on the budgets or the policy.
    expect(perplexityKey({ ...s, weightBudget: 0.9, policy: 'random' }, 'fp8')).toBe(perplexityKey(s, 'fp8'));
  });
});

// The pipeline's steps as the store sees them: what each depends on, what state it owns, and the one
// invalidate(step) that forgets a step and everything downstream of it. Every asynchronous step result
// is written only if its ticket is still current (one generation per step, bumped by invalidate), so an
// answer to a question that has since changed is dropped.
import { initialExplorerState, useExplorer, type ExplorerState } from './explorerStore';

export type StepId = 'model' | 'calibration' | 'quantization' | 'detail' | 'activations' | 'perplexity' | 'sweep';

/**
 * What each step is computed from. model: the checkpoint; calibration: the model, its tokenizer and the
 * calibration text; quantization: the Fisher (policies without it rank too); perplexity: the calibration and
 * the evaluation text; sweep: the perplexities of every policy.
 */
export const DEPENDS_ON: Record<StepId, readonly StepId[]> = {
  model: [],
  calibration: ['model'],
  quantization: ['calibration'],
  detail: ['quantization'],
  activations: ['calibration'],
  perplexity: ['calibration'],
  sweep: ['perplexity'],
};

/** The state a step owns, back at its start. */
const RESET: Record<StepId, (s: ExplorerState, fresh: ExplorerState) => Partial<ExplorerState>> = {
  model: (s, fresh) => ({ model: { ...fresh.model, summary: s.model.summary } }),
  calibration: (_, fresh) => ({ calibration: fresh.calibration }),
  quantization: (_, fresh) => ({ quant: fresh.quant }),
  detail: (_, fresh) => ({ detail: fresh.detail }),
  activations: (_, fresh) => ({ activations: fresh.activations }),
  // Truncation results name their model in their key (keys.ts): they stay valid across a reload.
  perplexity: (s, fresh) => ({
    perplexity: {
      ...fresh.perplexity,
      cache: Object.fromEntries(Object.entries(s.perplexity.cache).filter(([, e]) => e.kind === 'truncation')),
    },
  }),
  sweep: (_, fresh) => ({ sweep: fresh.sweep }),
};

const generation: Record<StepId, number> = {
  model: 0,
  calibration: 0,
  quantization: 0,
  detail: 0,
  activations: 0,
  perplexity: 0,
  sweep: 0,
};

/** The step and every step that (transitively) depends on it, upstream first. */
export function downstream(step: StepId): StepId[] {
  const out: StepId[] = [step];
  for (let i = 0; i < out.length; i++)
    for (const [s, deps] of Object.entries(DEPENDS_ON) as [StepId, readonly StepId[]][])
      if (deps.includes(out[i]) && !out.includes(s)) out.push(s);
  return out;
}

/** Forgets a step's result and everything computed from it (only the dependents with keepSelf). */
export function invalidate(step: StepId, opts: { keepSelf?: boolean } = {}): void {
  const steps = downstream(step).filter((s) => !(opts.keepSelf && s === step));
  const fresh = initialExplorerState();
  useExplorer.setState((s) => {
    let next: Partial<ExplorerState> = {};
    for (const id of steps) {
      generation[id]++;
      next = { ...next, ...RESET[id]({ ...s, ...next } as ExplorerState, fresh) };
    }
    return next;
  });
}

/** A ticket for a step's asynchronous work: true while no invalidate has touched the step since. */
export function ticket(step: StepId): () => boolean {
  const g = generation[step];
  return () => generation[step] === g;
}

// Typed keys: what each cached step result was computed for. Keys are compared, never parsed; what a
// running job is (configuration, baseline, truncation) travels beside its key (slices.ts PerplexityJob).
import type { MantissaMode } from '../core/formats/truncate';
import type { EvaluateVariant } from '../core/pipeline/results';
import { configurationKey, type ShareState } from '../core/url/shareState';
import type { ExplorerState } from './slices';

type Settings = Pick<ShareState, 'policy' | 'clipping' | 'fp8Scaling'>;

/** The ranking: policy, clipping, FP8 scaling. */
export const quantKey = (s: Settings) => JSON.stringify(['quant', s.policy, s.clipping, s.fp8Scaling]);

/** One tensor's detail: its quantization and the selection. */
export const detailKey = (s: ShareState) =>
  JSON.stringify(['detail', s.clipping, s.fp8Scaling, s.selection.layer, s.selection.projection, s.selection.block]);

/** The calibration activation scores (every activation budget is answered from them): the evaluation session. */
export const activationsKey = (s: ShareState) => JSON.stringify(['act', s.evaluationTokens]);

/** A configuration's perplexity, or the all-FP8 / all-NVFP4 baseline at the same settings. */
export function perplexityKey(s: ShareState, variant: Exclude<EvaluateVariant, 'float'> = 'mixed'): string {
  const base =
    variant === 'mixed'
      ? s
      : { ...s, weightBudget: 0, activationBudget: 0, policy: 'fgmp' as const, pins: '', layerwise: false };
  return JSON.stringify(['ppl', variant, configurationKey(base)]);
}

/** The sweep: everything but the weight budget and the policy. */
export const sweepKey = (s: ShareState) =>
  JSON.stringify(['sweep', configurationKey({ ...s, weightBudget: 0, policy: 'fgmp', pins: '', layerwise: false })]);

/**
 * What a truncation perplexity depends on besides (k, mode): the model and its evaluation tokens. Null until
 * the explorer has a calibrated model (the worker's evaluation session needs calibration).
 */
export function truncationContext(
  st: Pick<ExplorerState, 'model' | 'calibration' | 'settings' | 'texts'>,
): string | null {
  if (st.model.status !== 'done' || !st.model.summary || st.calibration.status !== 'done' || !st.calibration.summary)
    return null;
  return [
    st.model.summary.name,
    st.model.summary.parameters,
    st.settings.evaluationTokens,
    st.texts.evaluation?.name ?? '(held out)',
  ].join('|');
}

export const truncationKey = (context: string, keep: number, mode: MantissaMode) =>
  JSON.stringify(['truncation', context, keep, mode]);

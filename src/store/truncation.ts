// The truncation lesson's perplexity: every linear weight of the loaded model reduced to k mantissa bits,
// computed in the pipeline worker (PipelineService.truncationPerplexity, behind its ORT lock), debounced,
// cached per (model context, k, mode) in the store's `truncation` slice.
import * as Comlink from 'comlink';
import type { MantissaMode } from '../core/formats/truncate';
import type { Progress } from '../../workers/protocol';
import { patch, useExplorer, type ExplorerState } from './explorerStore';
import { pipeline } from './controller';

export const TRUNCATION_DEBOUNCE_MS = 300;

/**
 * What the perplexity depends on besides (k, mode): the model and its evaluation tokens. Null until the
 * explorer has a calibrated model (the worker's evaluation session needs calibration).
 */
export function truncationContext(st: Pick<ExplorerState, 'model' | 'calibration' | 'settings' | 'texts'>): string | null {
  if (st.model.status !== 'done' || !st.model.summary || st.calibration.status !== 'done' || !st.calibration.summary)
    return null;
  return [st.model.summary.name, st.model.summary.parameters, st.settings.evaluationTokens, st.texts.evaluation?.name ?? '(held out)'].join('|');
}

export const truncationKey = (context: string, keep: number, mode: MantissaMode) => `${context}|${keep}|${mode}`;

let timer: ReturnType<typeof setTimeout> | null = null;
let latestKey: string | null = null;

/** Asks for the perplexity at (keep, mode) after a short pause; a later call within the pause replaces it. */
export function requestTruncationPerplexity(keep: number, mode: MantissaMode): void {
  if (timer) clearTimeout(timer);
  timer = null;
  const st = useExplorer.getState();
  const context = truncationContext(st);
  if (!context) return;
  const key = truncationKey(context, keep, mode);
  latestKey = key;
  if (st.truncation.cache[key]) return;
  if (st.truncation.error?.key === key) patch('truncation', { error: null });
  timer = setTimeout(() => {
    timer = null;
    void run(keep, mode, key, st.settings.evaluationTokens);
  }, TRUNCATION_DEBOUNCE_MS);
}

async function run(keep: number, mode: MantissaMode, key: string, evaluationTokens: number): Promise<void> {
  if (useExplorer.getState().truncation.cache[key]) return;
  patch('truncation', { runningKey: key, progress: null, error: null });
  try {
    const result = await pipeline().call((api) =>
      api.truncationPerplexity(
        { keep, mode, evaluationTokens },
        Comlink.proxy((p: Progress) => {
          if (useExplorer.getState().truncation.runningKey === key) patch('truncation', { progress: p });
        }),
      ),
    );
    patch('truncation', { cache: { ...useExplorer.getState().truncation.cache, [key]: result } });
  } catch (e) {
    const err = e as Error;
    if (err?.name === 'CancelledError' || /cancelled/.test(err?.message ?? '')) {
      // Another step (a new model, a recalibration) stopped the run: ask again if it is still wanted.
      if (latestKey === key && !timer) requestTruncationPerplexity(keep, mode);
    } else {
      const message = (err?.message ?? String(e)).replace(/^(Error|WorkerCrash): /, '');
      patch('truncation', { error: { key, message } });
    }
  } finally {
    if (useExplorer.getState().truncation.runningKey === key) patch('truncation', { runningKey: null, progress: null });
  }
}

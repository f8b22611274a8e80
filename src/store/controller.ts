// The pipeline's steps as actions. `advance()` looks at the store and starts the next step the settings
// call for (calibrate → quantize → tensor detail, activation shares → perplexity), so the same code path
// serves a user's clicks, a shared link being opened, and recovery after a worker crash. Each step writes
// its result only while its ticket is current (steps.ts); keys (keys.ts) say what a result was made for.
import { encodeShareUrl, type ShareState } from '../core/url/shareState';
import type { Projection } from '../core/model/types';
import type { SweepPoint } from '../core/pipeline/results';
import { quantizeFromWire } from '../../workers/protocol';
import { ActivationShareIndex } from '../core/actquant/shareIndex';
import { patch, setSettings, useExplorer } from './explorerStore';
import { activationsKey, detailKey, quantKey, sweepKey } from './keys';
import { calibratedOn, calibrationReady, dataSeeds, seedsChanged } from './dataFree';
import { schedulePerplexity } from './perplexity';
import { isFatalWorkerError } from './pipelineClient';
import { invalidate, ticket } from './steps';
import { refreshProfile } from './profile';
import { cancelled, message, pipeline, progress } from './worker';
import * as Comlink from 'comlink';

export { openFiles } from './openFiles';
export { openRandom, openText, openUrl, openFromLocation, openDefaultModel, normaliseModelUrl } from './open';
export { perplexityKey } from './keys';

export const SWEEP_BUDGETS = [0, 0.1, 0.2, 0.3, 0.5, 0.7, 1];
export const SWEEP_POLICIES = ['fgmp', 'uniform', 'unweighted', 'magnitude', 'random'] as const;

const needsFisher = (s: ShareState) => s.policy === 'fgmp' || s.policy === 'uniform';

/** A step failed: cancelled steps go back to idle, except calibration, which stays stopped. */
function fail(slice: 'calibration' | 'quant' | 'sweep', e: unknown): void {
  if (isFatalWorkerError(e)) return; // the crash handler reports it and restarts
  // advance() would otherwise start a cancelled calibration again at once.
  const stopped = cancelled(e) && slice === 'calibration';
  const status = cancelled(e) && !stopped ? 'idle' : 'error';
  const error = stopped ? 'Calibration cancelled.' : cancelled(e) ? null : message(e);
  patch(slice, { status, progress: null, error });
}

async function calibrate(): Promise<void> {
  const current = ticket('calibration');
  patch('calibration', { status: 'running', error: null, progress: null });
  try {
    const s = useExplorer.getState().settings;
    // The data seeds travel with the request (data-free calibration: dataFree.ts).
    const summary = await pipeline().call((api) =>
      api.calibrate(
        s.calibrationTokens,
        progress((p) => current() && patch('calibration', { progress: p })),
        dataSeeds(s),
      ),
    );
    if (!current()) return;
    calibratedOn(s);
    patch('calibration', { status: 'done', summary, progress: null });
    invalidate('calibration', { keepSelf: true });
  } catch (e) {
    // A calibration the user made moot (new model, tokenizer or text) ends silently.
    if (current()) fail('calibration', e);
  }
  advance();
}

async function quantize(): Promise<void> {
  const s = useExplorer.getState().settings;
  const current = ticket('quantization');
  patch('quant', { status: 'running', error: null, progress: null, key: quantKey(s) });
  try {
    const r = await pipeline().call((api) =>
      api.quantize(
        { policy: s.policy, clipping: s.clipping, fp8Scaling: s.fp8Scaling, evaluationTokens: s.evaluationTokens },
        progress((p) => current() && patch('quant', { progress: p })),
      ),
    );
    if (!current()) return;
    patch('quant', { status: 'done', progress: null, ranking: quantizeFromWire(r).ranking, notes: r.notes });
  } catch (e) {
    if (current()) fail('quant', e);
  }
  advance();
}

async function fetchDetail(): Promise<void> {
  const s = useExplorer.getState().settings;
  const { layer, projection, block } = s.selection;
  const key = detailKey(s);
  patch('detail', { key, error: null });
  const mine = () => useExplorer.getState().detail.key === key;
  try {
    const req = {
      policy: s.policy,
      clipping: s.clipping,
      fp8Scaling: s.fp8Scaling,
      evaluationTokens: s.evaluationTokens,
    };
    const data = await pipeline().call((api) => api.tensorDetail({ ...req, layer, proj: projection }));
    const blockCurve =
      block !== null && block < data.rows * Math.ceil(data.cols / 16)
        ? await pipeline().call((api) => api.blockCurve(layer, projection, block))
        : null;
    if (mine()) patch('detail', { data, blockCurve });
  } catch (e) {
    if (!isFatalWorkerError(e) && mine()) patch('detail', { error: message(e) });
  }
}

/** The calibration activation scores, sorted per site: one round trip per calibration, then no worker per budget. */
async function fetchActivationIndex(): Promise<void> {
  const s = useExplorer.getState().settings;
  const key = activationsKey(s);
  const current = ticket('activations');
  patch('activations', { key });
  const mine = () => current() && useExplorer.getState().activations.key === key;
  try {
    const got = await pipeline().call((api) => api.activationIndex(s.evaluationTokens));
    const index = got && { keys: got.keys, index: ActivationShareIndex.fromParts(got.parts) };
    if (mine()) patch('activations', { index });
  } catch (e) {
    if (!isFatalWorkerError(e) && mine()) patch('activations', { index: null });
  }
}

/** Starts the next step the current settings need. Safe to call any time, any number of times. */
export function advance(): void {
  const st = useExplorer.getState();
  const s = st.settings;
  const summary = st.model.summary;
  if (st.profile.profile) void refreshProfile();
  if (st.model.status !== 'done' || !summary) return;
  if (seedsChanged(st)) return advance();
  if (calibrationReady(st) && st.calibration.status === 'idle') return void calibrate();
  if (st.calibration.status === 'running') return;
  const calibrated = st.calibration.status === 'done';
  if (st.quant.status !== 'running' && st.quant.key !== quantKey(s)) {
    if (needsFisher(s) && !calibrated) {
      patch('quant', {
        key: null,
        ranking: null,
        status: 'error',
        error:
          `The ${s.policy === 'fgmp' ? 'FGMP' : 'per-layer uniform'} policy ranks blocks by Fisher information, which calibration computes. ` +
          (summary.tokenizer ? 'Choose a calibration text' : "Open the model's tokenizer and a calibration text") +
          ', or pick a policy that needs none (random, magnitude, unweighted).',
      });
      return;
    }
    return void quantize();
  }
  if (st.quant.status !== 'done' || st.quant.key !== quantKey(s)) return;
  if (st.detail.key !== detailKey(s)) void fetchDetail();
  if (calibrated && st.activations.key !== activationsKey(s)) void fetchActivationIndex();
  if (calibrated) schedulePerplexity();
}

// ---------- user actions ----------

export function updateSettings(value: Partial<ShareState>): void {
  setSettings(value);
  advance();
}

export function select(layer: number, projection: Projection, block: number | null = null): void {
  updateSettings({ selection: { layer, projection, block } });
}

export function recalibrate(): void {
  invalidate('calibration');
  advance();
}

export function cancelRunning(): void {
  pipeline().cancel();
}

export async function runSweep(): Promise<void> {
  const s = useExplorer.getState().settings;
  const current = ticket('sweep');
  patch('sweep', { status: 'running', error: null, progress: null, key: sweepKey(s), points: [] });
  try {
    const points = await pipeline().call((api) =>
      api.sweep(
        {
          policies: [...SWEEP_POLICIES],
          budgets: SWEEP_BUDGETS,
          clipping: s.clipping,
          fp8Scaling: s.fp8Scaling,
          activationBudget: s.activationBudget,
          // The same evaluation tokens as the current configuration: its point lies on its policy's line.
          evaluationTokens: s.evaluationTokens,
          // KL against float32 at every point: the trade-off chart's other y axes.
          kl: true,
        },
        progress((p) => current() && patch('sweep', { progress: p })),
        Comlink.proxy((p: SweepPoint) => {
          if (current()) useExplorer.setState((x) => ({ sweep: { ...x.sweep, points: [...x.sweep.points, p] } }));
        }),
      ),
    );
    if (current()) patch('sweep', { status: 'done', progress: null, points });
  } catch (e) {
    if (current()) fail('sweep', e);
  }
  advance();
}

export function shareUrl(): string {
  return encodeShareUrl(window.location.href, useExplorer.getState().settings);
}

/** Test hook: makes the worker crash so that recovery can be checked. */
export function crashWorkerForTest(): void {
  void pipeline().remote?.debugCrash();
}

/** Test hook: the worker keeps a weight Fisher of `bytes` or more in storage (spill.ts), from its next calibration. */
export async function spillFisherFromForTest(bytes: number): Promise<void> {
  await pipeline().remote?.debugSpillFrom(bytes);
}

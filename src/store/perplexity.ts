// The one perplexity path: the explorer's configuration and its all-FP8 / all-NVFP4 baselines (asked for by
// advance()), and the truncation lesson's k-bit weights (asked for by the lesson), each debounced, run one
// at a time in the worker and kept in one cache (the evaluation slice, keyed by keys.ts). A stale
// configuration in flight is cancelled; a job stopped by another step is asked again if still wanted.
import type { MantissaMode } from '../core/formats/truncate';
import type { EvaluateResult, TruncationResult } from '../core/pipeline/results';
import type { ShareState } from '../core/url/shareState';
import { advance } from './controller';
import { patch, useExplorer, type ExplorerState } from './explorerStore';
import { perplexityKey, truncationContext, truncationKey } from './keys';
import { isFatalWorkerError } from './pipelineClient';
import { abState, pinsApply } from './instrumentsDerive';
import type { PerplexityJob } from './slices';
import { ticket } from './steps';
import { cancelled, message, pipeline, progress } from './worker';

export const PERPLEXITY_DEBOUNCE_MS = 300;

let configTimer: ReturnType<typeof setTimeout> | null = null;
let truncationTimer: ReturnType<typeof setTimeout> | null = null;
/** advance() asked for the configuration's perplexities (cleared once none is missing). */
let configurationsWanted = false;
/** The truncation the lesson shows now, and the model context it was asked for. */
let truncationWanted: { job: PerplexityJob; context: string } | null = null;

/** The request for a configuration: pins (where they apply), layerwise, and KL beside perplexity. */
function request(s: ShareState, variant: 'mixed' | 'fp8' | 'nvfp4') {
  return {
    policy: s.policy,
    clipping: s.clipping,
    fp8Scaling: s.fp8Scaling,
    weightBudget: s.weightBudget,
    activationBudget: s.activationBudget,
    evaluationTokens: s.evaluationTokens,
    variant,
    pins: pinsApply(s) ? (s.pins ?? '') : '',
    layerwise: s.layerwise ?? false,
    kl: true,
  };
}

/** The configuration's jobs: this configuration, the two baselines at the same settings, then A/B's B. */
function configurationJobs(st: ExplorerState): PerplexityJob[] {
  if (st.calibration.status !== 'done') return [];
  const s = st.settings;
  const jobs: PerplexityJob[] = (['mixed', 'fp8', 'nvfp4'] as const).map((variant) => ({
    kind: 'configuration',
    key: perplexityKey(s, variant),
    request: request(s, variant),
  }));
  const b = abState(s);
  if (b) jobs.push({ kind: 'configuration', key: perplexityKey(b), request: request(b, 'mixed') });
  // A job that failed is not asked again until the settings change (its error is shown).
  return jobs.filter((j) => j.key !== st.perplexity.error?.key);
}

/** The next job to run: the lesson's truncation first (a direct request), then the configuration's. */
function nextJob(st: ExplorerState): PerplexityJob | null {
  // Only for the model it was asked for: a result is cached under its model's key.
  const t = truncationWanted?.context === truncationContext(st) ? truncationWanted.job : null;
  if (t && !st.perplexity.cache[t.key] && st.perplexity.error?.key !== t.key) return t;
  if (!configurationsWanted) return null;
  const job = configurationJobs(st).find((j) => !st.perplexity.cache[j.key]);
  if (!job) configurationsWanted = false;
  return job ?? null;
}

async function pump(): Promise<void> {
  const st = useExplorer.getState();
  if (st.perplexity.running) return;
  const job = nextJob(st);
  if (!job) return;
  const current = ticket('perplexity');
  patch('perplexity', { running: job, progress: null, error: null });
  const onProgress = progress((p) => {
    if (current() && useExplorer.getState().perplexity.running?.key === job.key) patch('perplexity', { progress: p });
  });
  try {
    const result: EvaluateResult | TruncationResult = await pipeline().call(
      (api): Promise<EvaluateResult | TruncationResult> =>
        job.kind === 'configuration'
          ? api.evaluate(job.request, onProgress)
          : api.truncationPerplexity(job.request, onProgress),
    );
    if (!current()) return;
    useExplorer.setState((x) => ({
      perplexity: {
        ...x.perplexity,
        running: null,
        progress: null,
        cache: { ...x.perplexity.cache, [job.key]: { kind: job.kind, result } },
        lastShownKey:
          job.kind === 'configuration' && job.request.variant === 'mixed' ? job.key : x.perplexity.lastShownKey,
      },
    }));
  } catch (e) {
    if (!current()) return void afterJob(job);
    const stopped = cancelled(e);
    // A configuration's worker crash is reported by the crash handler; a truncation shows it where asked.
    const silent = stopped || (job.kind === 'configuration' && isFatalWorkerError(e));
    patch('perplexity', {
      running: null,
      progress: null,
      error: silent ? null : { key: job.key, kind: job.kind, message: message(e) },
    });
    if (!stopped) return;
  }
  afterJob(job);
}

/** What follows a job: the explorer's next step (advance), or the lesson's latest request. */
function afterJob(job: PerplexityJob): void {
  if (job.kind === 'configuration') advance();
  else if (truncationWanted && !truncationTimer) void pump();
}

/** advance(): the configuration's perplexities are wanted; a stale one in flight is cancelled first. */
export function schedulePerplexity(): void {
  if (configTimer) clearTimeout(configTimer);
  configTimer = setTimeout(() => {
    configTimer = null;
    configurationsWanted = true;
    const st = useExplorer.getState();
    const running = st.perplexity.running;
    // A configuration no longer wanted (A's or A/B's B; a baseline only when its settings changed).
    const stale = running?.kind === 'configuration' && !configurationJobs(st).some((j) => j.key === running.key);
    if (stale) pipeline().cancel();
    else void pump();
  }, PERPLEXITY_DEBOUNCE_MS);
}

/** The truncation lesson asks for (keep, mode) after a short pause; a later call within the pause replaces it. */
export function requestTruncationPerplexity(keep: number, mode: MantissaMode): void {
  if (truncationTimer) clearTimeout(truncationTimer);
  truncationTimer = null;
  const st = useExplorer.getState();
  const context = truncationContext(st);
  if (!context) return;
  const key = truncationKey(context, keep, mode);
  const request = { keep, mode, evaluationTokens: st.settings.evaluationTokens };
  truncationWanted = { job: { kind: 'truncation', key, request }, context };
  if (st.perplexity.cache[key]) return;
  if (st.perplexity.error?.key === key) patch('perplexity', { error: null });
  truncationTimer = setTimeout(() => {
    truncationTimer = null;
    void pump();
  }, PERPLEXITY_DEBOUNCE_MS);
}

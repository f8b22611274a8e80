// When and whether the pipeline worker is started again after it failed, and what to tell the user. Pure:
// PipelineClient (pipelineClient.ts) supplies the clock and the timer. A worker that cannot start (its
// script blocked or missing) used to be restarted thousands of times a second; now each failed start waits
// twice as long as the one before, and after MAX_STARTS failures in a row the client stops and says why.
import { i18n } from '../i18n';

/** Waits before the 2nd, 3rd, 4th and 5th start (ms); after the 5th failure the client gives up. */
export const RESTART_DELAYS_MS = [500, 1000, 2000, 4000] as const;
export const MAX_STARTS = RESTART_DELAYS_MS.length + 1;
/** A worker that ran this long before failing was healthy: its failure starts a fresh count. */
export const STABLE_MS = 60_000;

/** Why a worker failed: its script never ran, it ran out of memory, a message could not be sent, or it crashed. */
export type WorkerCause = 'load' | 'memory' | 'message' | 'crash';

export interface FailureInput {
  /** Whether the worker had answered its first message (so its script loaded and ran). */
  ready: boolean;
  /** The error's class name (RangeError, DataCloneError, WorkerCrash, …). */
  name?: string;
  message?: string;
}

export function classifyFailure(f: FailureInput): WorkerCause {
  if (f.name === 'RangeError') return 'memory';
  if (f.name === 'DataCloneError') return 'message';
  // An error before the first answer: the script failed to load (or threw while it was being evaluated).
  if (!f.ready) return 'load';
  if (/out of memory|allocation failed/i.test(f.message ?? '')) return 'memory';
  return 'crash';
}

/**
 * Failures in a row after one more: a worker that had been up for STABLE_MS or longer starts the count
 * again (a crash after an hour of use is not the fifth failed start of a broken script).
 */
export function nextFailureCount(previous: number, uptimeMs: number): number {
  return (uptimeMs >= STABLE_MS ? 0 : previous) + 1;
}

/** The wait before the next start after `failures` failures in a row, or null when the client gives up. */
export function restartDelay(failures: number): number | null {
  if (failures < 1) return 0;
  return failures <= RESTART_DELAYS_MS.length ? RESTART_DELAYS_MS[failures - 1] : null;
}

// The messages are the UI's (in its language: explorer:worker.*); the detail is the browser's own words.
const tw = (key: string, values: Record<string, string | number> = {}): string =>
  i18n.t(`explorer:worker.${key}`, values);
const why = (cause: WorkerCause, detail: string) =>
  detail ? tw('why', { cause: tw(`cause.${cause}`), detail }) : tw(`cause.${cause}`);
const seconds = (ms: number) => i18n.t('common:duration.seconds', { s: ms / 1000 });

/** The message while the client waits to start the worker again. */
export function restartingMessage(cause: WorkerCause, failures: number, delayMs: number, detail = ''): string {
  return tw('restarting', {
    why: why(cause, detail),
    delay: seconds(delayMs),
    start: failures + 1,
    max: MAX_STARTS,
  });
}

/** The final message once the client has given up. */
export function failedMessage(cause: WorkerCause, failures: number, detail = ''): string {
  const total = RESTART_DELAYS_MS.slice(0, failures - 1).reduce((a, b) => a + b, 0);
  const advice = tw(cause === 'load' ? 'advice.load' : cause === 'memory' ? 'advice.memory' : 'advice.other');
  return tw('gaveUp', { why: why(cause, detail), failures, total: seconds(total), advice });
}

/** After a start that followed a failure: what happened, and that the settings go to the new worker. */
export function recoveredMessage(cause: WorkerCause): string {
  return tw('recovered', { cause: tw(`cause.${cause}`) });
}

import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  failedMessage,
  MAX_STARTS,
  nextFailureCount,
  restartDelay,
  restartingMessage,
  STABLE_MS,
} from './backoff';
import { PipelineClient, WorkerUnavailable, type WorkerEvent } from './pipelineClient';

describe('restart back-off', () => {
  it('doubles from 0.5 s and gives up after the fifth failed start', () => {
    const delays: (number | null)[] = [];
    for (let f = 1; f <= 6; f++) delays.push(restartDelay(f));
    expect(delays).toEqual([500, 1000, 2000, 4000, null, null]);
    expect(MAX_STARTS).toBe(5);
  });

  it('counts failures in a row; a worker up for STABLE_MS starts a fresh count', () => {
    expect(nextFailureCount(0, 10)).toBe(1);
    expect(nextFailureCount(3, STABLE_MS - 1)).toBe(4);
    expect(nextFailureCount(4, STABLE_MS)).toBe(1);
  });

  it('names the cause', () => {
    expect(classifyFailure({ ready: false })).toBe('load');
    expect(classifyFailure({ ready: true, message: 'uncaught error in the worker' })).toBe('crash');
    expect(classifyFailure({ ready: true, name: 'RangeError', message: 'Array buffer allocation failed' })).toBe(
      'memory',
    );
    expect(classifyFailure({ ready: false, name: 'RangeError' })).toBe('memory');
    expect(classifyFailure({ ready: true, name: 'DataCloneError' })).toBe('message');
    expect(classifyFailure({ ready: true, message: 'Out of memory' })).toBe('memory');
  });

  it('says when it tries again and, at the end, what failed and how long it tried', () => {
    expect(restartingMessage('crash', 2, 1000, 'boom')).toBe(
      'The pipeline worker stopped: it crashed: boom. Starting it again in 1 s (start 3 of 5); ' +
        'your settings are kept and will be re-applied.',
    );
    const final = failedMessage('load', 5);
    expect(final).toContain('its script failed to load');
    expect(final).toContain('started 5 times over 7.5 s');
    expect(final).toContain('Try again');
    expect(final).not.toContain('restarted and your settings are being re-applied');
  });
});

/** A worker whose script never loads: it answers nothing and fires 'error' (a plain Event) once started. */
class BlockedWorker {
  listeners = new Map<string, ((ev: unknown) => void)[]>();
  terminated = false;
  posted = 0;
  addEventListener(type: string, fn: (ev: unknown) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  removeEventListener() {}
  postMessage() {
    this.posted++;
  }
  terminate() {
    this.terminated = true;
  }
  fail() {
    for (const fn of this.listeners.get('error') ?? []) fn({ preventDefault() {} });
  }
}

describe('PipelineClient with a worker script that cannot load', () => {
  it('starts it 5 times with waits of 0.5, 1, 2, 4 s, then stops with the cause; retry starts it again', async () => {
    const workers: BlockedWorker[] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const events: WorkerEvent[] = [];
    let now = 0;
    const client = new PipelineClient(
      () => {
        const w = new BlockedWorker();
        workers.push(w);
        return w as unknown as Worker;
      },
      (e) => events.push(e),
      { now: () => now, setTimer: (fn, ms) => timers.push({ fn, ms }) },
    );
    // Each start fails; each scheduled restart runs when its timer fires.
    for (let i = 0; i < 10 && !events.some((e) => e.kind === 'failed'); i++) {
      workers[workers.length - 1].fail();
      const t = timers.shift();
      if (t) {
        now += t.ms;
        t.fn();
      }
    }
    expect(workers.length).toBe(5);
    expect(workers.every((w) => w.terminated)).toBe(true);
    expect(events.filter((e) => e.kind === 'restarting').map((e) => (e as { delayMs: number }).delayMs)).toEqual([
      500, 1000, 2000, 4000,
    ]);
    const failed = events.at(-1)!;
    expect(failed.kind).toBe('failed');
    expect(failed.kind === 'failed' && failed.cause).toBe('load');
    expect(client.state).toBe('failed');
    expect(timers).toEqual([]);
    // No worker: a call is refused at once with the final message (it does not start a sixth).
    await expect(client.call((api) => api.cancel())).rejects.toBeInstanceOf(WorkerUnavailable);
    expect(workers.length).toBe(5);

    client.retry();
    expect(workers.length).toBe(6);
    expect(events.at(-1)).toEqual({ kind: 'started' });
    expect(client.state).toBe('running');
    // The fresh count: its failure waits 0.5 s again.
    workers[5].fail();
    expect(events.at(-1)).toMatchObject({ kind: 'restarting', delayMs: 500, failures: 1 });
  });
});

// The UI side of the pipeline worker. Calls go through `call`, which turns a worker failure (the worker's
// 'error' event, a message that cannot be sent (DataCloneError) or an out-of-memory RangeError) into a
// WorkerCrash and terminates the worker. The client then starts a fresh one after a back-off (backoff.ts:
// 0.5, 1, 2, 4 s) and, after the fifth failure in a row, stops and reports why; retry() starts again.
// The store re-applies the user's settings after each start (open.ts).
import * as Comlink from 'comlink';
import type { PipelineApi } from '../../workers/pipeline.worker';
import { parseEnginePreference, type EngineChoice } from '../core/runtime/engineChoice';
import {
  classifyFailure,
  failedMessage,
  nextFailureCount,
  restartDelay,
  restartingMessage,
  type WorkerCause,
} from './backoff';

/** The worker failed while a call ran (the store's steps ignore it: the client's events report it). */
export class WorkerCrash extends Error {
  override name = 'WorkerCrash';
}

/** No worker to call: it is waiting to be started again, or the client gave up. Shown where it was asked. */
export class WorkerUnavailable extends Error {
  override name = 'WorkerUnavailable';
}

export type Remote = Comlink.Remote<PipelineApi>;

export type WorkerEvent =
  | { kind: 'restarting'; cause: WorkerCause; failures: number; delayMs: number; message: string }
  /** A fresh worker was started after a failure (or after retry()): the store re-applies its inputs. */
  | { kind: 'started' }
  | { kind: 'failed'; cause: WorkerCause; failures: number; message: string };

export interface ClientTiming {
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
}

const realTiming: ClientTiming = { now: () => performance.now(), setTimer: (fn, ms) => setTimeout(fn, ms) };

/** True for errors that mean the worker is gone or unusable rather than a bad input. */
export function isFatalWorkerError(e: unknown): boolean {
  if (e instanceof WorkerCrash) return true;
  const err = e as { name?: string; message?: string } | null;
  if (!err) return false;
  if (err.name === 'DataCloneError') return true;
  return (
    err.name === 'RangeError' && /allocation|memory|Array buffer|Invalid typed array length/i.test(err.message ?? '')
  );
}

export class PipelineClient {
  private worker: Worker | null = null;
  private api: Remote | null = null;
  private crashReject: ((e: Error) => void) | null = null;
  private crashed: Promise<never> = Promise.reject(new WorkerUnavailable('no worker'));
  /** Shared cancel flag (cross-origin isolated pages): read by the worker between onnxruntime batches. */
  private cancelFlag: Int32Array | null = null;
  /** The worker answered its first message (its script loaded and ran). */
  private ready = false;
  private startedAt = 0;
  private failures = 0;
  /** Set while waiting to start again or after giving up: what calls are told. */
  private unavailable: string | null = null;
  /** The running worker's engine (engineChoice.ts), asked for right after its first message. */
  engine!: Promise<EngineChoice>;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly onEvent: (e: WorkerEvent) => void,
    private readonly timing: ClientTiming = realTiming,
  ) {
    this.crashed.catch(() => undefined);
    this.start();
  }

  private start(): void {
    this.unavailable = null;
    this.ready = false;
    this.startedAt = this.timing.now();
    const worker = this.createWorker();
    this.worker = worker;
    this.crashed = new Promise<never>((_, reject) => {
      this.crashReject = reject;
    });
    // Keep an unobserved rejection from surfacing as an unhandled error.
    this.crashed.catch(() => undefined);
    // Events of a worker already replaced (or terminated) are ignored.
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      // A script that fails to load gives a plain Event (no message); an uncaught error an ErrorEvent.
      const text = (ev as ErrorEvent).message || (this.ready ? 'uncaught error in the worker' : '');
      if (worker === this.worker) this.crash(new WorkerCrash(text));
    });
    worker.addEventListener('messageerror', () => {
      if (worker === this.worker) this.crash(new WorkerCrash('a message from the worker could not be read'));
    });
    const api = Comlink.wrap<PipelineApi>(worker);
    this.api = api;
    // The first message doubles as the sign of life: its answer means the script loaded.
    let hello: Promise<void>;
    if (globalThis.crossOriginIsolated && typeof SharedArrayBuffer !== 'undefined') {
      this.cancelFlag = new Int32Array(new SharedArrayBuffer(4));
      hello = api.useCancelFlag(this.cancelFlag.buffer as SharedArrayBuffer);
    } else {
      this.cancelFlag = null;
      hello = api.cancel(); // a fresh worker runs nothing: a harmless first message
    }
    hello.then(
      () => {
        if (worker === this.worker) this.ready = true;
      },
      () => undefined,
    );
    // Before any other call: the worker fixes its thread count at its first session (?threads=, ?engine=wasm).
    this.engine = api.engine(parseEnginePreference(globalThis.location?.search ?? ''));
    this.engine.catch(() => undefined);
  }

  private crash(e: Error): void {
    if (!this.worker) return;
    const cause = classifyFailure({
      ready: this.ready,
      name: e.name === 'WorkerCrash' ? undefined : e.name,
      message: e.message,
    });
    this.failures = nextFailureCount(this.failures, this.timing.now() - this.startedAt);
    this.crashReject?.(e);
    this.worker.terminate();
    this.worker = null;
    this.api = null;
    const detail = e.message;
    const delay = restartDelay(this.failures);
    if (delay === null) {
      const message = failedMessage(cause, this.failures, detail);
      this.unavailable = message;
      this.onEvent({ kind: 'failed', cause, failures: this.failures, message });
      return;
    }
    const message = restartingMessage(cause, this.failures, delay, detail);
    this.unavailable = message;
    this.onEvent({ kind: 'restarting', cause, failures: this.failures, delayMs: delay, message });
    const failures = this.failures;
    this.timing.setTimer(() => {
      if (this.worker || this.failures !== failures) return; // retry() came first
      this.start();
      this.onEvent({ kind: 'started' });
    }, delay);
  }

  /** After the client gave up (or while it waits): a fresh worker now, with a fresh count of failures. */
  retry(): void {
    if (this.worker) return;
    this.failures = 0;
    this.start();
    this.onEvent({ kind: 'started' });
  }

  /** 'running' with a worker; 'waiting' before a restart; 'failed' once the client gave up. */
  get state(): 'running' | 'waiting' | 'failed' {
    if (this.worker) return 'running';
    return restartDelay(this.failures) === null ? 'failed' : 'waiting';
  }

  /** Runs fn against the worker; a failure while it runs rejects with WorkerCrash and restarts the worker. */
  async call<T>(fn: (api: Remote) => Promise<T>): Promise<T> {
    if (!this.api) throw new WorkerUnavailable(this.unavailable ?? 'the pipeline worker is not running');
    const crashed = this.crashed;
    try {
      return await Promise.race([fn(this.api), crashed]);
    } catch (e) {
      if (isFatalWorkerError(e) && !(e instanceof WorkerCrash)) this.crash(e as Error);
      throw e;
    }
  }

  /**
   * Cancels the running step. With the shared flag the worker sees it between batches even while busy;
   * without it (no cross-origin isolation) a message, handled once the worker yields.
   */
  cancel(): void {
    if (this.cancelFlag) Atomics.store(this.cancelFlag, 0, 1);
    else if (this.api) void this.api.cancel().catch(() => undefined);
  }

  /** For the crash test. */
  get remote(): Remote | null {
    return this.api;
  }

  terminate(): void {
    const w = this.worker;
    this.worker = null;
    this.api = null;
    w?.terminate();
  }
}

export const progressProxy = Comlink.proxy;

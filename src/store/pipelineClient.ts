// The UI side of the pipeline worker. Calls go through `call`, which turns a worker crash (the worker's
// 'error' event), a message that cannot be sent (DataCloneError) or an out-of-memory RangeError into a
// WorkerCrash, terminates the worker and starts a fresh one; the store then re-applies the user's settings.
import * as Comlink from 'comlink';
import type { PipelineApi } from '../../workers/pipeline.worker';

export class WorkerCrash extends Error {
  override name = 'WorkerCrash';
}

export type Remote = Comlink.Remote<PipelineApi>;

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

export function describeCrash(e: unknown): string {
  const err = e as { name?: string; message?: string };
  if (err?.name === 'RangeError')
    return `The pipeline worker ran out of memory (${err.message}). It was restarted; try a smaller model or fewer tokens.`;
  if (err?.name === 'DataCloneError')
    return `A message to the pipeline worker could not be sent (${err.message}). The worker was restarted.`;
  return `The pipeline worker crashed (${err?.message ?? String(e)}). It was restarted and your settings are being re-applied.`;
}

export class PipelineClient {
  private worker!: Worker;
  private api!: Remote;
  private crashReject: ((e: Error) => void) | null = null;
  private crashed!: Promise<never>;
  /** Shared cancel flag (cross-origin isolated pages): read by the worker between onnxruntime batches. */
  private cancelFlag: Int32Array | null = null;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly onCrash: (message: string) => void,
  ) {
    this.start();
  }

  private start(): void {
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
      if (worker === this.worker) this.crash(new WorkerCrash(ev.message || 'uncaught error in the worker'));
    });
    worker.addEventListener('messageerror', () => {
      if (worker === this.worker) this.crash(new WorkerCrash('a message from the worker could not be read'));
    });
    this.api = Comlink.wrap<PipelineApi>(this.worker);
    if (globalThis.crossOriginIsolated && typeof SharedArrayBuffer !== 'undefined') {
      this.cancelFlag = new Int32Array(new SharedArrayBuffer(4));
      void this.api.useCancelFlag(this.cancelFlag.buffer as SharedArrayBuffer);
    } else {
      this.cancelFlag = null;
    }
  }

  private crash(e: Error): void {
    this.crashReject?.(e);
    this.worker.terminate();
    this.start();
    this.onCrash(describeCrash(e));
  }

  /** Runs fn against the worker; a crash while it runs rejects with WorkerCrash and restarts the worker. */
  async call<T>(fn: (api: Remote) => Promise<T>): Promise<T> {
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
    else void this.api.cancel();
  }

  /** For the crash test and for teardown. */
  get remote(): Remote {
    return this.api;
  }

  terminate(): void {
    const w = this.worker;
    this.worker = null as unknown as Worker;
    w.terminate();
  }
}

export const progressProxy = Comlink.proxy;

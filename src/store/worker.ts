// The store's one pipeline worker (created on first use, started again by PipelineClient after a failure,
// with a back-off, until it gives up: backoff.ts) and the helpers every step uses to read its answers.
import * as Comlink from 'comlink';
import type { Progress } from '../core/pipeline/results';
import { PipelineClient, type WorkerEvent } from './pipelineClient';

let client: PipelineClient | null = null;
let eventHandler: (e: WorkerEvent) => void = () => undefined;

function createWorker(): Worker {
  return new Worker(new URL('../../workers/pipeline.worker.ts', import.meta.url), {
    type: 'module',
    name: 'fgmp-pipeline',
  });
}

/** Called when the worker failed, was started again, or the client gave up (open.ts re-applies what was opened). */
export function onWorkerEvent(handler: (e: WorkerEvent) => void): void {
  eventHandler = handler;
}

export function pipeline(): PipelineClient {
  if (!client) client = new PipelineClient(createWorker, (e) => eventHandler(e));
  return client;
}

/** An error's message without its class name. */
export const message = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).replace(
    /^(CheckpointError|Error|TokenizerError|WorkerCrash|WorkerUnavailable): /,
    '',
  );
export const cancelled = (e: unknown) => (e as Error)?.name === 'CancelledError' || /cancelled/.test(message(e));
/** A progress callback the worker can call across the boundary. */
export const progress = (set: (p: Progress) => void) => Comlink.proxy(set);

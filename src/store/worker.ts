// The store's one pipeline worker (created on first use, restarted by PipelineClient after a crash) and
// the helpers every step uses to read its answers.
import * as Comlink from 'comlink';
import type { Progress } from '../core/pipeline/results';
import { PipelineClient } from './pipelineClient';

let client: PipelineClient | null = null;
let crashHandler: (message: string) => void = () => undefined;

function createWorker(): Worker {
  return new Worker(new URL('../../workers/pipeline.worker.ts', import.meta.url), {
    type: 'module',
    name: 'fgmp-pipeline',
  });
}

/** Called after the worker crashed and was restarted (open.ts re-applies what was opened). */
export function onWorkerCrash(handler: (message: string) => void): void {
  crashHandler = handler;
}

export function pipeline(): PipelineClient {
  if (!client) client = new PipelineClient(createWorker, (m) => crashHandler(m));
  return client;
}

/** An error's message without its class name. */
export const message = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).replace(/^(CheckpointError|Error|TokenizerError|WorkerCrash): /, '');
export const cancelled = (e: unknown) => (e as Error)?.name === 'CancelledError' || /cancelled/.test(message(e));
/** A progress callback the worker can call across the boundary. */
export const progress = (set: (p: Progress) => void) => Comlink.proxy(set);

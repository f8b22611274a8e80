// The pipeline worker's engine in the store: each fresh worker is asked for it first (PipelineClient.engine);
// EngineStatus shows it. It is never part of the share state (the numbers do not depend on it within
// WEBGPU_TOLERANCE and the thread-order differences, see src/core/runtime/engineChoice.ts).
import { patch } from './explorerStore';
import { message, pipeline } from './worker';

/** Reads the running worker's engine into the store (again after a restart: the caller passes the restart count). */
export function showEngine(): void {
  const client = pipeline();
  const asked = client.engine;
  asked.then(
    (choice) => client.engine === asked && patch('engine', { choice, error: null }),
    (e: unknown) => client.engine === asked && patch('engine', { choice: null, error: message(e) }),
  );
}

// The pipeline worker: a thin Comlink endpoint over PipelineService (load, calibrate, quantize, set
// budget via rankings, evaluate, sweep, cancel). Progress callbacks arrive as Comlink proxies.
import * as Comlink from 'comlink';
import { PipelineService } from './pipelineService';

class WorkerPipeline extends PipelineService {
  /** Test hook: an uncaught error in the worker, as a crash would raise (the client must restart it). */
  debugCrash(): void {
    setTimeout(() => {
      throw new Error('simulated worker crash');
    }, 0);
  }

  /** Test hook: weight Fishers of `bytes` or more go to storage (spill.ts), so that small models exercise it. */
  debugSpillFrom(bytes: number): void {
    this.spillFrom = bytes;
  }
}

export type PipelineApi = WorkerPipeline;

Comlink.expose(new WorkerPipeline());

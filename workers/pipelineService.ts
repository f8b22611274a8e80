// The pipeline worker's switch, as a plain class (testable in Node; pipeline.worker.ts exposes it over
// Comlink). Each message runs one src/core/pipeline Pipeline method; this file adds only what a worker
// needs around it: one lock (onnxruntime-web runs one session at a time), the cancel flag, one progress
// throttler, and wire conversion (protocol.ts). Browser storage and fetch live in src/platform.
import type { Projection } from '../src/core/model/types';
import { Pipeline, SPILL_MIN_BYTES, type RandomShape, type StepOptions } from '../src/core/pipeline/index';
import { chooseEngineHere, type EngineChoice, type EnginePreference } from '../src/core/runtime/selfCheck';
import { byteProgress, CancelledError, fetchBytes, MAX_MODEL_BYTES } from '../src/platform/fetchBytes';
import { openSpillFile } from '../src/platform/opfsSpill';
import type * as P from './protocol';
import { quantizeToWire } from './protocol';

export { CancelledError };

type Role = 'calibration' | 'evaluation';
type TensorRequest = P.QuantizeRequest & { evaluationTokens: number };

export class PipelineService {
  private setup: Promise<{ choice: EngineChoice; core: Pipeline }> | null = null;
  private abort = new AbortController();
  private lock: Promise<unknown> = Promise.resolve();
  /**
   * Cancel flag shared with the page. While onnxruntime runs batch after batch the worker never returns to
   * its event loop, so a cancel message would wait until the step ends; the flag is read between batches.
   */
  private cancelFlag: Int32Array | null = null;

  /** The engine (engineChoice.ts): chosen once, before the first session; the first caller's preference holds. */
  engine = async (pref?: EnginePreference): Promise<EngineChoice> => (await this.ready(pref)).choice;
  private ready = (pref?: EnginePreference) => (this.setup ??= chooseEngineHere(pref).then(this.withCore));
  /** A weight Fisher of this many bytes or more is kept in the origin-private file system (src/platform/opfsSpill.ts). */
  protected spillFrom = SPILL_MIN_BYTES;
  private withCore = (c: EngineChoice) => {
    const from = () => this.spillFrom;
    return {
      choice: c,
      core: new Pipeline({
        ...c,
        maxModelBytes: MAX_MODEL_BYTES,
        spillFile: openSpillFile,
        get spillFisherBytes() {
          return from();
        },
      }),
    };
  };

  useCancelFlag(buffer: SharedArrayBuffer): void {
    this.cancelFlag = new Int32Array(buffer);
  }

  /** Stops the running step (it throws CancelledError at its next check); later calls run normally. */
  cancel(): void {
    this.abort.abort();
    this.abort = new AbortController();
  }

  /** A new model or calibration text: stop what runs; a cancel flag still up was meant for that, not for us. */
  private supersede(): void {
    this.cancel();
    if (this.cancelFlag) Atomics.store(this.cancelFlag, 0, 0);
  }

  private readonly pollCancel = (): void => {
    if (this.cancelFlag && Atomics.exchange(this.cancelFlag, 0, 0) !== 0) this.cancel();
  };

  /**
   * One onnxruntime user at a time: long steps queue behind the lock. A cancel asked for before a step
   * started was meant for an earlier one; one that lands during the step (even its last batch) counts.
   */
  private exclusive<T>(
    onProgress: P.ProgressCallback | undefined,
    job: (o: StepOptions, core: Pipeline) => T | Promise<T>,
  ): Promise<T> {
    const start = async () => {
      if (this.cancelFlag) Atomics.store(this.cancelFlag, 0, 0);
      const { core } = await this.ready();
      const signal = this.abort.signal;
      try {
        const out = await job({ signal, onProgress: this.throttle(onProgress) }, core);
        if (signal.aborted) throw new CancelledError();
        return out;
      } catch (e) {
        if (signal.aborted) throw new CancelledError();
        throw e;
      }
    };
    const run = this.lock.then(start, start);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** The one progress throttler: reads the cancel flag, ~10 reports a second, the last always; fills in a rate. */
  private throttle(cb?: P.ProgressCallback): P.ProgressCallback {
    const t0 = performance.now();
    let last = -Infinity;
    return (p) => {
      this.pollCancel();
      const now = performance.now();
      if (!cb || (now - last < 100 && p.done < p.total)) return;
      last = now;
      const seconds = (now - t0) / 1000;
      const rate = p.rate || (seconds > 0.05 ? p.done / seconds : 0);
      cb({ ...p, rate, etaSeconds: p.rate ? p.etaSeconds : rate > 0 ? (p.total - p.done) / rate : NaN });
    };
  }

  // ---- the switch: one core call per message ----

  /** Loads a checkpoint (+ tokenizer) from files; on error the previous model stays loaded. */
  load(files: P.NamedBytes[], onProgress?: P.ProgressCallback): Promise<P.ModelSummary> {
    this.supersede();
    return this.loadNow(files, onProgress);
  }

  private loadNow(files: P.NamedBytes[], onProgress?: P.ProgressCallback): Promise<P.ModelSummary> {
    return this.exclusive(onProgress, (o, c) => {
      const total = files.reduce((s, f) => s + f.bytes.byteLength, 0);
      const report = byteProgress('load', 'Parsing checkpoint', total, o.onProgress!);
      report(0);
      const summary = c.load(files);
      report(total);
      return summary;
    });
  }

  loadRandom(shape: RandomShape, seed: number): Promise<P.ModelSummary> {
    this.supersede();
    return this.exclusive(undefined, (_, c) => c.loadRandom(shape, seed));
  }

  loadTokenizer(file: P.NamedBytes): Promise<P.ModelSummary> {
    this.supersede();
    return this.exclusive(undefined, (_, c) => c.loadTokenizer(file));
  }

  /** Fetches files (e.g. Hugging Face resolve/ links) with byte progress, then loads them. */
  async loadUrls(urls: string[], onProgress?: P.ProgressCallback): Promise<P.ModelSummary> {
    this.supersede();
    const files: P.NamedBytes[] = [];
    for (const url of urls) files.push(await fetchBytes(url, this.abort.signal, this.throttle(onProgress)));
    return this.loadNow(files, onProgress);
  }

  setText(role: Role, name: string, bytes: Uint8Array): Promise<P.TextSummary> {
    // New calibration text makes a running calibration moot; a new evaluation text just waits its turn.
    if (role === 'calibration') this.supersede();
    return this.exclusive(undefined, (_, c) => c.setText(role, name, bytes));
  }

  /** `data`: seeds for data-free calibration and evaluation (the model's own samples), null for the texts. */
  calibrate(
    calibrationTokens: number,
    onProgress?: P.ProgressCallback,
    data?: P.DataSeeds,
  ): Promise<P.CalibrationSummary> {
    return this.exclusive(onProgress, (o, c) => c.calibrate(calibrationTokens, o, data));
  }

  activationIndex(evaluationTokens: number): ReturnType<Pipeline['activationIndex']> {
    return this.exclusive(undefined, (o, c) => c.activationIndex(evaluationTokens, o));
  }

  evaluate(req: P.EvaluateRequest, onProgress?: P.ProgressCallback): Promise<P.EvaluateResult> {
    return this.exclusive(onProgress, (o, c) => c.evaluate(req, o));
  }

  /** Perplexity with every linear weight reduced to `keep` mantissa bits (the truncation lesson). */
  truncationPerplexity(req: P.TruncationRequest, onProgress?: P.ProgressCallback): Promise<P.TruncationResult> {
    return this.exclusive(onProgress, (o, c) => c.truncation(req, o));
  }

  sweep(
    req: P.SweepRequest,
    onProgress?: P.ProgressCallback,
    onPoint?: (p: P.SweepPoint) => void,
  ): Promise<P.SweepPoint[]> {
    return this.exclusive(onProgress, (o, c) => c.sweep(req, { ...o, onPoint }));
  }

  // Quick steps (no onnxruntime): answered at once, outside the lock.

  async quantize(req: TensorRequest, onProgress?: P.ProgressCallback): Promise<P.WireQuantizeResult> {
    return quantizeToWire((await this.ready()).core.quantize(req, this.throttle(onProgress)));
  }

  async tensorDetail(req: TensorRequest & { layer: number; proj: Projection }): Promise<P.TensorDetail> {
    return (await this.ready()).core.tensorDetail(req);
  }

  async blockCurve(layer: number, proj: Projection, block: number): Promise<P.BlockCurve> {
    return (await this.ready()).core.blockCurve(layer, proj, block);
  }
}

// What the pipeline worker does, as a plain class (testable in Node; pipeline.worker.ts only exposes it
// over Comlink). It holds the model, calibration results and quantized tensors so that the UI thread
// only ever receives compact results: rankings, one tensor's detail, perplexities.
//
// Calibration, rankings, thresholds and perplexity come from src/core/pipeline (FgmpSession over ONNX graphs
// in onnxruntime-web), configured as the CLI's `fgmp run` configures it, so both report the same numbers.
// Before calibration, the policies that need no Fisher (random, magnitude, unweighted) rank blocks here.
import { rankingToWire } from '../src/store/derive';
import { loadCheckpoint, loadTokenizerFile, CheckpointError, type InputFile } from '../src/core/model/loaders/index';
import {
  parameterCount,
  randomModel,
  STORIES15M_SHAPE,
  PROJECTIONS,
  projectionShape,
  type LlamaModel,
  type Projection,
} from '../src/core/model/types';
import {
  buildRanking,
  clippingCurve,
  prepareWeights,
  type BlockRanking,
  type PreparedTensor,
} from '../src/core/fgmp/index';
import type { ClippingId, Fp8Scaling, RandomShape } from '../src/core/url/shareState';
import {
  calibrate,
  encodeTextPrefix,
  FgmpSession,
  tensorKey as pipelineKey,
  textSequences,
  type CalibrationResult,
  type Progress as PipelineProgress,
  type TokenSequences,
} from '../src/core/pipeline/index';
import { LlamaEngine } from '../src/core/runtime/engine';
import type { RuntimeOptions } from '../src/core/runtime/ort';
import { reduceMantissa } from '../src/core/formats/truncate';
import type {
  BlockCurve,
  CalibrationSummary,
  EvaluateRequest,
  EvaluateResult,
  ModelSummary,
  NamedBytes,
  Progress,
  ProgressCallback,
  QuantizeRequest,
  QuantizeResult,
  Stage,
  SweepPoint,
  SweepRequest,
  TensorDetail,
  TextSummary,
  TruncationRequest,
  TruncationResult,
} from './protocol';

/** Files above this are refused before reading (a browser tab cannot hold much more). */
export const MAX_MODEL_BYTES = 1.5 * 2 ** 30;
const ENGINE = 'src/core/pipeline (onnxruntime-web wasm, 1 thread)';
/** One thread, as the CLI's default: the same summation order, hence the same numbers. */
const RUNTIME: RuntimeOptions = { threads: 1 };

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** Progress with rate and time left, throttled to ~10 reports a second. */
export function progressReporter(
  stage: Stage,
  label: string,
  total: number,
  unit: Progress['unit'],
  cb?: ProgressCallback,
  poll?: () => void,
) {
  const t0 = performance.now();
  let last = -Infinity;
  return (done: number, force = false) => {
    poll?.();
    if (!cb) return;
    const now = performance.now();
    if (!force && now - last < 100 && done < total) return;
    last = now;
    const seconds = (now - t0) / 1000;
    const rate = seconds > 0.05 ? done / seconds : 0;
    cb({ stage, label, done, total, unit, rate, etaSeconds: rate > 0 ? (total - done) / rate : NaN });
  };
}

const key = (layer: number, proj: Projection) => `${layer}/${proj}`;

export class PipelineService {
  private model: LlamaModel | null = null;
  private summary: ModelSummary | null = null;
  private texts = new Map<'calibration' | 'evaluation', { name: string; text: string }>();
  private calib: { result: CalibrationResult; sequences: TokenSequences } | null = null;
  private session: { session: FgmpSession } | null = null;
  private sessionKey = '';
  private actShares = new Map<string, Record<string, number>>();
  private uncalibrated = new Map<string, PreparedTensor[]>();
  private uncalibratedRankings = new Map<string, BlockRanking>();
  private abort = new AbortController();
  /** Truncated-weight perplexities per FgmpSession (a new session, i.e. new model or tokens, starts afresh). */
  private truncationCache = new WeakMap<FgmpSession, Map<string, TruncationResult>>();
  /** Bumped when the model or its tokenizer changes: a calibration that started before is dropped. */
  private generation = 0;

  // ---- public API: one ORT user at a time ----
  // onnxruntime-web runs one session at a time per wasm instance ("Session mismatch" otherwise), and a new
  // model must not be swapped in under a running calibration: long steps queue behind a lock, and the
  // steps that replace the model or its data first cancel whatever runs.

  private lock: Promise<unknown> = Promise.resolve();
  /**
   * Cancel flag shared with the page. While onnxruntime runs batch after batch the worker never returns to
   * its event loop, so a cancel message would wait until the step ends; the flag is read between batches.
   */
  private cancelFlag: Int32Array | null = null;

  useCancelFlag(buffer: SharedArrayBuffer): void {
    this.cancelFlag = new Int32Array(buffer);
  }

  private readonly pollCancel = (): void => {
    if (this.cancelFlag && Atomics.exchange(this.cancelFlag, 0, 0) !== 0) this.cancel();
  };

  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const start = () => {
      // A cancel asked for before this job started was meant for an earlier one.
      if (this.cancelFlag) Atomics.store(this.cancelFlag, 0, 0);
      return job();
    };
    const run = this.lock.then(start, start);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Loads a checkpoint (+ tokenizer) from files; on error the previous model stays loaded. */
  load(files: NamedBytes[], onProgress?: ProgressCallback): Promise<ModelSummary> {
    this.cancel();
    return this.exclusive(() => this.loadNow(files, onProgress));
  }

  loadRandom(shape: RandomShape, seed: number): Promise<ModelSummary> {
    this.cancel();
    return this.exclusive(() => this.loadRandomNow(shape, seed));
  }

  loadTokenizer(file: NamedBytes): Promise<ModelSummary> {
    this.cancel();
    return this.exclusive(() => this.loadTokenizerNow(file));
  }

  setText(role: 'calibration' | 'evaluation', name: string, bytes: Uint8Array): Promise<TextSummary> {
    // New calibration text makes a running calibration moot; a new evaluation text just waits its turn.
    if (role === 'calibration') this.cancel();
    return this.exclusive(() => this.setTextNow(role, name, bytes));
  }

  calibrate(calibrationTokens: number, onProgress?: ProgressCallback): Promise<CalibrationSummary> {
    return this.exclusive(() => this.calibrateNow(calibrationTokens, onProgress));
  }

  activationShares(activationBudget: number, evaluationTokens: number): Promise<Record<string, number> | null> {
    return this.exclusive(() => this.activationSharesNow(activationBudget, evaluationTokens));
  }

  evaluate(req: EvaluateRequest, onProgress?: ProgressCallback): Promise<EvaluateResult> {
    return this.exclusive(() => this.evaluateNow(req, onProgress));
  }

  /** Perplexity with every linear weight reduced to `keep` mantissa bits (the truncation lesson). */
  truncationPerplexity(req: TruncationRequest, onProgress?: ProgressCallback): Promise<TruncationResult> {
    return this.exclusive(() => this.truncationPerplexityNow(req, onProgress));
  }

  sweep(req: SweepRequest, onProgress?: ProgressCallback, onPoint?: (p: SweepPoint) => void): Promise<SweepPoint[]> {
    return this.exclusive(() => this.sweepNow(req, onProgress, onPoint));
  }

  // ---- model ----

  private async loadNow(files: NamedBytes[], onProgress?: ProgressCallback): Promise<ModelSummary> {
    const total = files.reduce((s, f) => s + f.bytes.byteLength, 0);
    if (total > MAX_MODEL_BYTES)
      throw new CheckpointError(
        `the files hold ${(total / 2 ** 20).toFixed(0)} MiB; the explorer runs models up to ${(MAX_MODEL_BYTES / 2 ** 20).toFixed(0)} MiB in the browser`,
      );
    const report = progressReporter('load', 'Parsing checkpoint', total, 'bytes', onProgress);
    report(0, true);
    const loaded = loadCheckpoint(files as InputFile[]);
    report(total, true);
    this.setModel(loaded.model, {
      name: loaded.report.name,
      format: loaded.report.format,
      variant: loaded.report.variant,
      bytes: loaded.report.bytes,
      tensors: loaded.report.tensors.map((t) => ({ ...t })),
      nanCount: loaded.report.nanCount,
      warnings: [...loaded.report.warnings],
    });
    return this.summary!;
  }

  /** Fetches files (e.g. Hugging Face resolve/ links) with byte progress, then loads them. */
  async loadUrls(urls: string[], onProgress?: ProgressCallback): Promise<ModelSummary> {
    this.cancel();
    const files: NamedBytes[] = [];
    for (const url of urls) files.push(await this.fetchBytes(url, onProgress));
    return this.exclusive(() => this.loadNow(files, onProgress));
  }

  async fetchBytes(url: string, onProgress?: ProgressCallback): Promise<NamedBytes> {
    const signal = this.abort.signal;
    let res: Response;
    try {
      res = await fetch(url, { signal, mode: 'cors' });
    } catch (e) {
      if (signal.aborted) throw new CancelledError();
      throw new Error(
        `could not fetch ${url}: ${(e as Error).message} (the server may not allow cross-origin requests)`,
      );
    }
    if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > MAX_MODEL_BYTES)
      throw new CheckpointError(
        `${url} is ${(declared / 2 ** 20).toFixed(0)} MiB; the explorer runs models up to ${(MAX_MODEL_BYTES / 2 ** 20).toFixed(0)} MiB`,
      );
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'download.bin');
    const report = progressReporter(
      'fetch',
      `Downloading ${name}`,
      Number.isFinite(declared) ? declared : 0,
      'bytes',
      onProgress,
      this.pollCancel,
    );
    const reader = res.body?.getReader();
    if (!reader) return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
    const chunks: Uint8Array[] = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.byteLength;
      if (got > MAX_MODEL_BYTES)
        throw new CheckpointError(
          `${url} is larger than ${(MAX_MODEL_BYTES / 2 ** 20).toFixed(0)} MiB; the explorer cannot hold it`,
        );
      report(got);
    }
    report(got, true);
    const bytes = new Uint8Array(got);
    let o = 0;
    for (const c of chunks) {
      bytes.set(c, o);
      o += c.byteLength;
    }
    return { name, bytes };
  }

  /** A deterministic random model of a known shape (no tokenizer, no text: policies that need no Fisher). */
  private async loadRandomNow(shape: RandomShape, seed: number): Promise<ModelSummary> {
    if (shape !== 'stories15M') throw new Error(`unknown random shape ${shape}`);
    const model = randomModel(STORIES15M_SHAPE, seed);
    model.source.name = `random ${shape} (seed ${seed})`;
    const tensors = [...namedTensorShapes(model)];
    this.setModel(model, {
      name: model.source.name,
      format: 'random',
      variant: `${shape} shape, normal init`,
      bytes: parameterCount(model.config) * 4,
      tensors,
      nanCount: 0,
      warnings: [],
    });
    return this.summary!;
  }

  /** Adds or replaces the tokenizer of the loaded model. */
  private async loadTokenizerNow(file: NamedBytes): Promise<ModelSummary> {
    const model = this.requireModel();
    model.tokenizer = loadTokenizerFile(file as InputFile, model.config.vocabSize);
    this.summary = { ...this.summary!, tokenizer: file.name, tokenizerVocab: model.tokenizer.vocabSize };
    this.resetDerived();
    return this.summary;
  }

  private setModel(model: LlamaModel, s: Omit<ModelSummary, 'config' | 'parameters' | 'tokenizer' | 'tokenizerVocab'>) {
    this.model = model;
    this.summary = {
      ...s,
      config: { ...model.config },
      parameters: parameterCount(model.config),
      tokenizer: model.tokenizer ? (model.source.format === 'llama2c' ? 'tokenizer file' : 'embedded') : null,
      tokenizerVocab: model.tokenizer?.vocabSize ?? null,
    };
    this.resetDerived();
  }

  /** Forgets everything computed from the model, its tokenizer or the texts. */
  private resetDerived(): void {
    this.generation++;
    this.calib = null;
    void this.dropSession();
    this.uncalibrated.clear();
    this.uncalibratedRankings.clear();
  }

  private requireModel(): LlamaModel {
    if (!this.model) throw new Error('no model is loaded: open a checkpoint first');
    return this.model;
  }

  // ---- text ----

  private async setTextNow(role: 'calibration' | 'evaluation', name: string, bytes: Uint8Array): Promise<TextSummary> {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\r\n/g, '\n');
    if (text.trim().length === 0) throw new Error(`${name} holds no text`);
    this.texts.set(role, { name, text });
    if (role === 'calibration') this.resetDerived();
    else void this.dropSession();
    const tok = this.model?.tokenizer;
    // Tokens counted on a prefix: the pipeline only ever encodes as much as it uses.
    return {
      name,
      characters: text.length,
      tokens: tok ? tok.encode(text.slice(0, 200_000)).length : 0,
      tokensCounted: Math.min(text.length, 200_000),
    };
  }

  // ---- calibration ----

  /**
   * Fisher calibration with src/core/pipeline (ONNX forward+backward), exactly as `fgmp run` does it:
   * ceil(tokens / seqLen) sequences of min(256, context) tokens from the calibration text.
   */
  private async calibrateNow(calibrationTokens: number, onProgress?: ProgressCallback): Promise<CalibrationSummary> {
    const model = this.requireModel();
    const tok = model.tokenizer;
    if (!tok) throw new Error('the model has no tokenizer: open its tokenizer file (e.g. tok512.bin) too');
    const text = this.texts.get('calibration');
    if (!text) throw new Error('no calibration text: choose a text file');
    const seqLen = Math.min(256, model.config.maxSeqLen);
    const count = Math.max(1, Math.ceil(calibrationTokens / seqLen));
    const sequences = textSequences(tok, text.text, count, seqLen, text.name);
    const signal = this.abort.signal;
    const generation = this.generation;
    const engine = LlamaEngine.forModel(model, RUNTIME);
    try {
      const result = await calibrate(engine, sequences, {
        signal,
        onProgress: pipelineProgress('calibrate', 'Calibrating Fisher information', onProgress, this.pollCancel),
      });
      // A cancel that came during the last batch still counts: the user asked to stop.
      if (signal.aborted) throw new CancelledError();
      if (generation !== this.generation)
        throw new Error('the model or its data changed during calibration; calibrate again');
      this.calib = { result, sequences };
    } catch (e) {
      if (signal.aborted) throw new CancelledError();
      throw e;
    } finally {
      await engine.dispose();
    }
    await this.dropSession();
    const r = this.calib.result;
    return {
      tokens: r.tokens,
      sequences: r.sequences,
      sequenceLength: r.seqLen,
      meanNll: r.meanNll,
      seconds: r.seconds,
      engine: ENGINE,
    };
  }

  private async dropSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.sessionKey = '';
    this.actShares.clear();
    await s?.session.dispose().catch(() => undefined);
  }

  /** The FgmpSession for the current calibration and evaluation text, rebuilt when the token count changes. */
  private fgmp(evaluationTokens: number): FgmpSession {
    const model = this.requireModel();
    if (!this.calib) throw new Error('not calibrated yet: choose a calibration text');
    const evalText = this.texts.get('evaluation');
    const key = `${evaluationTokens}|${evalText?.name ?? '(held out)'}`;
    if (this.session && this.sessionKey === key) return this.session.session;
    if (this.session) void this.session.session.dispose().catch(() => undefined);
    const tok = model.tokenizer!;
    let stream: number[];
    if (evalText) {
      stream = encodeTextPrefix(tok, evalText.text, evaluationTokens).slice(0, evaluationTokens);
    } else {
      // No evaluation text: hold out the calibration text after the part calibration used.
      const cal = this.texts.get('calibration')!;
      const used = this.calib.result.tokens + this.calib.result.sequences;
      stream = encodeTextPrefix(tok, cal.text, used + evaluationTokens).slice(used, used + evaluationTokens);
    }
    if (stream.length < 2) throw new Error('the evaluation text holds fewer than 2 tokens');
    const session = new FgmpSession(model, this.calib.result, this.calib.sequences, stream, {
      runtime: RUNTIME,
      seed: 0,
    });
    this.session = { session };
    this.sessionKey = key;
    this.actShares.clear();
    return session;
  }

  // ---- quantization and policy ----

  private effectiveClipping(clipping: ClippingId): ClippingId {
    return clipping === 'fisher' && !this.calib ? 'mse' : clipping;
  }

  /** Quantized tensors: the session's when calibrated, else (policies without Fisher) computed here. */
  private prepare(
    clipping: ClippingId,
    fp8Scaling: Fp8Scaling,
    evaluationTokens: number,
    onProgress?: ProgressCallback,
  ): PreparedTensor[] {
    const model = this.requireModel();
    const clip = this.effectiveClipping(clipping);
    const scale = fp8Scaling === 'per-channel' ? 'row' : 'tensor';
    if (this.calib) return this.fgmp(evaluationTokens).preparedWeights(clip, scale);
    const k = `${clip}|${scale}`;
    let prepared = this.uncalibrated.get(k);
    if (!prepared) {
      const report = progressReporter(
        'quantize',
        'Quantizing weights (NVFP4 with clip search, FP8)',
        model.config.nLayers * PROJECTIONS.length,
        'tensors',
        onProgress,
      );
      prepared = prepareWeights(model.config, model.weights, { clip, fp8Scale: scale, onProgress: (d) => report(d) });
      this.uncalibrated.set(k, prepared);
    }
    return prepared;
  }

  private ranking(req: QuantizeRequest & { evaluationTokens: number }, onProgress?: ProgressCallback): BlockRanking {
    const clip = this.effectiveClipping(req.clipping);
    const scale = req.fp8Scaling === 'per-channel' ? 'row' : 'tensor';
    if (this.calib) return this.fgmp(req.evaluationTokens).ranking(req.policy, clip, scale);
    if (req.policy === 'fgmp' || req.policy === 'uniform')
      throw new Error(
        `the ${req.policy === 'fgmp' ? 'FGMP' : 'per-layer uniform'} policy ranks blocks by Fisher information: calibrate first`,
      );
    const k = `${req.policy}|${clip}|${scale}`;
    let r = this.uncalibratedRankings.get(k);
    if (!r) {
      // Same seed as FgmpSession (0) so the random baseline does not change when calibration arrives.
      r = buildRanking(this.prepare(req.clipping, req.fp8Scaling, req.evaluationTokens, onProgress), req.policy, {
        seed: 0,
      });
      this.uncalibratedRankings.set(k, r);
    }
    return r;
  }

  /** Quantizes (cached per clipping and scaling), ranks blocks for the policy, returns the ranking to answer budgets with. */
  async quantize(
    req: QuantizeRequest & { evaluationTokens: number },
    onProgress?: ProgressCallback,
  ): Promise<QuantizeResult> {
    const ranking = this.ranking(req, onProgress);
    const notes: string[] = [];
    const clippingUsed = this.effectiveClipping(req.clipping);
    if (clippingUsed !== req.clipping)
      notes.push('Fisher-weighted clipping needs calibration; MSE clipping is used until then.');
    return {
      policy: req.policy,
      clipping: req.clipping,
      fp8Scaling: req.fp8Scaling,
      ranking: rankingToWire(ranking),
      activations: null,
      clippingUsed,
      notes,
    };
  }

  /**
   * FP8 share of calibration activation blocks per linear input for an activation budget, with the
   * pipeline's τ (FP8 when score > τ). One round trip per budget; cached.
   */
  private async activationSharesNow(
    activationBudget: number,
    evaluationTokens: number,
  ): Promise<Record<string, number> | null> {
    if (!this.calib) return null;
    const session = this.fgmp(evaluationTokens);
    const k = String(activationBudget);
    const hit = this.actShares.get(k);
    if (hit) return hit;
    const scores = await session.calibrationScores({ signal: this.abort.signal });
    const taus = await session.activationThresholds(activationBudget, 'global');
    const out: Record<string, number> = {};
    session.sites.forEach((site, i) => {
      const s = scores.get(pipelineKey(site.layer, site.proj))!;
      const tau = taus[i].tau;
      let n = 0;
      for (let j = 0; j < s.length; j++) if (s[j] > tau) n++;
      out[key(site.layer, site.proj)] = s.length ? n / s.length : 0;
    });
    this.actShares.set(k, out);
    return out;
  }

  /** Everything the block grid and clipping views show for one tensor. */
  async tensorDetail(
    req: QuantizeRequest & { layer: number; proj: Projection; evaluationTokens: number },
  ): Promise<TensorDetail> {
    const t = this.prepare(req.clipping, req.fp8Scaling, req.evaluationTokens).find(
      (x) => x.layer === req.layer && x.proj === req.proj,
    );
    if (!t) throw new Error(`no tensor layer ${req.layer} ${req.proj}`);
    const curve = t.quant.curve ?? clippingCurve(t.weight, t.rows, t.cols, { fisher: t.fisher });
    return {
      layer: t.layer,
      proj: t.proj,
      rows: t.rows,
      cols: t.cols,
      weight: t.weight.slice(),
      qLo: t.quant.qLo.slice(),
      qHi: t.quant.qHi.slice(),
      clipRatio: t.quant.clipRatio.slice(),
      fisher: t.fisher ? t.fisher.slice() : null,
      nvfp4TensorScale: t.quant.nvfp4TensorScale,
      fp8Scales: t.quant.fp8Scales.slice(),
      curve: { grid: [...curve.grid], mse: curve.mse.slice(), fisherMse: curve.fisherMse.slice() },
    };
  }

  async blockCurve(layer: number, proj: Projection, block: number): Promise<BlockCurve> {
    const model = this.requireModel();
    const [rows, cols] = projectionShape(model.config, proj);
    const fisher = this.calib?.result.weightFisher.get(pipelineKey(layer, proj));
    const c = clippingCurve(model.weights.layers[layer][proj], rows, cols, { fisher, block });
    return { block, grid: [...c.grid], mse: c.mse, fisherMse: c.fisherMse };
  }

  // ---- evaluation ----

  /** Perplexity, memory and energy of a configuration (src/core/pipeline: ONNX forward with the activation unit). */
  private async evaluateNow(req: EvaluateRequest, onProgress?: ProgressCallback): Promise<EvaluateResult> {
    const session = this.fgmp(req.evaluationTokens);
    const signal = this.abort.signal;
    const clip = this.effectiveClipping(req.clipping);
    const fp8Scaling = req.fp8Scaling === 'per-channel' ? 'row' : 'tensor';
    const t0 = performance.now();
    const progress = {
      signal,
      onProgress: pipelineProgress(
        'evaluate',
        `Perplexity (${req.variant === 'mixed' ? 'this configuration' : `all-${req.variant.toUpperCase()}`})`,
        onProgress,
        this.pollCancel,
      ),
    };
    try {
      if (req.variant === 'float') {
        const f = await session.evaluateFloat32(progress);
        return {
          meanNll: f.meanNll,
          ppl: f.ppl,
          tokens: f.tokens,
          seconds: f.seconds,
          engine: ENGINE,
          activationThreshold: NaN,
          fp8Share: null,
          weightBits: null,
          weightBitsPerWeight: null,
          energyVsFp8: null,
          actFp8Share: null,
        };
      }
      const [budget, actBudget] =
        req.variant === 'fp8' ? [1, 1] : req.variant === 'nvfp4' ? [0, 0] : [req.weightBudget, req.activationBudget];
      const r = await session.evaluate(
        { policy: req.policy, budget, actBudget, clip, fp8Scaling, actTau: 'global' },
        progress,
      );
      if (signal.aborted) throw new CancelledError();
      return {
        meanNll: r.meanNll,
        ppl: r.ppl,
        tokens: r.tokens,
        seconds: (performance.now() - t0) / 1000,
        engine: ENGINE,
        activationThreshold: typeof r.tau === 'number' ? r.tau : NaN,
        fp8Share: r.fp8Share,
        weightBits: r.weightBits,
        weightBitsPerWeight: r.weightBitsPerWeight,
        energyVsFp8: r.energy.vsFp8,
        actFp8Share: r.actFp8Share,
      };
    } catch (e) {
      if (signal.aborted) throw new CancelledError();
      throw e;
    }
  }

  /**
   * The session's evaluation tokens through the float32 graph with every linear projection's weights
   * truncated or rounded to `keep` mantissa bits by src/core/formats/truncate.ts (embeddings, norms and the
   * classifier stay float32). Cached per (keep, mode) for the current session.
   */
  private async truncationPerplexityNow(req: TruncationRequest, onProgress?: ProgressCallback): Promise<TruncationResult> {
    if (!Number.isInteger(req.keep) || req.keep < 0 || req.keep > 23)
      throw new Error(`mantissa bits to keep must be an integer in 0..23, got ${req.keep}`);
    if (req.mode !== 'truncate' && req.mode !== 'round')
      throw new Error(`mode must be "truncate" or "round", got "${String(req.mode)}"`);
    const session = this.fgmp(req.evaluationTokens);
    let cache = this.truncationCache.get(session);
    if (!cache) this.truncationCache.set(session, (cache = new Map()));
    const k = `${req.keep}|${req.mode}`;
    const hit = cache.get(k);
    if (hit) return hit;
    const signal = this.abort.signal;
    const t0 = performance.now();
    const progress = (label: string) => ({
      signal,
      onProgress: pipelineProgress('evaluate', label, onProgress, this.pollCancel),
    });
    try {
      const float = await session.evaluateFloat32(progress('Perplexity (float32)'));
      const r = await session.evaluateLinearTransform(
        (w) => reduceMantissa(w, req.keep, req.mode),
        progress(`Perplexity (${req.keep} mantissa bits, ${req.mode === 'truncate' ? 'truncated' : 'rounded'})`),
      );
      if (signal.aborted) throw new CancelledError();
      const result: TruncationResult = {
        keep: req.keep,
        mode: req.mode,
        evaluationTokens: req.evaluationTokens,
        ppl: r.ppl,
        meanNll: r.meanNll,
        float32Ppl: float.ppl,
        float32MeanNll: float.meanNll,
        tokens: r.tokens,
        seconds: (performance.now() - t0) / 1000,
        weights: 'every linear projection (q, k, v, o, gate, up, down of each layer)',
        engine: ENGINE,
      };
      cache.set(k, result);
      return result;
    } catch (e) {
      if (signal.aborted) throw new CancelledError();
      throw e;
    }
  }

  /** Perplexity for every policy at each budget (the session shares budgets 0 and 1 between policies). */
  private async sweepNow(
    req: SweepRequest,
    onProgress?: ProgressCallback,
    onPoint?: (p: SweepPoint) => void,
  ): Promise<SweepPoint[]> {
    const points: SweepPoint[] = [];
    const jobs = req.budgets.flatMap((budget) => req.policies.map((policy) => ({ policy, budget })));
    const report = progressReporter(
      'sweep',
      'Sweep: perplexity of each block-selection rule',
      jobs.length,
      'points',
      onProgress,
    );
    let done = 0;
    for (const job of jobs) {
      this.pollCancel();
      if (this.abort.signal.aborted) throw new CancelledError();
      const r = await this.evaluateNow({ ...req, policy: job.policy, weightBudget: job.budget, variant: 'mixed' });
      const p = {
        policy: job.policy,
        weightBudget: job.budget,
        ppl: r.ppl,
        meanNll: r.meanNll,
        energyVsFp8: r.energyVsFp8 ?? NaN,
      };
      points.push(p);
      onPoint?.(p);
      report(++done, true);
    }
    return points;
  }

  /** Stops the running step (it throws CancelledError at its next check); later calls run normally. */
  cancel(): void {
    this.abort.abort();
    this.abort = new AbortController();
  }
}

/** The pipeline's progress (tokens, rate, time left) as the UI's. */
function pipelineProgress(stage: Stage, label: string, cb: ProgressCallback | undefined, poll: () => void) {
  let last = -Infinity;
  return (p: PipelineProgress) => {
    poll();
    if (!cb) return;
    const now = performance.now();
    if (now - last < 100 && p.tokensDone < p.tokensTotal) return;
    last = now;
    cb({
      stage,
      label,
      done: p.tokensDone,
      total: p.tokensTotal,
      unit: 'tokens',
      rate: p.tokensPerSecond,
      etaSeconds: p.secondsLeft,
    });
  };
}

function* namedTensorShapes(model: LlamaModel) {
  const c = model.config;
  yield {
    name: 'tokenEmbedding',
    storedName: 'token_embedding',
    shape: [c.vocabSize, c.dim],
    dtype: 'F32',
    numel: c.vocabSize * c.dim,
    nanCount: 0,
  };
  for (let l = 0; l < c.nLayers; l++)
    for (const p of PROJECTIONS) {
      const s = projectionShape(c, p);
      yield {
        name: `layers.${l}.${p}`,
        storedName: `layers.${l}.${p}`,
        shape: s,
        dtype: 'F32',
        numel: s[0] * s[1],
        nanCount: 0,
      };
    }
}

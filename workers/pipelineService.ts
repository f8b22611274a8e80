// What the pipeline worker does, as a plain class (testable in Node; pipeline.worker.ts only exposes it
// over Comlink). It holds the model, calibration results and quantized tensors so that the UI thread
// only ever receives compact results: rankings, one tensor's detail, perplexities.
//
// Engines: until src/core/pipeline (ONNX graphs in onnxruntime-web) lands, calibration and perplexity run
// on the plain-TypeScript reference forward/backward in float32 — exact but slow, fine for stories260K.
import { loadCheckpoint, loadTokenizerFile, CheckpointError, type InputFile } from '../src/core/model/loaders/index';
import { parameterCount, randomModel, STORIES15M_SHAPE, PROJECTIONS, projectionShape, type LlamaModel, type Projection } from '../src/core/model/types';
import { referenceBackward, referenceForward } from '../src/core/model/reference/index';
import type { RefArray } from '../src/core/model/reference/index';
import { answerBudget, allMasks, buildRanking, clippingCurve, mixTensor, prepareWeights, type BlockRanking, type PreparedTensor } from '../src/core/fgmp/index';
import { sortDescendingStable } from '../src/core/fgmp/sort';
import type { ClippingId, Fp8Scaling, PolicyId, RandomShape } from '../src/core/url/shareState';
import { mixActivations, quantizeActivations } from './activationUnit';
import { hwParams, simulateHardware, type HwParamKey } from '../src/core/hw/index';
import { answerActivationBudget } from '../src/store/derive';
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
  WireActivationRanking,
  WireRanking,
} from './protocol';

/** Files above this are refused before reading (a browser tab cannot hold much more). */
export const MAX_MODEL_BYTES = 1.5 * 2 ** 30;
/** Tokens of calibration activations kept to place the activation threshold. */
const ACTIVATION_SAMPLE_TOKENS = 1024;
const REFERENCE_ENGINE = 'reference forward/backward (TypeScript, float32)';

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** Progress with rate and time left, throttled to ~10 reports a second. */
export function progressReporter(stage: Stage, label: string, total: number, unit: Progress['unit'], cb?: ProgressCallback) {
  const t0 = performance.now();
  let last = -Infinity;
  return (done: number, force = false) => {
    if (!cb) return;
    const now = performance.now();
    if (!force && now - last < 100 && done < total) return;
    last = now;
    const seconds = (now - t0) / 1000;
    const rate = seconds > 0.05 ? done / seconds : 0;
    cb({ stage, label, done, total, unit, rate, etaSeconds: rate > 0 ? (total - done) / rate : NaN });
  };
}

const yieldToEvents = () => new Promise<void>((r) => setTimeout(r, 0));

interface Calibration {
  weightFisher: Map<string, Float32Array>;
  /** Per (layer, proj): mean over tokens of (∂L/∂x_c)². */
  channelFisher: Map<string, Float64Array>;
  /** Calibration activation samples [tokens, in] per (layer, proj). */
  samples: Map<string, { x: Float32Array; rows: number; cols: number }>;
  summary: CalibrationSummary;
}

const key = (layer: number, proj: Projection) => `${layer}/${proj}`;

export class PipelineService {
  private model: LlamaModel | null = null;
  private summary: ModelSummary | null = null;
  private texts = new Map<'calibration' | 'evaluation', { name: string; text: string; ids: number[] | null }>();
  private calibration: Calibration | null = null;
  private prepared = new Map<string, PreparedTensor[]>();
  private rankings = new Map<string, BlockRanking>();
  private activationScores: { ranking: WireActivationRanking; sorted: Float64Array } | null = null;
  private abort = new AbortController();

  // ---- model ----

  /** Loads a checkpoint (+ tokenizer) from files; on error the previous model stays loaded. */
  async load(files: NamedBytes[], onProgress?: ProgressCallback): Promise<ModelSummary> {
    const total = files.reduce((s, f) => s + f.bytes.byteLength, 0);
    if (total > MAX_MODEL_BYTES)
      throw new CheckpointError(`the files hold ${(total / 2 ** 20).toFixed(0)} MiB; the explorer runs models up to ${(MAX_MODEL_BYTES / 2 ** 20).toFixed(0)} MiB in the browser`);
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
    const files: NamedBytes[] = [];
    for (const url of urls) files.push(await this.fetchBytes(url, onProgress));
    return this.load(files, onProgress);
  }

  async fetchBytes(url: string, onProgress?: ProgressCallback): Promise<NamedBytes> {
    const signal = this.abort.signal;
    let res: Response;
    try {
      res = await fetch(url, { signal, mode: 'cors' });
    } catch (e) {
      if (signal.aborted) throw new CancelledError();
      throw new Error(`could not fetch ${url}: ${(e as Error).message} (the server may not allow cross-origin requests)`);
    }
    if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > MAX_MODEL_BYTES) throw new CheckpointError(`${url} is ${(declared / 2 ** 20).toFixed(0)} MiB; the explorer runs models up to ${(MAX_MODEL_BYTES / 2 ** 20).toFixed(0)} MiB`);
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'download.bin');
    const report = progressReporter('fetch', `Downloading ${name}`, Number.isFinite(declared) ? declared : 0, 'bytes', onProgress);
    const reader = res.body?.getReader();
    if (!reader) return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
    const chunks: Uint8Array[] = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.byteLength;
      if (got > MAX_MODEL_BYTES) throw new CheckpointError(`${url} is larger than ${(MAX_MODEL_BYTES / 2 ** 20).toFixed(0)} MiB; the explorer cannot hold it`);
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
  async loadRandom(shape: RandomShape, seed: number): Promise<ModelSummary> {
    if (shape !== 'stories15M') throw new Error(`unknown random shape ${shape}`);
    const model = randomModel(STORIES15M_SHAPE, seed);
    model.source.name = `random ${shape} (seed ${seed})`;
    const tensors = [...namedTensorShapes(model)];
    this.setModel(model, { name: model.source.name, format: 'random', variant: `${shape} shape, normal init`, bytes: parameterCount(model.config) * 4, tensors, nanCount: 0, warnings: [] });
    return this.summary!;
  }

  /** Adds or replaces the tokenizer of the loaded model. */
  async loadTokenizer(file: NamedBytes): Promise<ModelSummary> {
    const model = this.requireModel();
    model.tokenizer = loadTokenizerFile(file as InputFile, model.config.vocabSize);
    this.summary = { ...this.summary!, tokenizer: file.name, tokenizerVocab: model.tokenizer.vocabSize };
    for (const t of this.texts.values()) t.ids = null;
    this.calibration = null;
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
    this.calibration = null;
    this.prepared.clear();
    this.rankings.clear();
    this.activationScores = null;
    for (const t of this.texts.values()) t.ids = null;
  }

  private requireModel(): LlamaModel {
    if (!this.model) throw new Error('no model is loaded: open a checkpoint first');
    return this.model;
  }

  // ---- text ----

  async setText(role: 'calibration' | 'evaluation', name: string, bytes: Uint8Array): Promise<TextSummary> {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\r\n/g, '\n');
    if (text.trim().length === 0) throw new Error(`${name} holds no text`);
    this.texts.set(role, { name, text, ids: null });
    if (role === 'calibration') this.calibration = null;
    const ids = this.model?.tokenizer ? this.tokens(role) : null;
    return { name, characters: text.length, tokens: ids ? ids.length : 0 };
  }

  private tokens(role: 'calibration' | 'evaluation'): number[] {
    if (role === 'evaluation' && !this.texts.has('evaluation') && this.texts.has('calibration')) {
      // No evaluation text: hold out the calibration text after the tokens calibration used.
      const ids = this.tokens('calibration');
      const used = this.calibration?.summary.tokens ?? 0;
      if (ids.length - used < 2) throw new Error('the calibration text has no tokens left to evaluate on: choose an evaluation text');
      return ids.slice(used + 1);
    }
    const t = this.texts.get(role);
    if (!t) throw new Error(`no ${role} text: choose a text file`);
    const tok = this.requireModel().tokenizer;
    if (!tok) throw new Error('the model has no tokenizer: open its tokenizer file (e.g. tok512.bin) too');
    if (!t.ids) t.ids = tok.encode(t.text);
    return t.ids;
  }

  // ---- calibration ----

  /**
   * Fisher information over `maxTokens` calibration tokens, in sequences of at most the model's context:
   * weight Fisher Σ_s g_s², per-channel activation Fisher mean_t (∂L/∂x)², and activation samples.
   */
  async calibrate(maxTokens: number, onProgress?: ProgressCallback): Promise<CalibrationSummary> {
    const model = this.requireModel();
    const ids = this.tokens('calibration');
    const c = model.config;
    const seqLen = Math.min(c.maxSeqLen, 256);
    const tokens = Math.min(maxTokens, ids.length);
    const sequences = Math.max(1, Math.floor(tokens / seqLen));
    const signal = this.abort.signal;
    const report = progressReporter('calibrate', 'Calibrating Fisher information', sequences * seqLen, 'tokens', onProgress);
    const t0 = performance.now();
    const weightFisher = new Map<string, Float32Array>();
    const channelFisher = new Map<string, Float64Array>();
    const samples = new Map<string, { x: Float32Array; rows: number; cols: number }>();
    const sampleRows = Math.min(ACTIVATION_SAMPLE_TOKENS, sequences * seqLen);
    for (let l = 0; l < c.nLayers; l++)
      for (const p of PROJECTIONS) {
        const [rows, cols] = projectionShape(c, p);
        weightFisher.set(key(l, p), new Float32Array(rows * cols));
        channelFisher.set(key(l, p), new Float64Array(cols));
        samples.set(key(l, p), { x: new Float32Array(sampleRows * cols), rows: 0, cols });
      }
    let nllSum = 0;
    let counted = 0;
    for (let s = 0; s < sequences; s++) {
      if (signal.aborted) throw new CancelledError();
      const seq = ids.slice(s * seqLen, s * seqLen + seqLen + 1);
      const r = referenceBackward(model, seq.length > 1 ? seq : [...seq, seq[0]], { precision: 'float32' });
      nllSum += r.meanNll * r.scoredCount;
      counted += r.scoredCount;
      const T = seq.length;
      for (let l = 0; l < c.nLayers; l++) {
        for (const p of PROJECTIONS) {
          const g = r.grads.layers[l][p];
          const F = weightFisher.get(key(l, p))!;
          for (let i = 0; i < F.length; i++) F[i] += g[i] * g[i];
          const ig = r.linearInputGrads[l][p];
          const f = channelFisher.get(key(l, p))!;
          const cols = f.length;
          for (let t = 0; t < T; t++) for (let j = 0; j < cols; j++) f[j] += ig[t * cols + j] * ig[t * cols + j];
          const sample = samples.get(key(l, p))!;
          const take = Math.min(T, sampleRows - sample.rows);
          if (take > 0) {
            sample.x.set((r.linearInputs[l][p] as RefArray).subarray(0, take * cols), sample.rows * cols);
            sample.rows += take;
          }
        }
      }
      report((s + 1) * seqLen);
      await yieldToEvents();
    }
    const totalTokens = sequences * seqLen;
    for (const f of channelFisher.values()) for (let j = 0; j < f.length; j++) f[j] /= totalTokens;
    const summary: CalibrationSummary = {
      tokens: totalTokens,
      sequences,
      sequenceLength: seqLen,
      meanNll: nllSum / counted,
      seconds: (performance.now() - t0) / 1000,
      engine: REFERENCE_ENGINE,
    };
    this.calibration = { weightFisher, channelFisher, samples, summary };
    this.prepared.clear();
    this.rankings.clear();
    this.activationScores = null;
    return summary;
  }

  // ---- quantization and policy ----

  private effectiveClipping(clipping: ClippingId): ClippingId {
    return clipping === 'fisher' && !this.calibration ? 'mse' : clipping;
  }

  private prepare(clipping: ClippingId, fp8Scaling: Fp8Scaling, onProgress?: ProgressCallback): PreparedTensor[] {
    const model = this.requireModel();
    const clip = this.effectiveClipping(clipping);
    const k = `${clip}|${fp8Scaling}`;
    let prepared = this.prepared.get(k);
    if (!prepared) {
      const report = progressReporter('quantize', 'Quantizing weights (NVFP4 with clipping, FP8)', model.config.nLayers * PROJECTIONS.length, 'tensors', onProgress);
      const cal = this.calibration;
      prepared = prepareWeights(model.config, model.weights, {
        clip,
        fisher: cal ? (l, p) => cal.weightFisher.get(key(l, p)) : undefined,
        fp8Scale: fp8Scaling === 'per-channel' ? 'row' : 'tensor',
        onProgress: (d) => report(d),
      });
      this.prepared.set(k, prepared);
    }
    return prepared;
  }

  private ranking(req: QuantizeRequest, onProgress?: ProgressCallback): BlockRanking {
    const clip = this.effectiveClipping(req.clipping);
    const k = `${req.policy}|${clip}|${req.fp8Scaling}`;
    let r = this.rankings.get(k);
    if (!r) {
      if ((req.policy === 'fgmp' || req.policy === 'uniform') && !this.calibration)
        throw new Error(`the ${req.policy === 'fgmp' ? 'FGMP' : 'per-layer uniform'} policy ranks blocks by Fisher information: calibrate first`);
      r = buildRanking(this.prepare(req.clipping, req.fp8Scaling, onProgress), req.policy, { seed: 1 });
      this.rankings.set(k, r);
    }
    return r;
  }

  /** Quantizes (cached per clipping and scaling), ranks blocks for the policy, and returns the ranking to answer budgets with. */
  async quantize(req: QuantizeRequest, onProgress?: ProgressCallback): Promise<QuantizeResult> {
    const ranking = this.ranking(req, onProgress);
    const notes: string[] = [];
    const clippingUsed = this.effectiveClipping(req.clipping);
    if (clippingUsed !== req.clipping) notes.push('Fisher-weighted clipping needs calibration; MSE clipping is used until then.');
    return { ...req, ranking: toWire(ranking), activations: this.activationRanking()?.ranking ?? null, clippingUsed, notes };
  }

  /** Activation block scores of the calibration samples, ranked globally once. */
  private activationRanking() {
    if (this.activationScores || !this.calibration) return this.activationScores;
    const cal = this.calibration;
    const parts: { layer: number; proj: Projection; scores: Float64Array }[] = [];
    let n = 0;
    for (const [k, s] of cal.samples) {
      const [l, p] = k.split('/');
      const q = quantizeActivations(s.x.subarray(0, s.rows * s.cols), s.rows, s.cols, cal.channelFisher.get(k)!);
      parts.push({ layer: Number(l), proj: p as Projection, scores: q.scores });
      n += q.scores.length;
    }
    const all = new Float64Array(n);
    const offsets: number[] = [];
    let o = 0;
    for (const part of parts) {
      offsets.push(o);
      all.set(part.scores, o);
      o += part.scores.length;
    }
    const order = sortDescendingStable(all);
    const sorted = new Float64Array(n);
    const rankOf = new Uint32Array(n);
    for (let r = 0; r < n; r++) {
      sorted[r] = all[order[r]];
      rankOf[order[r]] = r;
    }
    const tensors = parts.map((part, i) => {
      const ranks = rankOf.slice(offsets[i], offsets[i] + part.scores.length).sort();
      return { layer: part.layer, proj: part.proj, blocks: part.scores.length, ranks };
    });
    this.activationScores = { ranking: { totalBlocks: n, sortedScores: sorted, tensors }, sorted };
    return this.activationScores;
  }

  /** The activation threshold τ for a share p of calibration blocks in FP8 (+∞ keeps all NVFP4). */
  activationThreshold(share: number): number {
    const a = this.activationRanking();
    if (!a) throw new Error('the activation unit needs calibration (per-channel Fisher): calibrate first');
    const k = Math.round(share * a.sorted.length);
    return k === 0 ? Infinity : a.sorted[k - 1];
  }

  /** Everything the block grid and clipping views show for one tensor. */
  async tensorDetail(req: QuantizeRequest & { layer: number; proj: Projection }): Promise<TensorDetail> {
    const t = this.prepare(req.clipping, req.fp8Scaling).find((x) => x.layer === req.layer && x.proj === req.proj);
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
    const fisher = this.calibration?.weightFisher.get(key(layer, proj));
    const c = clippingCurve(model.weights.layers[layer][proj], rows, cols, { fisher, block });
    return { block, grid: [...c.grid], mse: c.mse, fisherMse: c.fisherMse };
  }

  // ---- evaluation ----

  /** Perplexity of the quantized model on the evaluation text: windows of (context − 1) tokens after BOS. */
  async evaluate(req: EvaluateRequest, onProgress?: ProgressCallback): Promise<EvaluateResult> {
    const model = this.requireModel();
    const ids = this.tokens('evaluation').slice(0, req.evaluationTokens);
    if (ids.length < 2) throw new Error('the evaluation text is shorter than 2 tokens');
    const signal = this.abort.signal;
    const t0 = performance.now();
    const quantModel = req.variant === 'float' ? model : this.quantizedModel(req);
    const threshold = req.variant === 'float' ? NaN : req.variant === 'fp8' ? -Infinity : req.variant === 'nvfp4' ? Infinity : this.activationThreshold(req.activationBudget);
    const channelFisher = this.calibration?.channelFisher;
    const transform =
      req.variant === 'float'
        ? undefined
        : (layer: number, proj: Projection, x: RefArray, rows: number, inDim: number) => {
            const f = channelFisher?.get(key(layer, proj)) ?? new Float64Array(inDim).fill(1);
            return mixActivations(quantizeActivations(x, rows, inDim, f), rows, inDim, threshold).values;
          };
    const window = model.config.maxSeqLen - 1;
    const bos = model.tokenizer?.bosId ?? 1;
    const report = progressReporter('evaluate', `Perplexity (${req.variant})`, ids.length, 'tokens', onProgress);
    let sum = 0;
    let count = 0;
    for (let start = 0; start < ids.length; start += window) {
      if (signal.aborted) throw new CancelledError();
      const chunk = ids.slice(start, start + window);
      const r = referenceForward(quantModel, [bos, ...chunk], { precision: 'float32', targets: [...chunk], transformLinearInput: transform });
      sum += r.meanNll * r.scoredCount;
      count += r.scoredCount;
      report(start + chunk.length);
      await yieldToEvents();
    }
    const meanNll = sum / count;
    return { meanNll, ppl: Math.exp(meanNll), tokens: count, seconds: (performance.now() - t0) / 1000, engine: REFERENCE_ENGINE, activationThreshold: threshold };
  }

  private masks(req: EvaluateRequest): { prepared: PreparedTensor[]; masks: Uint8Array[] } {
    const prepared = this.prepare(req.clipping, req.fp8Scaling);
    if (req.variant === 'fp8' || req.variant === 'nvfp4')
      return { prepared, masks: prepared.map((t) => new Uint8Array(t.quant.grid.blockCount).fill(req.variant === 'fp8' ? 1 : 0)) };
    const ranking = this.ranking(req);
    // ranking.tensors are in canonical order, as prepareWeights returns them.
    return { prepared, masks: allMasks(ranking, answerBudget(ranking, req.weightBudget)) };
  }

  /** Simulated energy of one pass over the model's context, relative to all-FP8 (src/core/hw). */
  private energyVsFp8(req: EvaluateRequest, hwOverrides: Partial<Record<HwParamKey, number>>): number {
    const { prepared, masks } = this.masks(req);
    const act = this.activationRanking();
    const shares = act ? answerActivationBudget(act.ranking, req.activationBudget).shares : null;
    const tokens = this.requireModel().config.maxSeqLen;
    const inputs = prepared.map((t, i) => ({ layer: t.layer, proj: t.proj, rows: t.rows, cols: t.cols, weightMask: masks[i], tokens, activationFp8Share: shares?.get(key(t.layer, t.proj)) ?? req.activationBudget }));
    return simulateHardware(inputs, hwParams(hwOverrides), { fp8Scale: req.fp8Scaling === 'per-channel' ? 'row' : 'tensor' }).vsFp8;
  }

  private quantizedModel(req: EvaluateRequest): LlamaModel {
    const model = this.requireModel();
    const { prepared, masks } = this.masks(req);
    const layers = model.weights.layers.map((lw) => ({ ...lw }));
    prepared.forEach((t, i) => {
      layers[t.layer][t.proj] = mixTensor(t.rows, t.cols, t.quant.qLo, t.quant.qHi, masks[i]);
    });
    return { ...model, weights: { ...model.weights, layers } };
  }

  /** Perplexity for every policy at each budget (shared endpoints 0 and 1 computed once). */
  async sweep(req: SweepRequest, onProgress?: ProgressCallback, onPoint?: (p: SweepPoint) => void): Promise<SweepPoint[]> {
    const points: SweepPoint[] = [];
    const jobs: { policy: PolicyId; budget: number }[] = [];
    for (const budget of req.budgets) {
      if (budget === 0 || budget === 1) jobs.push({ policy: req.policies[0], budget });
      else for (const policy of req.policies) jobs.push({ policy, budget });
    }
    const report = progressReporter('sweep', 'Sweep: perplexity for every policy', jobs.length, 'points', onProgress);
    let done = 0;
    for (const job of jobs) {
      if (this.abort.signal.aborted) throw new CancelledError();
      const jobReq = { ...req, policy: job.policy, weightBudget: job.budget, variant: 'mixed' as const };
      const r = await this.evaluate(jobReq);
      const energyVsFp8 = this.energyVsFp8(jobReq, req.hwOverrides);
      const shared = job.budget === 0 || job.budget === 1 ? req.policies : [job.policy];
      for (const policy of shared) {
        const p = { policy, weightBudget: job.budget, ppl: r.ppl, meanNll: r.meanNll, energyVsFp8 };
        points.push(p);
        onPoint?.(p);
      }
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

function toWire(r: BlockRanking): WireRanking {
  return {
    kind: r.kind,
    totalBlocks: r.totalBlocks,
    scores: r.scores,
    order: r.order,
    tensors: r.tensors.map((t) => ({ layer: t.layer, proj: t.proj, rows: t.grid.rows, cols: t.grid.cols, offset: t.offset, order: t.order, ranks: t.ranks })),
  };
}

function* namedTensorShapes(model: LlamaModel) {
  const c = model.config;
  yield { name: 'tokenEmbedding', storedName: 'token_embedding', shape: [c.vocabSize, c.dim], dtype: 'F32', numel: c.vocabSize * c.dim, nanCount: 0 };
  for (let l = 0; l < c.nLayers; l++)
    for (const p of PROJECTIONS) {
      const s = projectionShape(c, p);
      yield { name: `layers.${l}.${p}`, storedName: `layers.${l}.${p}`, shape: s, dtype: 'F32', numel: s[0] * s[1], nanCount: 0 };
    }
}

// Pipeline: everything one explorer run needs, as one object the worker switch calls (and tests call in
// Node): the model, its texts, the optional calibration, rankings (before calibration too: random,
// magnitude, unweighted), activation shares, evaluation, sweep and truncation perplexity. Data setup goes
// through setup.ts's functions, the ones `fgmp run` uses, so the app's numbers equal the CLI's.
// Long steps take an AbortSignal and report Progress; nothing here knows about workers or the UI.
import { clippingCurve, type BlockRanking, type PreparedTensor } from '../fgmp/index.ts';
import { PROJECTIONS, projectionShape, type LlamaModel, type Projection } from '../model/types.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import type { CalibrationResult, TokenSequences } from './calibrate.ts';
import { FgmpSession } from './evaluate.ts';
import { CompactWeights } from './packed.ts';
import { SpilledTensors, spillIfLarge, type SpillFile } from './spill.ts';
import { ActivationShareIndex, type ShareIndexParts } from '../actquant/shareIndex.ts';
import { attachTokenizer, loadModel, loadRandomModel, readText } from './model.ts';
import type * as R from './results.ts';
import { checkTruncation, evaluateRequest, sweepRequest, truncationRequest } from './requests.ts';
import { calibrationSequences, calibrationShape, evaluationStream, runCalibration } from './setup.ts';
import {
  describeSource,
  heldApartSeed,
  tensorKey,
  type ClipMode,
  type DataSource,
  type Fp8Scaling,
  type RandomShape,
} from './vocabulary.ts';

export interface PipelineOptions {
  /** One thread by default, as the CLI: the same summation order, hence the same numbers. */
  runtime?: RuntimeOptions;
  /** Shown with every result (which engine computed it). */
  engineName?: string;
  /** Checkpoints above this many bytes are refused before parsing. */
  maxModelBytes?: number;
  /**
   * A file to keep a large weight Fisher in (spill.ts), or null when there is none (the Fisher stays in
   * memory). The explorer's worker gives one in the origin-private file system; Node callers give none.
   */
  spillFile?: () => Promise<SpillFile | null>;
  /** The weight Fisher goes to the spill file from this size on (default SPILL_MIN_BYTES, spill.ts). */
  spillFisherBytes?: number;
}

export interface StepOptions {
  signal?: AbortSignal;
  onProgress?: R.ProgressCallback;
}

type Role = 'calibration' | 'evaluation';
type TensorRequest = R.QuantizeRequest & { evaluationTokens: number };

export class Pipeline {
  private model: LlamaModel | null = null;
  private summary: R.ModelSummary | null = null;
  private readonly texts = new Map<Role, DataSource & { kind: 'text' }>();
  /** A role given a seed uses the model's own samples (data-free), whatever text it holds. */
  private readonly seeds = new Map<Role, number>();
  /** Sampled evaluation streams per seed, the longest asked (a shorter ask is its prefix: sampledStream). */
  private readonly sampledEval = new Map<number, number[]>();
  private calib: { result: CalibrationResult; sequences: TokenSequences; source: DataSource } | null = null;
  private session: { key: string; session: FgmpSession } | null = null;
  /** Policies without Fisher, before calibration: quantized tensors and rankings per clip|scale(|policy). */
  private readonly uncalibrated = new Map<string, CompactWeights>();
  private readonly uncalibratedRankings = new Map<string, BlockRanking>();
  /** Per evaluation session: activation shares per budget and truncation results per keep|mode. */
  private readonly actShares = new WeakMap<FgmpSession, Map<number, Record<string, number>>>();
  private readonly truncations = new WeakMap<FgmpSession, Map<string, R.TruncationResult>>();
  /** Bumped when the model or its calibration data changes: a calibration begun before is dropped. */
  private generation = 0;
  private readonly runtime: RuntimeOptions;
  private readonly engineName: string;

  constructor(private readonly options: PipelineOptions = {}) {
    this.runtime = options.runtime ?? { threads: 1 };
    this.engineName = options.engineName ?? 'src/core/pipeline (onnxruntime, 1 thread)';
  }

  // ---- model and data ----

  load(files: R.NamedBytes[]): R.ModelSummary {
    const { model, summary } = loadModel(files, this.options.maxModelBytes);
    return this.setModel(model, summary);
  }

  loadRandom(shape: RandomShape, seed: number): R.ModelSummary {
    const { model, summary } = loadRandomModel(shape, seed);
    return this.setModel(model, summary);
  }

  loadTokenizer(file: R.NamedBytes): R.ModelSummary {
    const model = this.requireModel();
    const warnings = attachTokenizer(model, file);
    const s = this.summary!;
    this.summary = {
      ...s,
      tokenizer: file.name,
      tokenizerVocab: model.tokenizer!.vocabSize,
      warnings: [...new Set([...s.warnings, ...warnings])],
    };
    // A calibration on the model's own samples does not read the tokenizer: it stands.
    if (this.calib?.source.kind === 'samples') void this.dropSession();
    else this.resetDerived();
    return this.summary;
  }

  setText(role: Role, name: string, bytes: Uint8Array): R.TextSummary {
    const { text, summary } = readText(this.model, name, bytes);
    this.texts.set(role, { kind: 'text', text, name });
    // A calibration on the model's own samples (a seed) does not read the text.
    if (role === 'calibration' && !this.seeds.has('calibration')) this.resetDerived();
    else void this.dropSession();
    return summary;
  }

  /**
   * Data-free data (`fgmp run --calib-seed N --eval-seed M`): the role uses the model's own samples with
   * this seed; null goes back to its text (or, for evaluation, the calibration text's held-out tail).
   */
  setSamples(role: Role, seed: number | null): void {
    if (seed !== null && !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff))
      throw new Error(`a sampling seed is an integer from 0 to 4294967295, got ${seed}`);
    if ((this.seeds.get(role) ?? null) === seed) return;
    if (seed === null) this.seeds.delete(role);
    else this.seeds.set(role, seed);
    if (role === 'calibration') this.resetDerived();
    else void this.dropSession();
  }

  /** Where a role's tokens come from now (undefined: nothing given). */
  private source(role: Role): DataSource | undefined {
    const seed = this.seeds.get(role);
    if (seed !== undefined) return { kind: 'samples', seed };
    return this.texts.get(role);
  }

  /** The evaluation source: samples, text, or the calibration text's held-out tail (what `fgmp run` defaults to). */
  private evaluationSource(): DataSource {
    const given = this.source('evaluation');
    if (given) return given;
    const cal = this.calib?.source;
    // The CLI's default: without --eval, calibration samples are evaluated on samples of seed 2 (3 if taken).
    if (cal?.kind === 'samples') return { kind: 'samples', seed: heldApartSeed(cal.seed) };
    return { kind: 'held-out' };
  }

  /** The model's own samples for evaluation: sampled once per seed (with progress when asked), then sliced. */
  private sampledEvaluation(seed: number, tokens: number, o?: StepOptions): number[] {
    const hit = this.sampledEval.get(seed);
    if (hit && hit.length >= tokens) return hit.slice(0, tokens);
    const stream = evaluationStream(this.requireModel(), { kind: 'samples', seed }, tokens, undefined, o);
    this.sampledEval.set(seed, stream);
    return stream.slice();
  }

  private setModel(model: LlamaModel, summary: R.ModelSummary): R.ModelSummary {
    this.model = model;
    this.summary = summary;
    this.sampledEval.clear();
    this.resetDerived();
    return summary;
  }

  /** Forgets everything computed from the model, its tokenizer or the calibration text. */
  private resetDerived(): void {
    this.generation++;
    this.setCalibration(null);
    void this.dropSession();
    this.uncalibrated.clear();
    this.uncalibratedRankings.clear();
  }

  /** Replaces the calibration; a Fisher kept in storage by the one before is deleted. */
  private setCalibration(c: Pipeline['calib']): void {
    const old = this.calib?.result.weightFisher;
    this.calib = c;
    if (old instanceof SpilledTensors && old !== c?.result.weightFisher) old.close();
  }

  private async dropSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.session.dispose().catch(() => undefined);
  }

  private requireModel(): LlamaModel {
    if (!this.model) throw new Error('no model is loaded: open a checkpoint first');
    return this.model;
  }

  // ---- calibration ----

  /**
   * Fisher calibration as `fgmp run --calib-tokens N` does it (setup.ts: same sequences, same engine), on the
   * calibration text or, data-free, on the model's own samples (`data.calibrationSeed`, as --calib-seed).
   * `data` sets both roles' seeds first (one message, so the data cannot lag behind the request); with
   * `evaluationTokens`, sampled evaluation tokens are drawn here too, under this step's progress and cancel.
   */
  async calibrate(calibrationTokens: number, o: StepOptions = {}, data?: R.DataSeeds): Promise<R.CalibrationSummary> {
    const model = this.requireModel();
    if (data) {
      this.setSamples('calibration', data.calibrationSeed);
      this.setSamples('evaluation', data.evaluationSeed);
    }
    const source = this.source('calibration');
    if (source?.kind !== 'samples') {
      if (!model.tokenizer)
        throw new Error(
          'the model has no tokenizer: open its tokenizer file (e.g. tok512.bin) too, or calibrate on samples of the model itself (a seed)',
        );
      if (!source) throw new Error('no calibration text: choose a text file');
    }
    const evalSeed = this.seeds.get('evaluation');
    if (source.kind === 'samples' && evalSeed === source.seed)
      throw new Error(
        `calibration and evaluation seeds are both ${evalSeed}: they must differ so the two sets are held apart`,
      );
    const { sequences: count, seqLen } = calibrationShape(model.config, calibrationTokens);
    const generation = this.generation;
    const sequences = calibrationSequences(model, source, count, seqLen, o);
    const result = await runCalibration(model, sequences, { runtime: this.runtime, ...o });
    if (generation !== this.generation)
      throw new Error('the model or its data changed during calibration; calibrate again');
    const weightFisher = await spillIfLarge(result.weightFisher, this.options.spillFile, this.options.spillFisherBytes);
    const kept = { ...result, weightFisher };
    if (generation !== this.generation) {
      if (weightFisher instanceof SpilledTensors) weightFisher.close();
      throw new Error('the model or its data changed during calibration; calibrate again');
    }
    this.setCalibration({ result: kept, sequences, source });
    // Uncalibrated quantizations and rankings serve only until calibration: let them go.
    this.uncalibrated.clear();
    this.uncalibratedRankings.clear();
    const ev = this.evaluationSource();
    if (ev.kind === 'samples' && data?.evaluationTokens) this.sampledEvaluation(ev.seed, data.evaluationTokens, o);
    await this.dropSession();
    return {
      tokens: result.tokens,
      sequences: result.sequences,
      sequenceLength: result.seqLen,
      meanNll: result.meanNll,
      seconds: result.seconds,
      engine: this.engineName,
      data: {
        kind: source.kind === 'samples' ? 'samples' : 'text',
        description: describeSource(source),
        seed: source.kind === 'samples' ? source.seed : null,
      },
      fisherStoredBytes: kept.weightFisher instanceof SpilledTensors ? kept.weightFisher.bytes : 0,
    };
  }

  /** The evaluation session for the current calibration and evaluation text (rebuilt when they change). */
  private fgmp(evaluationTokens: number): FgmpSession {
    const model = this.requireModel();
    if (!this.calib) throw new Error('not calibrated yet: choose a calibration text');
    const source = this.evaluationSource();
    const key = `${evaluationTokens}|${source.kind}|${describeSource(source)}`;
    if (this.session?.key === key) return this.session.session;
    void this.dropSession();
    // No evaluation text: the calibration text after the part calibration used (or samples, see above).
    const stream =
      source.kind === 'samples'
        ? this.sampledEvaluation(source.seed, evaluationTokens)
        : evaluationStream(model, source, evaluationTokens, this.calib);
    if (stream.length < 2) throw new Error('the evaluation text holds fewer than 2 tokens');
    const session = new FgmpSession(model, this.calib.result, this.calib.sequences, stream, {
      runtime: this.runtime,
      seed: 0,
    });
    this.session = { key, session };
    return session;
  }

  // ---- quantization and policy ----

  private clipUsed(clipping: ClipMode): ClipMode {
    if (this.calib) return clipping;
    return clipping === 'fisher' ? 'mse' : clipping === 'fisher-sweep' ? 'mse-sweep' : clipping;
  }

  /** Quantized tensors (compact: packed.ts): the session's when calibrated, else (policies without Fisher) computed here. */
  private prepare(
    clipping: ClipMode,
    scale: Fp8Scaling,
    evaluationTokens: number,
    onProgress?: R.ProgressCallback,
  ): CompactWeights {
    const model = this.requireModel();
    const clip = this.clipUsed(clipping);
    if (this.calib) return this.fgmp(evaluationTokens).compactWeights(clip, scale);
    const k = `${clip}|${scale}`;
    let prepared = this.uncalibrated.get(k);
    if (!prepared) {
      const total = model.config.nLayers * PROJECTIONS.length;
      const label = 'Quantizing weights (NVFP4 with clip search, FP8)';
      const report = (done: number) =>
        onProgress?.({ stage: 'quantize', label, done, total, unit: 'tensors', rate: 0, etaSeconds: NaN });
      report(0);
      prepared = CompactWeights.prepare(model.config, model.weights, { clip, fp8Scale: scale, onProgress: report });
      this.uncalibrated.set(k, prepared);
    }
    return prepared;
  }

  private ranking(req: TensorRequest, onProgress?: R.ProgressCallback): BlockRanking {
    const clip = this.clipUsed(req.clipping);
    if (this.calib) return this.fgmp(req.evaluationTokens).ranking(req.policy, clip, req.fp8Scaling);
    if (req.policy === 'fgmp' || req.policy === 'uniform')
      throw new Error(
        `the ${req.policy === 'fgmp' ? 'FGMP' : 'per-layer uniform'} policy ranks blocks by Fisher information: calibrate first`,
      );
    const k = `${req.policy}|${clip}|${req.fp8Scaling}`;
    let r = this.uncalibratedRankings.get(k);
    if (!r) {
      // Same seed as FgmpSession (0) so the random baseline does not change when calibration arrives.
      r = this.prepare(req.clipping, req.fp8Scaling, req.evaluationTokens, onProgress).ranking(req.policy, { seed: 0 });
      this.uncalibratedRankings.set(k, r);
    }
    return r;
  }

  /** The policy's block ranking (budgets are answered from it on the UI thread). */
  quantize(req: TensorRequest, onProgress?: R.ProgressCallback): R.QuantizeResult {
    const ranking = this.ranking(req, onProgress);
    const clippingUsed = this.clipUsed(req.clipping);
    const notes =
      clippingUsed !== req.clipping
        ? ['Fisher-weighted clipping needs calibration; MSE clipping is used until then.']
        : [];
    return { policy: req.policy, clipping: req.clipping, fp8Scaling: req.fp8Scaling, ranking, clippingUsed, notes };
  }

  /** FP8 share of calibration activation blocks per linear input (tensorKey) at the pipeline's τ; null before calibration. */
  async activationShares(
    activationBudget: number,
    evaluationTokens: number,
    o: StepOptions = {},
  ): Promise<Record<string, number> | null> {
    if (!this.calib) return null;
    const session = this.fgmp(evaluationTokens);
    let cache = this.actShares.get(session);
    if (!cache) this.actShares.set(session, (cache = new Map()));
    const hit = cache.get(activationBudget);
    if (hit) return hit;
    const scores = await session.calibrationScores(o);
    const taus = await session.activationThresholds(activationBudget, 'global');
    const out: Record<string, number> = {};
    session.sites.forEach((site, i) => {
      const s = scores.get(tensorKey(site.layer, site.proj))!;
      let n = 0;
      for (let j = 0; j < s.length; j++) if (s[j] > taus[i].tau) n++;
      out[tensorKey(site.layer, site.proj)] = s.length ? n / s.length : 0;
    });
    cache.set(activationBudget, out);
    return out;
  }

  /**
   * Every calibration activation score, sorted per site (ActivationShareIndex parts, keyed by tensorKey in site
   * order): the page answers any activation budget from it on its own thread, with the τ of activationShares.
   */
  async activationIndex(
    evaluationTokens: number,
    o: StepOptions = {},
  ): Promise<{ keys: string[]; parts: ShareIndexParts } | null> {
    if (!this.calib) return null;
    const session = this.fgmp(evaluationTokens);
    const scores = await session.calibrationScores(o);
    const keys = session.sites.map((s) => tensorKey(s.layer, s.proj));
    const sites = keys.map((k) => scores.get(k)!);
    return { keys, parts: { sorted: sites.map(ActivationShareIndex.sortScores), blocks: sites.map((s) => s.length) } };
  }

  /** Everything the block grid and clipping views show for one tensor. */
  tensorDetail(req: TensorRequest & { layer: number; proj: Projection }): R.TensorDetail {
    const prepared = this.prepare(req.clipping, req.fp8Scaling, req.evaluationTokens);
    const i = prepared.tensors.findIndex((x) => x.layer === req.layer && x.proj === req.proj);
    if (i < 0) throw new Error(`no tensor layer ${req.layer} ${req.proj}`);
    // Fresh arrays of this one tensor: they cross to the page as they are.
    const t: PreparedTensor = prepared.tensor(i);
    const curve = t.quant.curve ?? clippingCurve(t.weight, t.rows, t.cols, { fisher: t.fisher });
    return {
      layer: t.layer,
      proj: t.proj,
      rows: t.rows,
      cols: t.cols,
      weight: t.weight.slice(),
      qLo: t.quant.qLo,
      qHi: t.quant.qHi,
      clipRatio: t.quant.clipRatio.slice(),
      fisher: t.fisher ? t.fisher.slice() : null,
      nvfp4TensorScale: t.quant.nvfp4TensorScale,
      fp8Scales: t.quant.fp8Scales.slice(),
      curve: { grid: [...curve.grid], mse: curve.mse.slice(), fisherMse: curve.fisherMse.slice() },
    };
  }

  blockCurve(layer: number, proj: Projection, block: number): R.BlockCurve {
    const model = this.requireModel();
    const [rows, cols] = projectionShape(model.config, proj);
    const fisher = this.calib?.result.weightFisher.get(tensorKey(layer, proj));
    const c = clippingCurve(model.weights.layers[layer][proj], rows, cols, { fisher, block });
    return { block, grid: [...c.grid], mse: c.mse, fisherMse: c.fisherMse };
  }

  // ---- evaluation (requests.ts maps the app's requests onto FgmpSession) ----

  /** Perplexity, memory and energy of a configuration or a baseline (FgmpSession.evaluate, as `fgmp run`). */
  evaluate(req: R.EvaluateRequest, o: StepOptions = {}): Promise<R.EvaluateResult> {
    return evaluateRequest(
      this.fgmp(req.evaluationTokens),
      { ...req, clipping: this.clipUsed(req.clipping) },
      o,
      this.engineName,
    );
  }

  /** Perplexity for every policy at each budget (FgmpSession.sweep: budgets 0 and 1 are shared). */
  sweep(req: R.SweepRequest, o: StepOptions & { onPoint?: (p: R.SweepPoint) => void } = {}): Promise<R.SweepPoint[]> {
    return sweepRequest(this.fgmp(req.evaluationTokens), { ...req, clipping: this.clipUsed(req.clipping) }, o);
  }

  /** Perplexity with every linear projection's weights reduced to `keep` mantissa bits; cached per session. */
  async truncation(req: R.TruncationRequest, o: StepOptions = {}): Promise<R.TruncationResult> {
    checkTruncation(req);
    const session = this.fgmp(req.evaluationTokens);
    let cache = this.truncations.get(session);
    if (!cache) this.truncations.set(session, (cache = new Map()));
    const k = `${req.keep}|${req.mode}`;
    const hit = cache.get(k);
    if (hit) return hit;
    const result = await truncationRequest(session, req, o, this.engineName);
    cache.set(k, result);
    return result;
  }
}

// FgmpSession: one per model. Holds the calibration (Fisher), the quantized weights per clipping mode,
// the block rankings per policy (sorted once), the activation thresholds per activation budget and the
// evaluation results per configuration, all cached. evaluate() swaps the mixed weights (FP8 blocks from
// Q_hi, the rest from Q_lo) into the forward graph's weight inputs (no rebuild) and runs the activation
// quantization unit inside the graph; embeddings, norms and the classifier stay float32.
// Plain objects and typed arrays in and out, so a Comlink worker can expose it as is.
import { actFisherInputName, actFp8CountName, actQuantHook, actScoreName, actTauInputName } from '../actquant/graph.ts';
import { actBlocksPerToken, padFisher } from '../actquant/rule.ts';
import { tauForShare, type TauChoice } from '../actquant/tau.ts';
import { slidingWindows, type Window } from '../eval/windows.ts';
import {
  allMasks,
  answerBudget,
  POLICY_KINDS,
  type BlockRanking,
  type ClipMode,
  type PolicyKind,
  type PreparedTensor,
  type RankMode,
} from '../fgmp/index.ts';
import { layerWeightName, projectionInFeatures, weightShape } from '../graph/names.ts';
import {
  DEFAULT_HW_PARAMS,
  energySummary,
  simulateHardware,
  type HardwareOptions,
  type HardwareReport,
  type HwParams,
  type LinearInput,
} from '../hw/index.ts';
import { KlAccumulator } from '../eval/kl.ts';
import { answerPinnedBudget, formatPins } from '../fgmp/pins.ts';
import { answerLayerwise } from '../fgmp/layerwise.ts';
import { storageInputs, totalStorageBits } from '../fgmp/index.ts';
import { PROJECTIONS, type LlamaModel, type Projection } from '../model/types.ts';
import { LlamaEngine, type ForwardVariant } from '../runtime/engine.ts';
import { f32, type RuntimeOptions, type ort } from '../runtime/ort.ts';
import { release } from '../memory.ts';
import { type CalibrationResult, type TokenSequences } from './calibrate.ts';
import { CompactWeights } from './packed.ts';
import {
  checkShare,
  DEFAULT_BUDGETS,
  validateEvalConfig,
  type EvalConfig,
  type EvalPolicy,
  type EvalResult,
  type LayerRow,
  type PlainResult,
} from './config.ts';
import { tokenProgress, type Progress } from './results.ts';
import { tensorKey, type Fp8Scaling, type TauGranularity } from './vocabulary.ts';

export { DEFAULT_BUDGETS, validateEvalConfig } from './config.ts';
export type {
  EvalConfig,
  EvalPolicy,
  EvalResult,
  Fp8Scaling,
  LayerRow,
  PlainResult,
  TauGranularity,
} from './config.ts';

export interface FgmpSessionOptions {
  runtime?: RuntimeOptions;
  /** Evaluation window in positions (default: context − 1, BOS first, no overlap; PROVENANCE.md's method). */
  evalWindow?: number;
  bos?: number;
  /** Positions per ORT run (default 2,048). */
  batchPositions?: number;
  /** Hardware parameter table (default DEFAULT_HW_PARAMS). */
  hw?: HwParams;
  /** Seed of the random baseline. */
  seed?: number;
  /** Evaluation windows given whole (token id sequences, each scored alone); evalStream then only reports. */
  windows?: Window[];
}

export interface EvalOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** The progress label (default "Perplexity"). */
  label?: string;
}

interface Site {
  layer: number;
  proj: Projection;
  inFeatures: number;
  blocks: number;
}

export class FgmpSession {
  readonly sites: Site[];
  private readonly windows: Window[];
  /** Quantized weights per clip|scaling, compact (packed.ts): no float32 copy of them is held. */
  private readonly prepared = new Map<string, CompactWeights>();
  private readonly rankings = new Map<string, BlockRanking>();
  private readonly results = new Map<string, EvalResult>();
  /** The hardware model's inputs of each evaluated configuration (weight masks, realised activation counts). */
  private readonly hwInputs = new Map<string, { inputs: LinearInput[]; fp8Scale: Fp8Scaling }>();
  private readonly taus = new Map<string, TauChoice[]>();
  /** Every onnxruntime session of this FgmpSession (plain, activation-quantizing and score graphs). */
  private readonly engine: LlamaEngine;
  private readonly paddedFisher = new Map<string, Float32Array>();
  private calibScores: Map<string, Float32Array> | null = null;
  private float32Result: PlainResult | null = null;
  private readonly hw: HwParams;

  constructor(
    readonly model: LlamaModel,
    readonly calibration: CalibrationResult,
    /** Calibration sequences (for τ: block scores of their float32 activations). */
    private readonly calibSequences: TokenSequences,
    /** Evaluation token stream (no BOS; windows add it); must be held apart from calibration. */
    readonly evalStream: readonly number[],
    readonly options: FgmpSessionOptions = {},
  ) {
    const c = model.config;
    if (calibration.config.dim !== c.dim || calibration.config.nLayers !== c.nLayers)
      throw new Error('calibration result belongs to another model');
    if (evalStream.length < 1) throw new Error('the evaluation stream is empty');
    const bos = options.bos ?? 1;
    const window = options.evalWindow ?? c.maxSeqLen - 1;
    if (!Number.isInteger(window) || window < 1 || window > c.maxSeqLen)
      throw new Error(`evaluation window must be an integer in 1..${c.maxSeqLen}, got ${window}`);
    this.windows = options.windows ?? slidingWindows(evalStream, { window, bos });
    for (const w of this.windows)
      if (w.tokens.length > c.maxSeqLen)
        throw new Error(
          `an evaluation sequence has ${w.tokens.length} positions, more than the context ${c.maxSeqLen}`,
        );
    this.sites = [];
    for (let l = 0; l < c.nLayers; l++)
      for (const p of PROJECTIONS) {
        const inFeatures = projectionInFeatures(c, p);
        this.sites.push({ layer: l, proj: p, inFeatures, blocks: actBlocksPerToken(inFeatures) });
        const f = calibration.activationFisher.get(tensorKey(l, p));
        if (!f) throw new Error(`calibration lacks the activation Fisher of layer ${l} ${p}`);
        this.paddedFisher.set(tensorKey(l, p), padFisher(f, inFeatures));
      }
    this.hw = options.hw ?? DEFAULT_HW_PARAMS;
    this.engine = LlamaEngine.forModel(model, options.runtime ?? {});
  }

  /** Predictions the evaluation scores. */
  get evalTokens(): number {
    return this.windows.reduce((s, w) => s + w.scored, 0);
  }

  /** Quantized weights per clipping mode and FP8 scaling (prepareWeights, held compact), cached. */
  compactWeights(clip: ClipMode, fp8Scaling: Fp8Scaling = 'tensor'): CompactWeights {
    const key = `${clip}|${fp8Scaling}`;
    let p = this.prepared.get(key);
    if (!p) {
      p = CompactWeights.prepare(this.model.config, this.model.weights, {
        clip,
        fp8Scale: fp8Scaling,
        fisher: (l, proj) => this.calibration.weightFisher.get(tensorKey(l, proj)),
      });
      this.prepared.set(key, p);
    }
    return p;
  }

  /** Quantized weights (both versions, clip ratios) as prepareWeights gives them; each version is made when read. */
  preparedWeights(clip: ClipMode, fp8Scaling: Fp8Scaling = 'tensor'): PreparedTensor[] {
    return this.compactWeights(clip, fp8Scaling).lazy();
  }

  /** Block ranking of a policy (scored and sorted once), cached. */
  ranking(
    policy: PolicyKind,
    clip: ClipMode,
    fp8Scaling: Fp8Scaling = 'tensor',
    rank: RankMode = 'clipped',
  ): BlockRanking {
    const key = `${policy}|${clip}|${fp8Scaling}|${rank}`;
    let r = this.rankings.get(key);
    if (!r) {
      r = this.compactWeights(clip, fp8Scaling).ranking(policy, { seed: this.options.seed ?? 0, rank });
      this.rankings.set(key, r);
    }
    return r;
  }

  /** The forward graph with the activation quantization unit ('quantize') or its block scores ('scores'). */
  private variant(kind: 'quantize' | 'scores', feeds: Record<string, ort.Tensor>): ForwardVariant {
    const outputs = this.sites.map((s) => (kind === 'quantize' ? actFp8CountName : actScoreName)(s.layer, s.proj));
    return { key: kind, hook: actQuantHook(kind), feeds, outputs };
  }

  private fisherFeeds(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const s of this.sites) {
      const f = this.paddedFisher.get(tensorKey(s.layer, s.proj))!;
      feeds[actFisherInputName(s.layer, s.proj)] = f32(f, [f.length]);
    }
    return feeds;
  }

  /** Block scores of every site on the float32 calibration activations (computed once, in the graph). */
  async calibrationScores(opts: EvalOptions = {}): Promise<Map<string, Float32Array>> {
    if (this.calibScores) return this.calibScores;
    const { count, seqLen } = this.calibSequences;
    // The graph computes logits it does not return: keep them to about 64 MB a run, as with KL (on the
    // stories110M shape 2,048 positions grew onnxruntime's heap by hundreds of MB for the worker's life).
    const positions = Math.min(this.options.batchPositions ?? 2048, Math.floor(2 ** 24 / this.model.config.vocabSize));
    const batch = Math.max(1, Math.floor(positions / seqLen));
    // Each site's scores go straight into one array per site (the scored positions' rows, in batch order).
    const mask = this.calibSequences.lossMask;
    let rows = count * seqLen;
    if (mask) rows = mask.reduce((n, m) => n + (m ? 1 : 0), 0);
    const scores = new Map<string, Float32Array>(
      this.sites.map((s) => [tensorKey(s.layer, s.proj), new Float32Array(rows * s.blocks)]),
    );
    const variant = this.variant('scores', this.fisherFeeds());
    let row = 0;
    for (let s = 0; s < count; s += batch) {
      opts.signal?.throwIfAborted();
      const b = Math.min(batch, count - s);
      const out = await this.engine.forward(
        {
          batch: b,
          seq: seqLen,
          tokens: this.calibSequences.tokens.subarray(s * seqLen, (s + b) * seqLen),
          targets: this.calibSequences.targets.subarray(s * seqLen, (s + b) * seqLen),
        },
        { variant },
      );
      // Padding of ragged id sequences is not a calibration activation: only scored positions place τ.
      const m = mask?.subarray(s * seqLen, (s + b) * seqLen);
      let kept = 0;
      for (const site of this.sites) {
        const got = out.outputs!.get(actScoreName(site.layer, site.proj))!;
        const dst = scores.get(tensorKey(site.layer, site.proj))!;
        kept = m ? keepRows(got, m, site.blocks, dst, row * site.blocks) : b * seqLen;
        if (!m) dst.set(got, row * site.blocks);
        release(got);
      }
      row += kept;
    }
    this.calibScores = scores;
    return scores;
  }

  /** τ per site (in this.sites order) for an activation budget, cached. */
  async activationThresholds(
    actBudget: number,
    granularity: TauGranularity = 'global',
    opts: EvalOptions = {},
  ): Promise<TauChoice[]> {
    checkShare(actBudget, 'activation budget');
    const key = `${actBudget}|${granularity}`;
    const hit = this.taus.get(key);
    if (hit) return hit;
    const scores = await this.calibrationScores(opts);
    let out: TauChoice[];
    if (granularity === 'global') {
      const t = tauForShare([...scores.values()], actBudget);
      out = this.sites.map(() => t);
    } else {
      const perLayer = new Map<number, TauChoice>();
      for (let l = 0; l < this.model.config.nLayers; l++)
        perLayer.set(
          l,
          tauForShare(
            PROJECTIONS.map((p) => scores.get(tensorKey(l, p))!),
            actBudget,
          ),
        );
      out = this.sites.map((s) => perLayer.get(s.layer)!);
    }
    this.taus.set(key, out);
    return out;
  }

  /** Mixed weights and masks of a configuration (weights only; no evaluation). */
  mixedWeights(config: EvalConfig): {
    weights: Map<string, Float32Array>;
    masks: Map<string, Uint8Array>;
    fp8Share: number;
    perTensorShare: Map<string, number>;
  } {
    const { make, ...rest } = this.mixedMasks(validateEvalConfig(config));
    return { ...rest, weights: make() };
  }

  /** The masks of a configuration, and `make` for its mixed weights (fresh arrays each call). */
  private mixedMasks(c: Required<EvalConfig>) {
    const prepared = this.compactWeights(c.clip, c.fp8Scaling);
    const ranking = this.ranking(c.policy === 'layerwise' ? 'fgmp' : c.policy, c.clip, c.fp8Scaling, c.rank);
    let answer;
    if (c.policy === 'layerwise') {
      // Whole tensors, under the bits FGMP spends at this budget (flags included, as weightBits reports).
      const fgmp = answerBudget(ranking, c.budget);
      const target = totalStorageBits(storageInputs(ranking, fgmp), {
        fp8Scale: c.fp8Scaling,
        metadata: 'always',
      }).totalBits;
      answer = answerLayerwise(ranking, target, { fp8Scale: c.fp8Scaling, metadata: 'always' }).answer;
    } else answer = c.pins.length ? answerPinnedBudget(ranking, c.pins, c.budget) : answerBudget(ranking, c.budget);
    const masks = allMasks(ranking, answer);
    const byKey = new Map(prepared.tensors.map((t, i) => [tensorKey(t.layer, t.proj), i]));
    const maskMap = new Map<string, Uint8Array>();
    const perTensorShare = new Map<string, number>();
    ranking.tensors.forEach((t, i) => {
      const key = tensorKey(t.layer, t.proj);
      maskMap.set(key, masks[i]);
      perTensorShare.set(key, answer.perTensor[i].share);
    });
    const make = () => {
      const weights = new Map<string, Float32Array>();
      ranking.tensors.forEach((t, i) =>
        weights.set(layerWeightName(t.layer, t.proj), prepared.mixed(byKey.get(tensorKey(t.layer, t.proj))!, masks[i])),
      );
      return weights;
    };
    return { make, masks: maskMap, fp8Share: answer.fp8Share, perTensorShare };
  }

  /** Perplexity, shares, memory and energy of one configuration; cached by configuration. */
  async evaluate(config: EvalConfig, opts: EvalOptions = {}): Promise<EvalResult> {
    const c = validateEvalConfig(config);
    const key = configKey(c);
    const hit = this.results.get(key);
    if (hit) return { ...hit, policy: c.policy };
    const t0 = performance.now();
    // τ first: its pooled sort of the calibration scores is gone before the mixed weights exist.
    const taus = c.actBudget === null ? null : await this.activationThresholds(c.actBudget, c.actTau, opts);
    const mixed = this.mixedMasks(c);
    let variant: ForwardVariant | undefined;
    if (taus) {
      const feeds = this.fisherFeeds();
      this.sites.forEach((s, i) => (feeds[actTauInputName(s.layer, s.proj)] = f32(Float32Array.of(taus[i].tau), [1])));
      variant = this.variant('quantize', feeds);
    }
    const total = this.evalTokens;
    const kl = c.kl ? new KlAccumulator(this.model.config.vocabSize) : undefined;
    // The one float32 copy of the weights beside the model. With KL (one window per run) it is made for each
    // run and freed before the float32 run, so it and both models' logits are never alive together.
    const weights = kl ? mixed.make : mixed.make();
    let run;
    try {
      run = await this.runWindows(weights, variant, t0, opts, kl);
    } finally {
      if (typeof weights !== 'function') for (const w of weights.values()) release(w);
    }
    const { sumNll, nonFinite, positions, counts } = run;
    const meanNll = sumNll / Math.max(1, total - nonFinite);
    // Hardware: weight masks, and activation masks with the realised FP8 count of every block column
    // (pair counts depend only on per-column counts). Float32 activations are costed as FP8.
    const hwInputs: LinearInput[] = this.sites.map((s) => {
      const key = tensorKey(s.layer, s.proj);
      const [rows, cols] = weightShape(this.model.config, layerWeightName(s.layer, s.proj));
      const input: LinearInput = {
        layer: s.layer,
        proj: s.proj,
        rows,
        cols,
        weightMask: mixed.masks.get(key)!,
        tokens: positions,
      };
      if (taus) input.activationMask = columnCountMask(counts.get(key)!, positions);
      else input.activationFp8Share = 1;
      return input;
    });
    const hw = simulateHardware(hwInputs, this.hw, { fp8Scale: c.fp8Scaling });
    this.hwInputs.set(key, { inputs: hwInputs, fp8Scale: c.fp8Scaling });
    let actFp8 = 0;
    let actBlocks = 0;
    const layers: LayerRow[] = this.sites.map((s) => {
      const key = tensorKey(s.layer, s.proj);
      let share: number | null = null;
      if (taus) {
        const n = counts.get(key)!.reduce((a, b) => a + b, 0);
        actFp8 += n;
        actBlocks += positions * s.blocks;
        share = n / (positions * s.blocks);
      }
      return { layer: s.layer, proj: s.proj, fp8Share: mixed.perTensorShare.get(key)!, actFp8Share: share };
    });
    const result: EvalResult = {
      policy: c.policy,
      budget: c.budget,
      actBudget: c.actBudget,
      clip: c.clip,
      fp8Scaling: c.fp8Scaling,
      actTau: c.actTau,
      ppl: Math.exp(meanNll),
      meanNll,
      tokens: total,
      fp8Share: mixed.fp8Share,
      actFp8Share: taus ? actFp8 / actBlocks : null,
      layers,
      weightBits: hw.weightBits.mixed,
      weightBitsPerWeight: hw.weightBits.bitsPerWeight,
      weightMemoryVsFp8: hw.weightBits.mixed / hw.weightBits.allFp8,
      energy: energySummary(hw),
      kl: kl ? kl.result() : null,
      pins: formatPins(c.pins),
      tau: taus ? (c.actTau === 'global' ? taus[0].tau : taus.map((t) => t.tau)) : null,
      nonFinite,
      seconds: (performance.now() - t0) / 1000,
    };
    this.results.set(key, result);
    return result;
  }

  /**
   * The full hardware report (components per linear and layer, references) of a configuration, evaluated first
   * if needed, under other hardware options (preset, batch) or parameters when given.
   */
  async hardwareReport(
    config: EvalConfig,
    options: HardwareOptions = {},
    params: HwParams = this.hw,
    opts: EvalOptions = {},
  ): Promise<HardwareReport> {
    await this.evaluate(config, opts);
    const saved = this.hwInputs.get(configKey(validateEvalConfig(config)))!;
    return simulateHardware(saved.inputs, params, { fp8Scale: saved.fp8Scale, ...options });
  }

  /** Runs the evaluation windows through the forward graph (or a variant); sums NLL over scored positions and FP8 counts. */
  private async runWindows(
    /** Weights swapped in: a map, or made for each run and freed after it. */
    weights: ReadonlyMap<string, Float32Array> | (() => ReadonlyMap<string, Float32Array>) | undefined,
    variant: ForwardVariant | undefined,
    t0: number,
    opts: EvalOptions,
    kl?: KlAccumulator,
  ) {
    const counts = new Map<string, Float64Array>(
      this.sites.map((s) => [tensorKey(s.layer, s.proj), new Float64Array(s.blocks)]),
    );
    const groups = new Map<number, Window[]>();
    for (const w of this.windows) groups.set(w.tokens.length, [...(groups.get(w.tokens.length) ?? []), w]);
    const total = this.evalTokens;
    let positions = 0;
    let done = 0;
    let sumNll = 0;
    let nonFinite = 0;
    for (const [len, ws] of groups) {
      // With KL both models' logits are held for a batch: keep them to about 64 MB each.
      const positionsPerRun = Math.min(
        this.options.batchPositions ?? 2048,
        kl ? Math.max(len, Math.floor(2 ** 24 / this.model.config.vocabSize)) : Infinity,
      );
      const batch = Math.max(1, Math.floor(positionsPerRun / len));
      for (let k = 0; k < ws.length; k += batch) {
        opts.signal?.throwIfAborted();
        const part = ws.slice(k, k + batch);
        const tokens = new Int32Array(part.length * len);
        const targets = new Int32Array(part.length * len);
        part.forEach((w, b) => {
          tokens.set(w.tokens, b * len);
          targets.set(w.targets, b * len);
        });
        const run = { batch: part.length, seq: len, tokens, targets };
        const w = typeof weights === 'function' ? weights() : weights;
        let out;
        try {
          out = await this.engine.forward(run, { weights: w, variant, logits: !!kl });
        } finally {
          if (typeof weights === 'function') for (const a of w!.values()) release(a);
        }
        if (kl) {
          // The float32 model on the same positions, live (no stored base logits).
          const ref = await this.engine.forward(run, { logits: true });
          const mask = new Uint8Array(part.length * len);
          part.forEach((w, b) => mask.set(w.mask, b * len));
          kl.add(ref.logits!, out.logits!, targets, mask);
          // Both models' logits of a batch (vocab floats per position): freed now, not at the next collection.
          release(ref.logits!);
          release(out.logits!);
        }
        const nll = out.nll;
        part.forEach((w, b) => {
          for (let i = 0; i < len; i++)
            if (w.mask[i]) {
              const v = nll[b * len + i];
              if (Number.isFinite(v)) sumNll += v;
              else nonFinite++;
            }
          done += w.scored;
        });
        positions += part.length * len;
        if (variant)
          for (const s of this.sites) {
            const acc = counts.get(tensorKey(s.layer, s.proj))!;
            const got = out.outputs!.get(actFp8CountName(s.layer, s.proj))!;
            for (let j = 0; j < acc.length; j++) acc[j] += got[j];
          }
        opts.onProgress?.(tokenProgress('evaluate', opts.label ?? 'Perplexity', done, total, t0));
      }
    }
    return { sumNll, nonFinite, positions, counts };
  }

  /** Perplexity of the unquantized float32 model on the evaluation tokens (cached). */
  async evaluateFloat32(opts: EvalOptions = {}): Promise<PlainResult> {
    if (this.float32Result) return this.float32Result;
    const t0 = performance.now();
    const r = await this.runWindows(undefined, undefined, t0, opts);
    const meanNll = r.sumNll / Math.max(1, this.evalTokens - r.nonFinite);
    this.float32Result = {
      ppl: Math.exp(meanNll),
      meanNll,
      tokens: this.evalTokens,
      nonFinite: r.nonFinite,
      seconds: (performance.now() - t0) / 1000,
    };
    return this.float32Result;
  }

  /**
   * Perplexity with every linear projection's weights replaced by transform(weights) (embeddings, norms and
   * the classifier stay float32): the same windows and plain graph as evaluateFloat32, weights swapped in as
   * graph inputs. Not cached (the caller knows what the transform means).
   */
  async evaluateLinearTransform(
    transform: (weights: Float32Array, layer: number, proj: Projection) => Float32Array,
    opts: EvalOptions = {},
  ): Promise<PlainResult> {
    const t0 = performance.now();
    const replace = new Map<string, Float32Array>();
    for (const s of this.sites)
      replace.set(
        layerWeightName(s.layer, s.proj),
        transform(this.model.weights.layers[s.layer][s.proj], s.layer, s.proj),
      );
    const r = await this.runWindows(replace, undefined, t0, opts);
    const meanNll = r.sumNll / Math.max(1, this.evalTokens - r.nonFinite);
    return {
      ppl: Math.exp(meanNll),
      meanNll,
      tokens: this.evalTokens,
      nonFinite: r.nonFinite,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  /**
   * Every policy at every budget, policies outer (shared results at budgets 0 and 1 are computed once).
   * actBudget 'same' quantizes activations with the weight budget's share.
   */
  async sweep<P extends EvalPolicy = PolicyKind>(
    base: Omit<EvalConfig, 'policy' | 'budget' | 'actBudget'> & { actBudget: number | null | 'same' },
    budgets: readonly number[] = DEFAULT_BUDGETS,
    policies: readonly P[] = POLICY_KINDS as readonly P[],
    opts: EvalOptions & { onResult?: (r: EvalResult & { policy: P }) => void } = {},
  ): Promise<(EvalResult & { policy: P })[]> {
    const out: (EvalResult & { policy: P })[] = [];
    for (const policy of policies)
      for (const budget of budgets) {
        const actBudget = base.actBudget === 'same' ? budget : base.actBudget;
        const r = { ...(await this.evaluate({ ...base, actBudget, policy, budget }, opts)), policy };
        out.push(r);
        opts.onResult?.(r);
      }
    return out;
  }

  async dispose(): Promise<void> {
    await this.engine.dispose();
  }
}

/**
 * The cache key of a configuration: every field of the normalised config, except that at budget 0 or 1 (no
 * pins) every policy gives the same masks, and τ granularity is moot with float32 activations.
 */
function configKey(c: Required<EvalConfig>): string {
  const samePolicies = (c.budget === 0 || c.budget === 1) && c.pins.length === 0;
  return JSON.stringify({
    ...c,
    policy: samePolicies ? '*' : c.policy,
    actTau: c.actBudget === null ? '' : c.actTau,
    pins: formatPins(c.pins),
  });
}

/** Copies the rows (positions) of a [positions, width] array where mask is 1 into out at `at`; returns their count. */
function keepRows(a: ArrayLike<number>, mask: ArrayLike<number>, width: number, out: Float32Array, at: number): number {
  let o = at;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      for (let j = 0; j < width; j++) out[o++] = a[i * width + j];
    }
  return (o - at) / width;
}

/** A [tokens, columns] mask whose column c holds counts[c] ones (the first rows): same pair counts. */
function columnCountMask(counts: Float64Array, tokens: number): Uint8Array {
  const nb = counts.length;
  const mask = new Uint8Array(tokens * nb);
  for (let c = 0; c < nb; c++) for (let t = 0; t < counts[c]; t++) mask[t * nb + c] = 1;
  return mask;
}

// Model-level glue: quantize every linear projection once, score its blocks for a policy, rank.
import { PROJECTIONS, projectionShape, type LlamaConfig, type LlamaWeights, type Projection } from '../model/types';
import { rankGlobally, rankPerTensor, type BlockRanking, type ScoredTensor } from './policy';
import { quantizeWeight, type ClipMode, type QuantizedWeight } from './quantize';
import { quantizeNvfp4Fast } from '../formats/index.ts';
import { errorScores, fgmpScores, magnitudeScores, randomScores, unweightedScores } from './scores';

/** Policies the app compares: the FGMP score, its baselines, and per-layer uniform (FGMP-ranked inside each tensor). */
export type PolicyKind = 'fgmp' | 'unweighted' | 'error' | 'magnitude' | 'random' | 'uniform';
export const POLICY_KINDS: readonly PolicyKind[] = ['fgmp', 'unweighted', 'error', 'magnitude', 'random', 'uniform'];

/** Per-element weight Fisher of a projection (shape of the weight), or undefined when not calibrated. */
export type WeightFisherSource = (layer: number, proj: Projection) => Float32Array | undefined;

export interface PreparedTensor {
  layer: number;
  proj: Projection;
  rows: number;
  cols: number;
  weight: Float32Array;
  fisher: Float32Array | undefined;
  quant: QuantizedWeight;
}

export interface PrepareOptions {
  clip?: ClipMode;
  fisher?: WeightFisherSource;
  fp8Scale?: 'tensor' | 'row';
  clipGrid?: readonly number[];
  /** Keep each tensor's clipping curve in quant.curve (default true; false: null, clippingCurve on demand). */
  curve?: boolean;
  /** Restrict to these layers (default: all). */
  layers?: readonly number[];
  /** Called after each tensor, for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

/** Quantizes every projection of every (selected) layer, in canonical order (layer, PROJECTIONS). */
export function prepareWeights(
  config: LlamaConfig,
  weights: LlamaWeights,
  options: PrepareOptions = {},
): PreparedTensor[] {
  const layers = options.layers ?? Array.from({ length: config.nLayers }, (_, l) => l);
  const out: PreparedTensor[] = [];
  const total = layers.length * PROJECTIONS.length;
  for (const layer of layers) {
    const lw = weights.layers[layer];
    if (!lw) throw new Error(`layer ${layer} not in the model (${weights.layers.length} layers)`);
    for (const proj of PROJECTIONS) {
      const [rows, cols] = projectionShape(config, proj);
      const weight = lw[proj];
      const fisher = options.fisher?.(layer, proj);
      const quant = quantizeWeight(weight, rows, cols, {
        clip: options.clip,
        fisher,
        fp8Scale: options.fp8Scale,
        grid: options.clipGrid,
        curve: options.curve,
      });
      out.push({ layer, proj, rows, cols, weight, fisher, quant });
      options.onProgress?.(out.length, total);
    }
  }
  return out;
}

/**
 * Which NVFP4 values the scores compare (issue 14): the clipped ones the model runs with (default) or
 * the unclipped ones (alpha = 1; an independent reference's convention). Only the ranking changes.
 */
export type RankMode = 'clipped' | 'unclipped';
export const RANK_MODES: readonly RankMode[] = ['clipped', 'unclipped'];

export interface ScoreOptions {
  /** Seed of the random baseline. */
  seed?: number;
  /** NVFP4 values the scores use (default 'clipped'). */
  rank?: RankMode;
  /** Error-vs-original score weighted by Fisher (default true when Fisher is present). */
  errorFisherWeighted?: boolean;
}

function needFisher(t: PreparedTensor, kind: PolicyKind): Float32Array {
  if (!t.fisher)
    throw new Error(`policy "${kind}" needs the weight Fisher of layer ${t.layer} ${t.proj} (run calibration first)`);
  return t.fisher;
}

/** One score per block of every tensor for a policy ('uniform' uses the FGMP score). */
export function scoreTensors(
  prepared: readonly PreparedTensor[],
  kind: PolicyKind,
  options: ScoreOptions = {},
): ScoredTensor[] {
  const rank = options.rank ?? 'clipped';
  if (!RANK_MODES.includes(rank)) throw new Error(`unknown rank mode "${rank as string}" (${RANK_MODES.join(', ')})`);
  return prepared.map((t) => {
    const { rows, cols } = t;
    const quant = rank === 'unclipped' ? unclipped(t) : t.quant;
    let scores: Float64Array;
    switch (kind) {
      case 'fgmp':
      case 'uniform':
        scores = fgmpScores(rows, cols, quant.qLo, quant.qHi, needFisher(t, kind));
        break;
      case 'unweighted':
        scores = unweightedScores(rows, cols, quant.qLo, quant.qHi);
        break;
      case 'error':
        scores = errorScores(
          rows,
          cols,
          quant.qLo,
          t.weight,
          options.errorFisherWeighted === false ? undefined : t.fisher,
        );
        break;
      case 'magnitude':
        scores = magnitudeScores(rows, cols, t.weight);
        break;
      case 'random':
        scores = randomScores(
          quant.grid.blockCount,
          options.seed ?? 0,
          t.layer * PROJECTIONS.length + PROJECTIONS.indexOf(t.proj),
        );
        break;
      default:
        throw new Error(`unknown policy "${kind as string}" (${POLICY_KINDS.join(', ')})`);
    }
    return { layer: t.layer, proj: t.proj, rows, cols, scores };
  });
}

/** The tensor's quantization with Q_lo at alpha = 1 (the same tensor scale); itself when unclipped. */
function unclipped(t: PreparedTensor): QuantizedWeight {
  const q = t.quant;
  if (q.clipMode === 'none') return q;
  const qLo = quantizeNvfp4Fast(t.weight, { rowLength: t.cols, tensorScale: q.nvfp4TensorScale }).values;
  return { ...q, qLo };
}

/** Scores and sorts once for a policy; answer budgets with answerBudget(). */
export function buildRanking(
  prepared: readonly PreparedTensor[],
  kind: PolicyKind,
  options: ScoreOptions = {},
): BlockRanking {
  const scored = scoreTensors(prepared, kind, options);
  return kind === 'uniform' ? rankPerTensor(scored) : rankGlobally(scored);
}

// Types that cross the worker boundary (structured clone / transfer). Kept free of classes so that
// Comlink can copy them; typed arrays in here are transferred, not copied, where noted.
import type { LlamaConfig, Projection } from '../src/core/model/types';
import type { ClippingId, Fp8Scaling, PolicyId } from '../src/core/url/shareState';

export type Stage = 'fetch' | 'load' | 'tokenize' | 'calibrate' | 'quantize' | 'evaluate' | 'sweep';

/** One progress report of a long step. */
export interface Progress {
  stage: Stage;
  /** What the step is doing, for the progress bar's label. */
  label: string;
  done: number;
  total: number;
  unit: 'bytes' | 'tokens' | 'tensors' | 'points';
  /** Units per second so far (0 until measurable). */
  rate: number;
  /** Seconds left at the current rate (NaN until measurable). */
  etaSeconds: number;
}

export type ProgressCallback = (p: Progress) => void;

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export interface TensorRow {
  name: string;
  storedName: string;
  shape: number[];
  dtype: string;
  numel: number;
  nanCount: number;
}

export interface ModelSummary {
  name: string;
  format: string;
  variant: string;
  bytes: number;
  config: LlamaConfig;
  parameters: number;
  tensors: TensorRow[];
  nanCount: number;
  warnings: string[];
  /** Name of the tokenizer file or "embedded" (GGUF/HF), or null when none is loaded. */
  tokenizer: string | null;
  tokenizerVocab: number | null;
}

export interface TextSummary {
  name: string;
  characters: number;
  /** Tokens in the first `tokensCounted` characters (0 without a tokenizer). */
  tokens: number;
  tokensCounted: number;
}

export interface CalibrationSummary {
  tokens: number;
  sequences: number;
  sequenceLength: number;
  meanNll: number;
  seconds: number;
  engine: string;
}

/** A BlockRanking (src/core/fgmp/policy.ts) as plain arrays, rebuilt on the UI thread in O(1). */
export interface WireRanking {
  kind: 'global' | 'per-tensor';
  totalBlocks: number;
  scores: Float64Array;
  order: Uint32Array | null;
  tensors: {
    layer: number;
    proj: Projection;
    rows: number;
    cols: number;
    offset: number;
    order: Uint32Array;
    ranks: Uint32Array;
  }[];
}

/**
 * Activation blocks seen during calibration, per linear input: ranks of each tensor's blocks in the
 * global order by activation score (ascending), enough to answer any activation budget with a binary
 * search per tensor (exactly what the weight policy does).
 */
export interface WireActivationRanking {
  totalBlocks: number;
  /** Scores in global rank order (descending): threshold for budget k is sortedScores[k-1]. */
  sortedScores: Float64Array;
  tensors: { layer: number; proj: Projection; blocks: number; ranks: Uint32Array }[];
}

export interface QuantizeRequest {
  policy: PolicyId;
  clipping: ClippingId;
  fp8Scaling: Fp8Scaling;
}

export interface QuantizeResult extends QuantizeRequest {
  ranking: WireRanking;
  activations: WireActivationRanking | null;
  /** Clipping modes that could not be honoured (e.g. fisher before calibration) and the one used. */
  clippingUsed: ClippingId;
  notes: string[];
}

export interface TensorDetail {
  layer: number;
  proj: Projection;
  rows: number;
  cols: number;
  weight: Float32Array;
  qLo: Float32Array;
  qHi: Float32Array;
  clipRatio: Float32Array;
  fisher: Float32Array | null;
  nvfp4TensorScale: number;
  fp8Scales: Float32Array;
  /** Curve over the clip grid of the whole tensor (all blocks at one ratio). */
  curve: { grid: number[]; mse: Float64Array; fisherMse: Float64Array } | null;
}

export interface BlockCurve {
  block: number;
  grid: number[];
  mse: Float64Array;
  fisherMse: Float64Array;
}

export interface EvaluateRequest extends QuantizeRequest {
  weightBudget: number;
  activationBudget: number;
  evaluationTokens: number;
  /** 'mixed' = the configuration; 'fp8' / 'nvfp4' = the all-FP8 and all-NVFP4 baselines at the same settings; 'float' = unquantized. */
  variant: 'mixed' | 'fp8' | 'nvfp4' | 'float';
}

export interface EvaluateResult {
  meanNll: number;
  ppl: number;
  tokens: number;
  seconds: number;
  engine: string;
  /** Activation threshold τ used (NaN for uniform variants). */
  activationThreshold: number;
  /** Realised shares and costs as the pipeline reports them (null for the float32 variant). */
  fp8Share: number | null;
  weightBits: number | null;
  weightBitsPerWeight: number | null;
  /** Energy of one pass over the evaluation tokens with the realised activation masks, relative to all-FP8. */
  energyVsFp8: number | null;
  actFp8Share: number | null;
}

export interface SweepPoint {
  policy: PolicyId;
  weightBudget: number;
  ppl: number;
  meanNll: number;
  /** Simulated energy relative to all-FP8 (1 = same). */
  energyVsFp8: number;
}

export interface SweepRequest extends Omit<QuantizeRequest, 'policy'> {
  policies: PolicyId[];
  budgets: number[];
  activationBudget: number;
  evaluationTokens: number;
}

export interface TruncationRequest {
  /** Mantissa bits kept, 0..23 (23: float32 unchanged). */
  keep: number;
  mode: 'truncate' | 'round';
  evaluationTokens: number;
}

export interface TruncationResult extends TruncationRequest {
  /** Perplexity with every linear projection's weights reduced to `keep` mantissa bits. */
  ppl: number;
  meanNll: number;
  /** The float32 model on the same tokens. */
  float32Ppl: number;
  float32MeanNll: number;
  tokens: number;
  seconds: number;
  /** Which weights were reduced (the rest stay float32). */
  weights: string;
  engine: string;
}

// What the pipeline produces, in the core's own terms: the CLI prints these, the worker sends them over
// structured clone (no classes; typed arrays are transferred), and the store and views read them. The worker
// protocol (workers/protocol.ts) re-exports them; nothing here knows about workers or React.
import type { BlockRanking } from '../fgmp/index.ts';
import type { LlamaConfig, Projection } from '../model/types.ts';
import type { KlStats } from '../eval/kl.ts';
import type { ClipMode, Fp8Scaling, PolicyKind } from './vocabulary.ts';

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

/** A token-counting step's progress after `done` of `total` tokens, started at performance.now() = t0. */
export function tokenProgress(stage: Stage, label: string, done: number, total: number, t0: number): Progress {
  const seconds = (performance.now() - t0) / 1000;
  const rate = done / Math.max(seconds, 1e-9);
  return { stage, label, done, total, unit: 'tokens', rate, etaSeconds: (total - done) / rate };
}
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
  /** NaN and ±Inf weights in the loaded float32 tensor, counted apart (nan equals nanCount). */
  nonFinite: { nan: number; inf: number };
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
  /** NaN and ±Inf weights over all tensors. */
  nonFinite: { nan: number; inf: number };
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
  /** What the model was calibrated on: a text (by name) or its own samples (seed); describeSource's words. */
  data: { kind: 'text' | 'samples'; description: string; seed: number | null };
  /** Bytes of per-element weight Fisher the worker keeps in the origin's storage, not memory (0: in memory). */
  fisherStoredBytes: number;
}
/**
 * Data-free calibration and evaluation: seeds of the model's own samples (`--calib-seed` / `--eval-seed`),
 * null for the texts; evaluationTokens: sample that many evaluation tokens during calibration already.
 */
export interface DataSeeds {
  calibrationSeed: number | null;
  evaluationSeed: number | null;
  evaluationTokens?: number;
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
  /** KL statistics against the float32 model (null unless the request asked for kl, and for 'float'). */
  kl?: KlStats | null;
  /** Energy by component in pJ (src/core/hw ENERGY_COMPONENTS) for one pass over the evaluation tokens. */
  energyComponents?: Record<string, number> | null;
}
export interface QuantizeRequest {
  policy: PolicyKind;
  clipping: ClipMode;
  fp8Scaling: Fp8Scaling;
}
/** A policy's block ranking for the budget sliders (the worker sends it as WireRanking). */
export interface QuantizeResult extends QuantizeRequest {
  ranking: BlockRanking;
  /** The clipping mode used: Fisher-weighted clipping needs calibration, MSE stands in until then. */
  clippingUsed: ClipMode;
  notes: string[];
}
/** 'mixed' = the configuration; 'fp8' / 'nvfp4' = the all-FP8 and all-NVFP4 baselines at the same settings; 'float' = unquantized. */
export type EvaluateVariant = 'mixed' | 'fp8' | 'nvfp4' | 'float';
export interface EvaluateRequest extends QuantizeRequest {
  weightBudget: number;
  activationBudget: number;
  evaluationTokens: number;
  variant: EvaluateVariant;
  /** Whole tensors pinned, as the CLI's --pin SPEC (global policies; 'mixed' only). */
  pins?: string;
  /** The layerwise baseline over this (FGMP) ranking at FGMP's bits ('mixed' only). */
  layerwise?: boolean;
  /** Also KL statistics against the float32 model (EvalConfig.kl). */
  kl?: boolean;
}
export interface SweepRequest extends Omit<QuantizeRequest, 'policy'> {
  policies: PolicyKind[];
  budgets: number[];
  activationBudget: number;
  evaluationTokens: number;
  /** Also KL statistics at every point. */
  kl?: boolean;
}
export interface SweepPoint {
  policy: PolicyKind;
  weightBudget: number;
  ppl: number;
  meanNll: number;
  /** Simulated energy relative to all-FP8 (1 = same). */
  energyVsFp8: number;
  kl?: KlStats | null;
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

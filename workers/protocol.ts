// Types that cross the worker boundary (structured clone / transfer). Kept free of classes so that
// Comlink can copy them; typed arrays in here are transferred, not copied, where noted.
import type { Projection } from '../src/core/model/types';
import type {
  Stage,
  Progress,
  ProgressCallback,
  NamedBytes,
  TensorRow,
  ModelSummary,
  TextSummary,
  CalibrationSummary,
  TensorDetail,
  BlockCurve,
  EvaluateResult,
  SweepPoint,
  TruncationRequest,
  TruncationResult,
} from '../src/core/pipeline/results';
export type {
  Stage,
  Progress,
  ProgressCallback,
  NamedBytes,
  TensorRow,
  ModelSummary,
  TextSummary,
  CalibrationSummary,
  TensorDetail,
  BlockCurve,
  EvaluateResult,
  SweepPoint,
  TruncationRequest,
  TruncationResult,
};
import type { ClippingId, Fp8Scaling, PolicyId } from '../src/core/url/shareState';
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
export interface EvaluateRequest extends QuantizeRequest {
  weightBudget: number;
  activationBudget: number;
  evaluationTokens: number;
  /** 'mixed' = the configuration; 'fp8' / 'nvfp4' = the all-FP8 and all-NVFP4 baselines at the same settings; 'float' = unquantized. */
  variant: 'mixed' | 'fp8' | 'nvfp4' | 'float';
}
export interface SweepRequest extends Omit<QuantizeRequest, 'policy'> {
  policies: PolicyId[];
  budgets: number[];
  activationBudget: number;
  evaluationTokens: number;
}

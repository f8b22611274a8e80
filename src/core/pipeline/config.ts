// One FGMP configuration (policy, budgets, clipping, scaling, τ granularity) and what its evaluation
// reports: the terms FgmpSession takes and gives, the CLI prints as JSON and the worker maps to the app.
import { CLIP_MODES, POLICY_KINDS, RANK_MODES, type ClipMode, type PolicyKind, type RankMode } from '../fgmp/index.ts';
import type { Projection } from '../model/types.ts';
import type { Pin } from '../fgmp/pins.ts';
import type { KlStats } from '../eval/kl.ts';
import type { Fp8Scaling, TauGranularity } from './vocabulary.ts';

export type { Fp8Scaling, TauGranularity } from './vocabulary.ts';

/** A ranking policy, or the per-tensor knapsack baseline over FGMP scores at the same bits (fgmp/layerwise.ts). */
export type EvalPolicy = PolicyKind | 'layerwise';
export const EVAL_POLICIES: readonly EvalPolicy[] = [...POLICY_KINDS, 'layerwise'];

export interface EvalConfig {
  policy: EvalPolicy;
  /** Share of weight blocks in FP8, [0, 1]. */
  budget: number;
  /** Share of calibration activation blocks in FP8, [0, 1]; null keeps activations in float32. */
  actBudget: number | null;
  clip: ClipMode;
  /** FP8 weight scale granularity (default 'tensor'). */
  fp8Scaling?: Fp8Scaling;
  /** One τ for the model (default) or one per layer. */
  actTau?: TauGranularity;
  /** Whole tensors forced to one precision; they count toward the budget (fgmp/pins.ts). Global policies only. */
  pins?: readonly Pin[];
  /** Also compare every position's next-token distribution with the float32 model's (doubles the cost). */
  kl?: boolean;
  /** Scores from the clipped NVFP4 values (default) or the unclipped ones (fgmp/prepare.ts RankMode). */
  rank?: RankMode;
}

export interface LayerRow {
  layer: number;
  proj: Projection;
  /** Weight blocks in FP8. */
  fp8Share: number;
  /** Activation blocks in FP8 on the evaluation tokens (null with float32 activations). */
  actFp8Share: number | null;
}

export interface EvalResult {
  policy: EvalPolicy;
  budget: number;
  actBudget: number | null;
  clip: ClipMode;
  fp8Scaling: Fp8Scaling;
  actTau: TauGranularity;
  ppl: number;
  meanNll: number;
  /** Predictions scored. */
  tokens: number;
  /** Realised share of weight blocks in FP8 (round(budget·N) / N). */
  fp8Share: number;
  /** Realised share of activation blocks in FP8 on the evaluation tokens (null: float32). */
  actFp8Share: number | null;
  layers: LayerRow[];
  /** Storage of all linear weights in bits (mixed format, 1 flag bit per block). */
  weightBits: number;
  weightBitsPerWeight: number;
  /** weightBits / all-FP8 bits. */
  weightMemoryVsFp8: number;
  energy: {
    /** pJ for one pass over the evaluation tokens through every linear layer. */
    total: number;
    vsFp8: number;
    vsNvfp4: number;
    datapath: number;
    activationUnit: number;
    weightMemory: number;
    activationMemory: number;
    /** pJ by component (src/core/hw ENERGY_COMPONENTS). */
    components: Record<string, number>;
    perLayer: { layer: number; total: number; vsFp8: number }[];
  };
  /** KL statistics against the float32 model (null unless asked: EvalConfig.kl). */
  kl: KlStats | null;
  /** The pins applied, as LAYER.PROJ=precision items (empty: none). */
  pins: string;
  /** τ used per site (global: the same number everywhere); absent with float32 activations. */
  tau: number | number[] | null;
  /** Predictions whose NLL was not finite (counted, left out of the mean). */
  nonFinite: number;
  seconds: number;
}

/** Perplexity of the float32 model (or of transformed linear weights) on the evaluation tokens. */
export interface PlainResult {
  ppl: number;
  meanNll: number;
  tokens: number;
  nonFinite: number;
  seconds: number;
}

export const DEFAULT_BUDGETS: readonly number[] = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1];

export function checkShare(v: number, what: string): void {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${what} must be a number in [0, 1], got ${v}`);
}

export function validateEvalConfig(c: EvalConfig): Required<EvalConfig> {
  if (!EVAL_POLICIES.includes(c.policy)) throw new Error(`unknown policy "${c.policy}" (${EVAL_POLICIES.join(', ')})`);
  if (!CLIP_MODES.includes(c.clip)) throw new Error(`unknown clip mode "${c.clip}" (${CLIP_MODES.join(', ')})`);
  checkShare(c.budget, 'budget');
  if (c.actBudget !== null) checkShare(c.actBudget, 'activation budget');
  const fp8Scaling = c.fp8Scaling ?? 'tensor';
  if (fp8Scaling !== 'tensor' && fp8Scaling !== 'row')
    throw new Error(`fp8Scaling must be "tensor" or "row", got "${fp8Scaling}"`);
  const actTau = c.actTau ?? 'global';
  if (actTau !== 'global' && actTau !== 'layer') throw new Error(`actTau must be "global" or "layer", got "${actTau}"`);
  const rank = c.rank ?? 'clipped';
  if (!RANK_MODES.includes(rank)) throw new Error(`unknown rank mode "${rank}" (${RANK_MODES.join(', ')})`);
  const pins = c.pins ?? [];
  if (pins.length > 0 && (c.policy === 'uniform' || c.policy === 'layerwise'))
    throw new Error(`pins apply to the global policies, not to ${c.policy}`);
  return {
    policy: c.policy,
    budget: c.budget,
    actBudget: c.actBudget,
    clip: c.clip,
    fp8Scaling,
    actTau,
    pins,
    kl: c.kl ?? false,
    rank,
  };
}

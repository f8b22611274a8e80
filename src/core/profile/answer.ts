// Budget answers from a profile alone. Weight budgets: from the stored block scores through the very same
// ranking code as the live pipeline (rankGlobally / rankPerTensor, DESIGN.md §3 tie order), so the FP8 sets
// are identical; or, for models too large to hold every score, from the per-tensor histograms within the
// format's bound (histogram.ts). Activation budgets: τ by the live rule (tauForShare) on the stored
// calibration activation scores, and the realised share of each site on them; or from the histograms.
import { answerBudget, rankGlobally, rankPerTensor, type BlockRanking, type BudgetAnswer } from '../fgmp/policy.ts';
import { randomScores } from '../fgmp/scores.ts';
import type { PolicyKind } from '../fgmp/prepare.ts';
import { tauForShare } from '../actquant/tau.ts';
import { ActivationShareIndex } from '../actquant/shareIndex.ts';
import { PROJECTIONS, type Projection } from '../model/types.ts';
import { blocksPerRow, STORED_POLICIES, type StoredPolicy } from './format.ts';
import type { Profile } from './reader.ts';
import type { HistogramIndex } from './histogram.ts';

export type AnswerSource = 'block scores' | 'histogram';

export interface TensorShare {
  layer: number;
  proj: Projection;
  blocks: number;
  fp8: number;
  share: number;
  /** Bound on |fp8 − exact|: 0 from block scores; the tensor's blocks in the boundary bin from histograms. */
  slack: number;
}

export interface WeightAnswer {
  policy: PolicyKind;
  budget: number;
  k: number;
  totalBlocks: number;
  fp8Share: number;
  source: AnswerSource;
  perTensor: TensorShare[];
  /** Precision mask of tensor t (1 = FP8): exact from block scores; from histograms, the first fp8 blocks (row-major). */
  mask(t: number): Uint8Array;
}

/** Exact ranking of a policy from the stored scores (loads every tensor's scores: small and mid-size models). */
export async function profileRanking(profile: Profile, policy: PolicyKind): Promise<BlockRanking> {
  const stored: StoredPolicy | null =
    policy === 'uniform' ? 'fgmp' : policy === 'random' ? null : (policy as StoredPolicy);
  if (stored !== null && !(STORED_POLICIES as readonly string[]).includes(stored))
    throw new Error(`unknown policy "${policy}"`);
  const scored = await Promise.all(
    profile.tensors.map(async (t, i) => ({
      layer: t.layer,
      proj: t.proj,
      rows: t.rows,
      cols: t.cols,
      scores:
        stored === null
          ? randomScores(
              t.rows * blocksPerRow(t.cols),
              profile.meta.quantization.randomSeed,
              t.layer * PROJECTIONS.length + PROJECTIONS.indexOf(t.proj),
            )
          : await profile.blockScores(i, stored),
    })),
  );
  return policy === 'uniform' ? rankPerTensor(scored) : rankGlobally(scored);
}

function fromRanking(policy: PolicyKind, ranking: BlockRanking, a: BudgetAnswer): WeightAnswer {
  const tensors = ranking.tensors;
  return {
    policy,
    budget: a.budget,
    k: a.k,
    totalBlocks: a.totalBlocks,
    fp8Share: a.fp8Share,
    source: 'block scores',
    perTensor: a.perTensor.map((r) => ({
      layer: r.layer,
      proj: r.proj,
      blocks: r.blocks,
      fp8: r.fp8,
      share: r.share,
      slack: 0,
    })),
    mask(t) {
      const m = new Uint8Array(tensors[t].grid.blockCount);
      const order = tensors[t].order;
      for (let j = 0; j < a.fp8Counts[t]; j++) m[order[j]] = 1;
      return m;
    },
  };
}

/** Budget answer from the histograms of a stored policy (within the bound of docs/profile-format.md §4). */
export function histogramWeightAnswer(
  profile: Profile,
  policy: PolicyKind,
  index: HistogramIndex | null,
  budget: number,
): WeightAnswer {
  const tensors = profile.tensors;
  let fp8: ArrayLike<number>;
  let slack: ArrayLike<number>;
  const N = profile.totalBlocks;
  let k: number;
  if (policy === 'uniform') {
    // Per-layer uniform needs no scores for its counts: the live apportionment, exact.
    if (!(budget >= 0 && budget <= 1)) throw new Error(`budget must be in [0, 1], got ${budget}`);
    k = Math.round(budget * N);
    fp8 = apportionCounts(
      tensors.map((t) => t.rows * blocksPerRow(t.cols)),
      k,
      N,
    );
    slack = new Float64Array(tensors.length);
  } else {
    if (!index) throw new Error(`policy "${policy}" has no histogram in a profile`);
    const h = index.answerBudget(budget);
    k = h.k;
    fp8 = h.fp8Counts;
    slack = h.slack;
  }
  const perTensor = tensors.map((t, i) => {
    const blocks = t.rows * blocksPerRow(t.cols);
    return { layer: t.layer, proj: t.proj, blocks, fp8: fp8[i], share: fp8[i] / blocks, slack: slack[i] };
  });
  return {
    policy,
    budget,
    k,
    totalBlocks: N,
    fp8Share: N ? k / N : 0,
    source: 'histogram',
    perTensor,
    mask(t) {
      const m = new Uint8Array(perTensor[t].blocks);
      m.fill(1, 0, perTensor[t].fp8);
      return m;
    },
  };
}

/** The live per-tensor apportionment (policy.ts): floor of k·n_t/N, then largest remainders, ties by tensor order. */
function apportionCounts(blocks: number[], k: number, N: number): Float64Array {
  const counts = new Float64Array(blocks.length);
  const rema: number[] = [];
  let given = 0;
  blocks.forEach((n, i) => {
    const num = k * n;
    counts[i] = Math.floor(num / N);
    rema.push(num - counts[i] * N);
    given += counts[i];
  });
  const idx = blocks.map((_, i) => i).sort((a, b) => rema[b] - rema[a] || a - b);
  for (let j = 0; j < k - given; j++) counts[idx[j]]++;
  return counts;
}

/**
 * Answers weight budgets for one policy. 'auto' uses block scores when the profile has them and the model
 * has at most `maxExactBlocks` blocks (default 32 M), else histograms.
 */
export class WeightAnswerer {
  private constructor(
    readonly profile: Profile,
    readonly policy: PolicyKind,
    readonly source: AnswerSource,
    private readonly ranking: BlockRanking | null,
    private readonly index: HistogramIndex | null,
  ) {}

  static async create(
    profile: Profile,
    policy: PolicyKind,
    mode: 'auto' | AnswerSource = 'auto',
    maxExactBlocks = 32_000_000,
  ): Promise<WeightAnswerer> {
    const stored = policy === 'uniform' ? 'fgmp' : policy;
    const hasScores = policy === 'random' || profile.scoredPolicies.includes(stored as StoredPolicy);
    const exact = mode === 'block scores' || (mode === 'auto' && hasScores && profile.totalBlocks <= maxExactBlocks);
    if (exact) return new WeightAnswerer(profile, policy, 'block scores', await profileRanking(profile, policy), null);
    if (policy === 'random') throw new Error('the random baseline has no histogram: answer it from block scores');
    const index = policy === 'uniform' ? null : await profile.histogram(stored as StoredPolicy);
    return new WeightAnswerer(profile, policy, 'histogram', null, index);
  }

  answer(budget: number): WeightAnswer {
    if (this.ranking) return fromRanking(this.policy, this.ranking, answerBudget(this.ranking, budget));
    return histogramWeightAnswer(this.profile, this.policy, this.index, budget);
  }
}

export interface ActivationAnswer {
  actBudget: number;
  granularity: 'global' | 'layer';
  source: AnswerSource;
  /** τ per site (tensor order): FP8 when S > τ; histogram answers give the boundary bin's lower edge. */
  tau: number[];
  /** Realised FP8 share per site on the calibration activations. */
  shares: number[];
  /** Model-wide realised share on the calibration activations. */
  share: number;
  /** Bound on |share − exact| per site (0 from scores). */
  slack: number[];
}

/** τ and realised calibration shares for an activation budget (the live τ rule on the stored scores). */
export async function activationAnswer(
  profile: Profile,
  actBudget: number,
  granularity: 'global' | 'layer' = 'global',
  mode: 'auto' | AnswerSource = 'auto',
): Promise<ActivationAnswer> {
  if (!(actBudget >= 0 && actBudget <= 1)) throw new Error(`activation budget must be in [0, 1], got ${actBudget}`);
  const T = profile.tensors.length;
  const groups = granularity === 'global' ? [profile.tensors.map((_, i) => i)] : layerGroups(profile);
  const M = profile.meta.activations.tokens;
  const blocksOf = (i: number) => M * blocksPerRow(profile.tensors[i].cols);
  const tau = new Array<number>(T).fill(NaN);
  const shares = new Array<number>(T).fill(0);
  const slack = new Array<number>(T).fill(0);
  const useScores = profile.meta.activations.scores === 'full' && mode !== 'histogram';
  if (!useScores && mode === 'block scores')
    throw new Error('the profile holds only histograms of the activation scores');
  let fp8Total = 0;
  let total = 0;
  if (useScores) {
    const scores = await Promise.all(
      profile.tensors.map((_, i) => profile.activationScores(i) as Promise<Float32Array>),
    );
    for (const g of groups) {
      const t = tauForShare(
        g.map((i) => scores[i]),
        actBudget,
      ).tau;
      for (const i of g) {
        const s = scores[i];
        let n = 0;
        for (let j = 0; j < s.length; j++) if (s[j] > t) n++;
        tau[i] = t;
        shares[i] = n / s.length;
        fp8Total += n;
        total += s.length;
      }
    }
  } else {
    const index = await profile.histogram('activations');
    for (const g of groups) {
      // A group's histogram: its rows summed over one shared binning.
      const sub = subIndex(index, g);
      const h = sub.answerBudget(actBudget);
      g.forEach((i, j) => {
        tau[i] = h.thresholdLowerEdge;
        shares[i] = h.fp8Counts[j] / blocksOf(i);
        slack[i] = h.slack[j] / blocksOf(i);
        fp8Total += h.fp8Counts[j];
        total += blocksOf(i);
      });
    }
  }
  return {
    actBudget,
    granularity,
    source: useScores ? 'block scores' : 'histogram',
    tau,
    shares,
    share: total ? fp8Total / total : 0,
    slack,
  };
}

function layerGroups(profile: Profile): number[][] {
  const byLayer = new Map<number, number[]>();
  profile.tensors.forEach((t, i) => byLayer.set(t.layer, [...(byLayer.get(t.layer) ?? []), i]));
  return [...byLayer.values()];
}

function subIndex(index: HistogramIndex, rows: number[]): HistogramIndex {
  if (rows.length === index.tensors) return index;
  const C = index.columns;
  const sub = new Int32Array(rows.length * C);
  rows.forEach((r, j) => sub.set(index.rows.subarray(r * C, (r + 1) * C), j * C));
  return new (index.constructor as typeof HistogramIndex)(sub, rows.length, index.spec);
}

/** Activation budgets answered synchronously, as often as a slider moves ('global' τ, as the explorer uses). */
export interface ActivationAnswerer {
  source: AnswerSource;
  /** Realised FP8 share per site (tensor order) on the calibration activations: activationAnswer's shares. */
  shares(actBudget: number): Float64Array;
}

/**
 * Loads what every activation answer needs once: each site's stored scores sorted (ActivationShareIndex, one
 * task per site so a page stays responsive), or the activation histograms of a profile that holds only those.
 */
export async function activationAnswerer(profile: Profile): Promise<ActivationAnswerer> {
  if (profile.meta.activations.scores === 'full') {
    const sorted: Float32Array[] = [];
    const blocks: number[] = [];
    for (let i = 0; i < profile.tensors.length; i++) {
      const s = (await profile.activationScores(i)) as Float32Array;
      sorted.push(ActivationShareIndex.sortScores(s));
      blocks.push(s.length);
      await new Promise((r) => setTimeout(r, 0));
    }
    const index = ActivationShareIndex.fromParts({ sorted, blocks });
    return { source: 'block scores', shares: (b) => index.answer(b).shares };
  }
  const index = await profile.histogram('activations');
  const M = profile.meta.activations.tokens;
  const n = profile.tensors.map((t) => M * blocksPerRow(t.cols));
  return {
    source: 'histogram',
    shares(b) {
      if (!(b >= 0 && b <= 1)) throw new Error(`activation budget must be in [0, 1], got ${b}`);
      const h = index.answerBudget(b);
      return Float64Array.from(n, (blocks, i) => h.fp8Counts[i] / blocks);
    },
  };
}

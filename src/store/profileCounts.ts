// What a budget decides for a profile answered from histograms (models too large to rank in a tab, e.g. a
// 7B-shaped profile): per-tensor FP8 counts from the histogram answer (within the format's bound), memory and
// energy from the count-based hardware model (src/core/profile/hwCounts.ts) in O(tensors), no masks. The
// selected tensor's mask comes from its block scores, read by Range: its top fp8 blocks by score.
import type { BudgetAnswer } from '../core/fgmp/index';
import type { HwParams } from '../core/hw/index';
import { countHardware, type Profile, type WeightAnswerer } from '../core/profile/index';
import { tensorKey, type Derived } from './derive';

export function deriveFromCounts(
  profile: Profile,
  answerer: WeightAnswerer,
  activationShares: Record<string, number> | null,
  weightBudget: number,
  activationBudget: number,
  tokens: number,
  params: HwParams,
): Derived {
  const w = answerer.answer(weightBudget);
  const weightShare = new Map<string, number>();
  const activationShare = new Map<string, number>();
  const acts = w.perTensor.map((t) => {
    const k = tensorKey(t.layer, t.proj);
    weightShare.set(k, t.share);
    const a = activationShares?.[k] ?? activationBudget;
    activationShare.set(k, a);
    return a;
  });
  const fp8Counts = Uint32Array.from(w.perTensor, (t) => t.fp8);
  const hardware = countHardware(profile, tokens, params).report(fp8Counts, acts);
  const answer = {
    kind: 'global',
    budget: w.budget,
    k: w.k,
    totalBlocks: w.totalBlocks,
    fp8Share: w.fp8Share,
    threshold: NaN,
    nextScore: NaN,
    fp8Counts,
    perTensor: w.perTensor.map((t) => ({ ...t, threshold: NaN })),
    perLayer: [],
    perProjection: [],
  } as unknown as BudgetAnswer;
  return { answer, weightShare, activationShare, activationCalibrated: activationShares !== null, masks: [], hardware };
}

/** Block ids of one tensor, highest score first (ties by block id, as the live ranking breaks them). */
export function scoreOrder(scores: Float64Array): Uint32Array {
  const ids = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return ids.sort((a, b) => scores[b] - scores[a] || a - b);
}

/** The fp8 highest-scoring blocks of one tensor, from its scoreOrder. */
export function topBlocksMask(order: Uint32Array, fp8: number): Uint8Array {
  const m = new Uint8Array(order.length);
  for (let j = 0; j < Math.min(fp8, order.length); j++) m[order[j]] = 1;
  return m;
}

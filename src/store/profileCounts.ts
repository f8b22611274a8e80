// What a budget decides for a profile answered from histograms (models too large to rank in a tab, e.g. a
// 7B-shaped profile): per-tensor FP8 counts from the histogram answer (within the format's bound), memory and
// energy from the count-based hardware model (src/core/profile/hwCounts.ts) in O(tensors), no masks. The
// selected tensor's mask comes from its block scores, read by Range: its top fp8 blocks by score.
import type { BudgetAnswer } from '../core/fgmp/index';
import type { HardwarePreset, HwParams } from '../core/hw/index';
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
  preset?: HardwarePreset,
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
  const hardware = countHardware(profile, tokens, params, preset).report(fp8Counts, acts);
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

/** One tensor's block scores sorted ascending (the typed-array sort: ~10× faster than ids with a comparator). */
export function sortedScores(scores: Float64Array): Float64Array {
  return Float64Array.from(scores).sort();
}

/**
 * The fp8 highest-scoring blocks of one tensor in O(blocks): every block above the fp8-th largest score, then
 * blocks equal to it by ascending id (the live ranking's tie order) until fp8 are chosen.
 */
export function topBlocksMask(scores: Float64Array, sorted: Float64Array, fp8: number): Uint8Array {
  const n = scores.length;
  const m = new Uint8Array(n);
  const k = Math.min(fp8, n);
  if (k <= 0) return m;
  const thr = sorted[n - k];
  let above = 0;
  for (let i = 0; i < n; i++)
    if (scores[i] > thr) {
      m[i] = 1;
      above++;
    }
  for (let i = 0, left = k - above; i < n && left > 0; i++)
    if (scores[i] === thr) {
      m[i] = 1;
      left--;
    }
  return m;
}

// The expert instruments' answers on the UI thread (issue 14), pure: which FP8 blocks a configuration keeps
// when its budget is given in bits per weight (answerBitsPerWeight), with pins (answerPinnedBudget), or as
// the layerwise baseline (answerLayerwise at FGMP's bits, as FgmpSession.mixedWeights answers it); cycling
// a tensor's pin; the A/B difference of two sets of masks. The worker answers the same questions the same
// way (src/core/pipeline/evaluate.ts), so the heatmap and the perplexity describe the same configuration.
import {
  answerBudget,
  storageInputs,
  totalStorageBits,
  type BlockRanking,
  type BudgetAnswer,
} from '../core/fgmp/index';
import { answerBitsPerWeight, type BitsBudget } from '../core/fgmp/bitsBudget';
import { answerLayerwise } from '../core/fgmp/layerwise';
import {
  answerPinnedBudget,
  formatPins,
  parsePins,
  summarisePins,
  unmatchedPins,
  type Precision,
} from '../core/fgmp/pins';
import type { Projection } from '../core/model/types';
import { i18n } from '../i18n';
import type { ShareState } from '../core/url/shareState';
import { tensorKey } from '../core/pipeline/vocabulary';

type Config = Pick<ShareState, 'weightBudget' | 'policy' | 'fp8Scaling' | 'pins' | 'bpw' | 'layerwise'>;

export interface InstrumentAnswer {
  answer: BudgetAnswer;
  /** The budget in bits (bpw mode): the count it picked and the feasible range. */
  bits: BitsBudget | null;
  /** The FP8 share the budget asks for (the bits answer's k / N in bpw mode). */
  share: number;
  /** Per tensor (ranking order): its pin, or null. */
  pins: (Precision | null)[];
  /** Why the configuration cannot be answered as asked (infeasible bits, a budget below the pins). */
  error: string | null;
  notes: string[];
}

const storage = (c: Config) => ({ fp8Scale: c.fp8Scaling, metadata: 'always' as const });

/** Whether the pins apply: global rankings only, not layerwise, not with a bits budget (the CLI refuses both). */
export const pinsApply = (c: Config) => !c.layerwise && c.policy !== 'uniform' && (c.bpw ?? null) === null;

/** The share the budget asks for: the weight budget, or the largest FP8 count within c.bpw bits per weight. */
export function budgetShare(
  ranking: BlockRanking,
  c: Config,
): { share: number; bits: BitsBudget | null; error: string | null } {
  if (c.bpw === undefined || c.bpw === null) return { share: c.weightBudget, bits: null, error: null };
  try {
    const bits = answerBitsPerWeight(ranking, c.bpw, storage(c));
    return { share: bits.k / ranking.totalBlocks, bits, error: null };
  } catch (e) {
    return { share: c.weightBudget, bits: null, error: (e as Error).message.replace(/^--bpw/, 'bits per weight') };
  }
}

/** The FP8 blocks of a configuration: bits or share, pins, layerwise; an unanswerable one says why. */
export function answerConfiguration(ranking: BlockRanking, c: Config): InstrumentAnswer {
  const notes: string[] = [];
  const { share, bits, error: bitsError } = budgetShare(ranking, c);
  let error = bitsError;
  const pins = parsePins(c.pins ?? '');
  const none = ranking.tensors.map(() => null);
  if (c.layerwise) {
    // Whole tensors under the bits FGMP spends at this share (flags included, as the run's weight bits).
    const target = totalStorageBits(storageInputs(ranking, answerBudget(ranking, share)), storage(c)).totalBits;
    const answer = answerLayerwise(ranking, target, storage(c)).answer;
    if (pins.length) notes.push(i18n.t('explorer:instruments.notes.layerwise'));
    return { answer, bits, share, pins: none, error, notes };
  }
  let answer = answerBudget(ranking, share);
  if (pins.length && !pinsApply(c)) {
    notes.push(
      c.policy === 'uniform' ? i18n.t('explorer:instruments.notes.uniform') : i18n.t('explorer:instruments.notes.bpw'),
    );
    return { answer, bits, share, pins: none, error, notes };
  }
  if (!pins.length) return { answer, bits, share, pins: none, error, notes };
  const unmatched = unmatchedPins(ranking, pins);
  if (unmatched.length) notes.push(i18n.t('explorer:instruments.notes.unmatched', { pins: formatPins(unmatched) }));
  try {
    answer = answerPinnedBudget(ranking, pins, share);
  } catch (e) {
    // Reported, never raised: the heatmap shows the budget without pins until the budget or pins change.
    error = (e as Error).message;
  }
  return { answer, bits, share, pins: summarisePins(ranking, pins).perTensor, error, notes };
}

/**
 * The instruments on a profile answered from per-tensor histograms (a 7B-shaped one): the FP8 share is
 * answered, but pins, a bits budget and layerwise need the block scores such a profile does not carry, so
 * they are not applied, and the note says so (the CLI answers them from the full scores).
 */
export function histogramInstrument(c: Config, answer: BudgetAnswer): InstrumentAnswer {
  const asked = parsePins(c.pins ?? '').length > 0 || (c.bpw ?? null) !== null || !!c.layerwise;
  return {
    answer,
    bits: null,
    share: c.weightBudget,
    pins: [],
    error: null,
    notes: asked ? [i18n.t('explorer:instruments.notes.histograms')] : [],
  };
}

const CYCLE: Record<Precision, Precision | null> = { fp8: 'nvfp4', nvfp4: null };

/**
 * The pin spec with one tensor's pin cycled: unpinned → fp8 → nvfp4 → unpinned. Its own item replaces any
 * earlier one for the same tensor and goes last (the last matching pin wins), so wildcards stay below it.
 */
export function cyclePin(spec: string, layer: number, proj: Projection): string {
  const pins = parsePins(spec);
  const own = pins.filter((p) => p.layer === layer && p.proj === proj);
  const next = own.length ? CYCLE[own[own.length - 1].precision] : 'fp8';
  const rest = pins.filter((p) => !(p.layer === layer && p.proj === proj));
  return formatPins(next ? [...rest, { layer, proj, precision: next }] : rest);
}

export interface AbDifference {
  /** Per tensorKey: blocks FP8 in A only and in B only. */
  perTensor: Map<string, { aOnly: number; bOnly: number; blocks: number }>;
  aOnly: number;
  bOnly: number;
  both: number;
  totalBlocks: number;
}

/** Blocks FP8 in A only / B only, per tensor (matched by layer and projection) and in all. */
export function abDifference(
  a: { ranking: BlockRanking; masks: readonly Uint8Array[] },
  b: { ranking: BlockRanking; masks: readonly Uint8Array[] },
): AbDifference {
  const bIndex = new Map(b.ranking.tensors.map((t, i) => [tensorKey(t.layer, t.proj), i]));
  const perTensor = new Map<string, { aOnly: number; bOnly: number; blocks: number }>();
  let aOnly = 0;
  let bOnly = 0;
  let both = 0;
  let totalBlocks = 0;
  a.ranking.tensors.forEach((t, i) => {
    const key = tensorKey(t.layer, t.proj);
    const j = bIndex.get(key);
    if (j === undefined) return;
    const ma = a.masks[i];
    const mb = b.masks[j];
    if (ma.length !== mb.length) throw new Error(`${key}: ${ma.length} blocks in A, ${mb.length} in B`);
    let ao = 0;
    let bo = 0;
    for (let k = 0; k < ma.length; k++) {
      if (ma[k] && !mb[k]) ao++;
      else if (mb[k] && !ma[k]) bo++;
      else if (ma[k]) both++;
    }
    perTensor.set(key, { aOnly: ao, bOnly: bo, blocks: ma.length });
    aOnly += ao;
    bOnly += bo;
    totalBlocks += ma.length;
  });
  return { perTensor, aOnly, bOnly, both, totalBlocks };
}

/** Configuration B of the A/B comparison as a whole share state (A's data, scaling, activations), or null. */
export function abState(s: ShareState): ShareState | null {
  if (!s.ab) return null;
  const { policy, weightBudget, clipping, pins } = s.ab;
  const layerwise = policy === 'layerwise';
  return {
    ...s,
    policy: layerwise ? 'fgmp' : policy,
    layerwise,
    weightBudget,
    clipping,
    pins,
    bpw: null,
    ab: null,
  };
}

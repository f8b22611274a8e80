// Lesson 7's computations: FGMP in miniature on two seeded tensors with a synthetic Fisher, using the
// fgmp core (quantizers with Fisher clipping, block scores, global ranking, masks, storage bits).
import { weightedMse } from '../../core/formats';
import {
  answerBudget,
  fgmpScores,
  magnitudeScores,
  mixTensor,
  quantizeWeight,
  randomScores,
  rankGlobally,
  storageFromCounts,
  tensorMask,
  weightStorageBits,
  type ScoredTensor,
} from '../../core/fgmp';
import { DEFAULT_SHARE_STATE, encodeShareQuery, type ShareState } from '../../core/url/shareState';
import type { Projection } from '../../core/model/types';
import { seededNormal, seededRandom } from './synthetic';

export const TOUR_TENSORS: readonly {
  proj: Projection;
  rows: number;
  cols: number;
  seed: number;
  fisherGain: number;
}[] = [
  { proj: 'q', rows: 8, cols: 256, seed: 41, fisherGain: 1 },
  { proj: 'down', rows: 8, cols: 256, seed: 43, fisherGain: 3 },
];

export interface TourTensor {
  proj: Projection;
  rows: number;
  cols: number;
  w: Float32Array;
  fisher: Float32Array;
  qLo: Float32Array;
  qHi: Float32Array;
  scores: { fgmp: Float64Array; magnitude: Float64Array; random: Float64Array };
}

/** Weights N(0, 0.02²) with a few large values; Fisher = tensor gain × row importance × noise. */
export function tourTensors(): TourTensor[] {
  return TOUR_TENSORS.map(({ proj, rows, cols, seed, fisherGain }, t) => {
    const normal = seededNormal(seed);
    const rand = seededRandom(seed + 1);
    const w = new Float32Array(rows * cols);
    for (let i = 0; i < w.length; i++) w[i] = 0.02 * normal() * (rand() < 0.02 ? 6 : 1);
    const rowImportance = Array.from({ length: rows }, () => Math.exp(1.5 * normal()));
    const fisher = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++)
      fisher[i] = fisherGain * rowImportance[Math.floor(i / cols)] * -Math.log(1 - rand());
    const q = quantizeWeight(w, rows, cols, { clip: 'fisher', fisher });
    return {
      proj,
      rows,
      cols,
      w,
      fisher,
      qLo: q.qLo,
      qHi: q.qHi,
      scores: {
        fgmp: fgmpScores(rows, cols, q.qLo, q.qHi, fisher),
        magnitude: magnitudeScores(rows, cols, w),
        random: randomScores(q.clipRatio.length, 1, t),
      },
    };
  });
}

export type TourPolicy = 'fgmp' | 'magnitude' | 'random';

/** Masks at a budget under one policy, the Fisher-weighted error of the mixed tensors, and storage. */
export function tourAtBudget(tensors: TourTensor[], policy: TourPolicy, budget: number) {
  const scored: ScoredTensor[] = tensors.map((t) => ({
    layer: 0,
    proj: t.proj,
    rows: t.rows,
    cols: t.cols,
    scores: t.scores[policy],
  }));
  const ranking = rankGlobally(scored);
  const answer = answerBudget(ranking, budget);
  let weighted = 0;
  let bits = 0;
  let elements = 0;
  const masks = tensors.map((t) => {
    const i = ranking.tensors.findIndex((r) => r.proj === t.proj);
    const mask = tensorMask(ranking, answer, i);
    const mixed = mixTensor(t.rows, t.cols, t.qLo, t.qHi, mask);
    weighted += weightedMse(t.w, mixed, t.fisher) * t.w.length;
    const storage = weightStorageBits(t.rows, t.cols, mask);
    bits += storage.totalBits;
    elements += storage.elements;
    return { proj: t.proj, mask, share: answer.perTensor[i].share };
  });
  return { answer, masks, weightedError: weighted / elements, bitsPerWeight: bits / elements };
}

/** Bits per weight of one tensor in all-NVFP4 and in all-FP8 (the real bit layouts of the core). */
export function formatBits(rows: number, cols: number) {
  const blocks = rows * Math.ceil(cols / 16);
  return {
    nvfp4: storageFromCounts(rows, cols, 0, 0).bitsPerWeight,
    fp8: storageFromCounts(rows, cols, blocks, rows * cols).bitsPerWeight,
  };
}

/** The explorer URL (hash part) for a budget, through the explorer's own share-URL schema. */
export function explorerHash(budget: number, overrides: Partial<ShareState> = {}): string {
  return `#/explorer?${encodeShareQuery({ ...DEFAULT_SHARE_STATE, weightBudget: budget, activationBudget: budget, policy: 'fgmp', clipping: 'fisher', ...overrides })}`;
}

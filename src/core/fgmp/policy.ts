// The precision policy (DESIGN.md §3): rank every weight block once, then answer any budget without
// touching the tensors. Two rankings:
//  - global: all blocks of all tensors by score, descending, ties by (layer, projection in PROJECTIONS
//    order, row-major block position). Budget p keeps the first k = round(p·N) in FP8.
//  - per-tensor ("per-layer uniform" baseline): every tensor gets the same share (its count is k
//    apportioned by largest remainder, so each tensor has floor or ceil of p·n_t and Σ = k exactly),
//    ranked inside the tensor by its own scores.
// For the global ranking each tensor keeps the global positions of its blocks, ascending; its FP8 count
// for k is then a binary search, so a budget change costs O(tensors · log blocks).
import { PROJECTIONS, type Projection } from '../model/types';
import { blockGrid, checkBlockLength, type BlockGrid } from './blocks';
import { release } from '../memory';
import { sortDescendingStable } from './sort';

export interface ScoredTensor {
  layer: number;
  proj: Projection;
  rows: number;
  cols: number;
  /** One score per block, row-major (see blocks.ts). */
  scores: ArrayLike<number>;
}

export interface RankedTensor {
  readonly layer: number;
  readonly proj: Projection;
  readonly grid: BlockGrid;
  /** Global id of this tensor's first block (tensors in canonical order, blocks row-major). */
  readonly offset: number;
  /** Local block ids in policy order (most sensitive first). */
  readonly order: Uint32Array;
  /** Global kind: the global positions of `order`'s blocks, ascending. Per-tensor kind: 0..n-1. */
  readonly ranks: Uint32Array;
}

export type RankingKind = 'global' | 'per-tensor';

export interface BlockRanking {
  readonly kind: RankingKind;
  /** Tensors in canonical order: layer ascending, then PROJECTIONS order. */
  readonly tensors: readonly RankedTensor[];
  readonly totalBlocks: number;
  /** Scores by global block id. */
  readonly scores: Float64Array;
  /** Global kind only: global block ids, most sensitive first. */
  readonly order: Uint32Array | null;
  /** Distinct layer indices, ascending. */
  readonly layers: readonly number[];
}

export interface ShareRow {
  blocks: number;
  fp8: number;
  /** fp8 / blocks. */
  share: number;
}

export interface BudgetAnswer {
  readonly kind: RankingKind;
  /** The requested share in [0, 1]. */
  readonly budget: number;
  /** Blocks kept in FP8: round(budget · N). */
  readonly k: number;
  readonly totalBlocks: number;
  /** k / N. */
  readonly fp8Share: number;
  /**
   * Global kind: the lowest score kept in FP8 (+Infinity when k = 0). Blocks scoring above it are all
   * FP8; blocks equal to it are split by the stable order. NaN for the per-tensor kind.
   */
  readonly threshold: number;
  /** Global kind: highest score left in NVFP4 (-Infinity when k = N); equal to threshold when a tie is split. */
  readonly nextScore: number;
  /** FP8 block count per tensor, in ranking.tensors order. */
  readonly fp8Counts: Uint32Array;
  readonly perTensor: (ShareRow & { layer: number; proj: Projection; threshold: number })[];
  readonly perLayer: (ShareRow & { layer: number })[];
  readonly perProjection: (ShareRow & { proj: Projection })[];
}

function canonicalOrder(tensors: readonly ScoredTensor[]): ScoredTensor[] {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (!Number.isInteger(t.layer) || t.layer < 0) throw new Error(`invalid layer index ${t.layer}`);
    if (!PROJECTIONS.includes(t.proj)) throw new Error(`unknown projection "${t.proj}"`);
    const key = `${t.layer}/${t.proj}`;
    if (seen.has(key)) throw new Error(`tensor layer ${t.layer} ${t.proj} given twice`);
    seen.add(key);
    checkBlockLength(`scores of layer ${t.layer} ${t.proj}`, t.scores, blockGrid(t.rows, t.cols));
  }
  return [...tensors].sort((a, b) => a.layer - b.layer || PROJECTIONS.indexOf(a.proj) - PROJECTIONS.indexOf(b.proj));
}

function concatScores(sorted: ScoredTensor[]): { scores: Float64Array; offsets: number[]; grids: BlockGrid[] } {
  const grids = sorted.map((t) => blockGrid(t.rows, t.cols));
  const offsets: number[] = [];
  let n = 0;
  for (const g of grids) {
    offsets.push(n);
    n += g.blockCount;
  }
  const scores = new Float64Array(n);
  sorted.forEach((t, i) => {
    const o = offsets[i];
    for (let j = 0; j < t.scores.length; j++) scores[o + j] = t.scores[j];
  });
  return { scores, offsets, grids };
}

/** Sorts all blocks of all tensors once (the FGMP policy and the score-based baselines). */
export function rankGlobally(tensors: readonly ScoredTensor[]): BlockRanking {
  const sorted = canonicalOrder(tensors);
  const { scores, offsets, grids } = concatScores(sorted);
  const n = scores.length;
  const order = sortDescendingStable(scores);
  const tensorOf = new Uint16Array(n);
  if (sorted.length > 65535) throw new Error('too many tensors (max 65535)');
  offsets.forEach((o, t) => tensorOf.fill(t, o, o + grids[t].blockCount));
  const localOrders = grids.map((g) => new Uint32Array(g.blockCount));
  const ranks = grids.map((g) => new Uint32Array(g.blockCount));
  const fill = new Uint32Array(grids.length);
  for (let r = 0; r < n; r++) {
    const id = order[r];
    const t = tensorOf[id];
    const f = fill[t]++;
    localOrders[t][f] = id - offsets[t];
    ranks[t][f] = r;
  }
  release(tensorOf);
  return {
    kind: 'global',
    tensors: sorted.map((t, i) => ({
      layer: t.layer,
      proj: t.proj,
      grid: grids[i],
      offset: offsets[i],
      order: localOrders[i],
      ranks: ranks[i],
    })),
    totalBlocks: n,
    scores,
    order,
    layers: [...new Set(sorted.map((t) => t.layer))],
  };
}

/** Per-layer uniform baseline: the same FP8 share in every tensor, ranked inside each tensor by its scores. */
export function rankPerTensor(tensors: readonly ScoredTensor[]): BlockRanking {
  const sorted = canonicalOrder(tensors);
  const { scores, offsets, grids } = concatScores(sorted);
  return {
    kind: 'per-tensor',
    tensors: sorted.map((t, i) => {
      const order = sortDescendingStable(t.scores);
      const ranks = new Uint32Array(order.length);
      for (let j = 0; j < ranks.length; j++) ranks[j] = j;
      return { layer: t.layer, proj: t.proj, grid: grids[i], offset: offsets[i], order, ranks };
    }),
    totalBlocks: scores.length,
    scores,
    order: null,
    layers: [...new Set(sorted.map((t) => t.layer))],
  };
}

/** Number of entries of an ascending array that are < k. */
function countBelow(a: Uint32Array, k: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Largest-remainder split of k over tensors in proportion to their block counts (ties: tensor order). */
function apportion(ranking: BlockRanking, k: number): Uint32Array {
  const t = ranking.tensors;
  const counts = new Uint32Array(t.length);
  const N = ranking.totalBlocks;
  const rema: number[] = [];
  let given = 0;
  for (let i = 0; i < t.length; i++) {
    // Integer arithmetic: quota = k·n_t / N exactly as floor and remainder.
    const num = k * t[i].grid.blockCount;
    counts[i] = Math.floor(num / N);
    rema.push(num - counts[i] * N);
    given += counts[i];
  }
  const idx = t.map((_, i) => i).sort((a, b) => rema[b] - rema[a] || a - b);
  for (let j = 0; j < k - given; j++) counts[idx[j]]++;
  return counts;
}

/** FP8 blocks for a share p in [0, 1] of all blocks: k = round(p·N). */
export function answerBudget(ranking: BlockRanking, budget: number): BudgetAnswer {
  if (!(budget >= 0 && budget <= 1)) throw new Error(`budget must be in [0, 1], got ${budget}`);
  return answerBlockCount(ranking, Math.round(budget * ranking.totalBlocks), budget);
}

/** FP8 blocks for an exact count k in [0, N]. */
export function answerBlockCount(ranking: BlockRanking, k: number, budget = k / ranking.totalBlocks): BudgetAnswer {
  const N = ranking.totalBlocks;
  if (!Number.isInteger(k) || k < 0 || k > N)
    throw new Error(`FP8 block count must be an integer in [0, ${N}], got ${k}`);
  const tensors = ranking.tensors;
  let fp8Counts: Uint32Array;
  let threshold = NaN;
  let nextScore = NaN;
  if (ranking.kind === 'global') {
    fp8Counts = new Uint32Array(tensors.length);
    for (let i = 0; i < tensors.length; i++) fp8Counts[i] = countBelow(tensors[i].ranks, k);
    const order = ranking.order!;
    threshold = k > 0 ? ranking.scores[order[k - 1]] : Infinity;
    nextScore = k < N ? ranking.scores[order[k]] : -Infinity;
  } else {
    fp8Counts = apportion(ranking, k);
  }
  return answerFromCounts(ranking, fp8Counts, budget, threshold, nextScore);
}

/**
 * A BudgetAnswer from FP8 block counts per tensor (each tensor's most sensitive blocks first): the common
 * tail of every policy, and how pinned and per-tensor (layerwise) choices answer.
 */
export function answerFromCounts(
  ranking: BlockRanking,
  fp8Counts: Uint32Array,
  budget: number,
  threshold = NaN,
  nextScore = NaN,
): BudgetAnswer {
  const N = ranking.totalBlocks;
  const tensors = ranking.tensors;
  let k = 0;
  for (let i = 0; i < tensors.length; i++) {
    if (fp8Counts[i] > tensors[i].grid.blockCount)
      throw new Error(`tensor ${i} cannot keep ${fp8Counts[i]} of ${tensors[i].grid.blockCount} blocks in FP8`);
    k += fp8Counts[i];
  }
  const perTensor = tensors.map((t, i) => {
    const c = fp8Counts[i];
    const blocks = t.grid.blockCount;
    return {
      layer: t.layer,
      proj: t.proj,
      blocks,
      fp8: c,
      share: c / blocks,
      threshold: c > 0 ? ranking.scores[t.offset + t.order[c - 1]] : Infinity,
    };
  });
  const layerRows = new Map<number, ShareRow & { layer: number }>();
  const projRows = new Map<Projection, ShareRow & { proj: Projection }>();
  for (const r of perTensor) {
    let l = layerRows.get(r.layer);
    if (!l) layerRows.set(r.layer, (l = { layer: r.layer, blocks: 0, fp8: 0, share: 0 }));
    l.blocks += r.blocks;
    l.fp8 += r.fp8;
    let p = projRows.get(r.proj);
    if (!p) projRows.set(r.proj, (p = { proj: r.proj, blocks: 0, fp8: 0, share: 0 }));
    p.blocks += r.blocks;
    p.fp8 += r.fp8;
  }
  const perLayer = [...layerRows.values()];
  const perProjection = PROJECTIONS.filter((p) => projRows.has(p)).map((p) => projRows.get(p)!);
  for (const r of perLayer) r.share = r.fp8 / r.blocks;
  for (const r of perProjection) r.share = r.fp8 / r.blocks;
  return {
    kind: ranking.kind,
    budget,
    k,
    totalBlocks: N,
    fp8Share: N ? k / N : 0,
    threshold,
    nextScore,
    fp8Counts,
    perTensor,
    perLayer,
    perProjection,
  };
}

/** Precision mask of one tensor (1 = FP8), row-major per block. Costs O(blocks kept in FP8). */
export function tensorMask(
  ranking: BlockRanking,
  answer: BudgetAnswer,
  tensorIndex: number,
  out?: Uint8Array,
): Uint8Array {
  const t = ranking.tensors[tensorIndex];
  if (!t) throw new Error(`tensor index ${tensorIndex} out of range (0..${ranking.tensors.length - 1})`);
  const mask = out ?? new Uint8Array(t.grid.blockCount);
  if (mask.length !== t.grid.blockCount)
    throw new Error(`mask buffer has ${mask.length} entries, expected ${t.grid.blockCount}`);
  mask.fill(0);
  const c = answer.fp8Counts[tensorIndex];
  for (let j = 0; j < c; j++) mask[t.order[j]] = 1;
  return mask;
}

/** Masks of every tensor, in ranking.tensors order. */
export function allMasks(ranking: BlockRanking, answer: BudgetAnswer): Uint8Array[] {
  return ranking.tensors.map((_, i) => tensorMask(ranking, answer, i));
}

/** Index into ranking.tensors of (layer, proj), or -1. */
export function findTensor(ranking: BlockRanking, layer: number, proj: Projection): number {
  return ranking.tensors.findIndex((t) => t.layer === layer && t.proj === proj);
}

/** Inputs of totalStorageBits (mixed.ts) for one budget answer: counts, with masks only where needed. */
export function storageInputs(
  ranking: BlockRanking,
  answer: BudgetAnswer,
): { rows: number; cols: number; fp8Blocks: number; mask: () => Uint8Array }[] {
  return ranking.tensors.map((t, i) => ({
    rows: t.grid.rows,
    cols: t.grid.cols,
    fp8Blocks: answer.fp8Counts[i],
    mask: () => tensorMask(ranking, answer, i),
  }));
}

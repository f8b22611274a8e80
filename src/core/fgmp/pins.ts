// Pins: whole tensors forced to one precision (`*.down=fp8`, `0.*=nvfp4`). Pinned blocks count toward the
// budget; the global threshold fills the rest from the unpinned blocks in the same global order, so an
// unpinned tensor's FP8 blocks are exactly the ones it would hold among the first m unpinned blocks.
// A budget smaller than the FP8 pins (or larger than what the NVFP4 pins leave) is refused, never raised.
import { PROJECTIONS, type Projection } from '../model/types';
import { answerFromCounts, type BlockRanking, type BudgetAnswer } from './policy';

export type Precision = 'fp8' | 'nvfp4';

export interface Pin {
  /** Layer index, or '*' for every layer. */
  layer: number | '*';
  proj: Projection | '*';
  precision: Precision;
}

/** Parses "LAYER.PROJ=fp8|nvfp4" items separated by commas (spaces allowed). */
export function parsePins(spec: string): Pin[] {
  const pins: Pin[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^(\*|\d+)\.(\*|[a-z]+)=(fp8|nvfp4)$/.exec(item);
    if (!m)
      throw new Error(
        `pin "${item}" is not LAYER.PROJ=fp8|nvfp4 (LAYER a number or *, PROJ one of ${PROJECTIONS.join(', ')} or *)`,
      );
    const proj = m[2];
    if (proj !== '*' && !(PROJECTIONS as readonly string[]).includes(proj))
      throw new Error(`pin "${item}": unknown projection "${proj}" (${PROJECTIONS.join(', ')} or *)`);
    const layer = m[1] === '*' ? '*' : Number(m[1]);
    if (layer !== '*' && !Number.isSafeInteger(layer)) throw new Error(`pin "${item}": layer ${m[1]} is out of range`);
    pins.push({ layer, proj: proj as Projection | '*', precision: m[3] as Precision });
  }
  return pins;
}

export const formatPins = (pins: readonly Pin[]) => pins.map((p) => `${p.layer}.${p.proj}=${p.precision}`).join(',');

/** The precision a tensor is pinned to (the last matching pin wins), or null. */
export function pinnedPrecision(pins: readonly Pin[], layer: number, proj: Projection): Precision | null {
  let out: Precision | null = null;
  for (const p of pins)
    if ((p.layer === '*' || p.layer === layer) && (p.proj === '*' || p.proj === proj)) out = p.precision;
  return out;
}

/** Pins that match no tensor of the ranking (a typo or a layer the model lacks): callers report them. */
export function unmatchedPins(ranking: BlockRanking, pins: readonly Pin[]): Pin[] {
  return pins.filter(
    (p) =>
      !ranking.tensors.some((t) => (p.layer === '*' || p.layer === t.layer) && (p.proj === '*' || p.proj === t.proj)),
  );
}

/** Number of entries of an ascending array that are < g. */
function countBelow(a: Uint32Array, g: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < g) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the tensor holding global block id (tensors are in offset order). */
function tensorOfBlock(ranking: BlockRanking, id: number): number {
  let lo = 0;
  let hi = ranking.tensors.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ranking.tensors[mid].offset <= id) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface PinSummary {
  fp8Blocks: number;
  nvfp4Blocks: number;
  /** Per tensor of the ranking: its pin or null. */
  perTensor: (Precision | null)[];
}

export function summarisePins(ranking: BlockRanking, pins: readonly Pin[]): PinSummary {
  let fp8Blocks = 0;
  let nvfp4Blocks = 0;
  const perTensor = ranking.tensors.map((t) => {
    const p = pinnedPrecision(pins, t.layer, t.proj);
    if (p === 'fp8') fp8Blocks += t.grid.blockCount;
    if (p === 'nvfp4') nvfp4Blocks += t.grid.blockCount;
    return p;
  });
  return { fp8Blocks, nvfp4Blocks, perTensor };
}

/** The answer for k FP8 blocks in all, pins included (global rankings). */
export function answerPinnedBlockCount(
  ranking: BlockRanking,
  pins: readonly Pin[],
  k: number,
  budget = k / ranking.totalBlocks,
): BudgetAnswer {
  if (ranking.kind !== 'global')
    throw new Error(
      'pins apply to the global policies (fgmp, unweighted, error, magnitude, random), not to per-layer uniform',
    );
  const N = ranking.totalBlocks;
  if (!Number.isInteger(k) || k < 0 || k > N)
    throw new Error(`FP8 block count must be an integer in [0, ${N}], got ${k}`);
  const s = summarisePins(ranking, pins);
  if (k < s.fp8Blocks)
    throw new Error(
      `the budget keeps ${k} blocks in FP8 but the pins already hold ${s.fp8Blocks} (a share of ${(s.fp8Blocks / N).toFixed(4)}): raise the budget or pin fewer tensors to FP8`,
    );
  const free = N - s.fp8Blocks - s.nvfp4Blocks;
  const m = k - s.fp8Blocks;
  if (m > free)
    throw new Error(
      `the budget keeps ${k} blocks in FP8 but the NVFP4 pins leave at most ${N - s.nvfp4Blocks} (a share of ${((N - s.nvfp4Blocks) / N).toFixed(4)})`,
    );
  const unpinned = ranking.tensors.map((_, i) => i).filter((i) => s.perTensor[i] === null);
  // Smallest global position g with exactly m unpinned blocks ranked before it (each position holds one block).
  const below = (g: number) => unpinned.reduce((acc, i) => acc + countBelow(ranking.tensors[i].ranks, g), 0);
  let lo = 0;
  let hi = N;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below(mid) < m) lo = mid + 1;
    else hi = mid;
  }
  const counts = new Uint32Array(ranking.tensors.length);
  ranking.tensors.forEach((t, i) => {
    const p = s.perTensor[i];
    counts[i] = p === 'fp8' ? t.grid.blockCount : p === 'nvfp4' ? 0 : countBelow(t.ranks, lo);
  });
  // The threshold is the lowest unpinned score kept (the global order's entry just before position lo).
  const order = ranking.order!;
  const threshold = m > 0 ? ranking.scores[order[lo - 1]] : Infinity;
  let nextScore = -Infinity;
  for (let r = lo; r < N; r++) {
    const id = order[r];
    if (s.perTensor[tensorOfBlock(ranking, id)] === null) {
      nextScore = ranking.scores[id];
      break;
    }
  }
  return answerFromCounts(ranking, counts, budget, threshold, nextScore);
}

export function answerPinnedBudget(ranking: BlockRanking, pins: readonly Pin[], budget: number): BudgetAnswer {
  if (!(budget >= 0 && budget <= 1)) throw new Error(`budget must be in [0, 1], got ${budget}`);
  return answerPinnedBlockCount(ranking, pins, Math.round(budget * ranking.totalBlocks), budget);
}

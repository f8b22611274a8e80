// Budgets in bits: `--bpw X` asks for the largest FP8 block count whose effective bits per weight (elements,
// block scales, tensor scales, precision flags: mixed.ts's accounting) is at most X. Bits are not monotone in
// the FP8 count everywhere (a tensor's first FP8 block adds an FP32 scale, a 1-element tail block is cheaper
// in FP8 than in NVFP4), so the answer walks the policy's own order once and keeps the largest count that fits.
import { BLOCK_SIZE } from './blocks';
import { storageFromCounts, type StorageOptions } from './mixed';
import { answerBlockCount, type BlockRanking } from './policy';

export interface BitsBudget {
  /** The largest FP8 block count whose bits per weight is ≤ the target. */
  k: number;
  bitsPerWeight: number;
  /** Bits per weight at k = 0 (all NVFP4) and k = N (all FP8): the feasible range. */
  min: number;
  max: number;
}

const blockLen = (cols: number, localBlock: number) => {
  const perRow = Math.ceil(cols / BLOCK_SIZE);
  const c = localBlock % perRow;
  return c === perRow - 1 ? cols - c * BLOCK_SIZE : BLOCK_SIZE;
};

/** Bits per weight for every FP8 count of the ranking's own order, k = 0..N (global rankings, O(N)). */
function globalCurve(ranking: BlockRanking, storage: StorageOptions): { bits: Float64Array; elements: number } {
  const ts = ranking.tensors;
  const fp8Blocks = new Float64Array(ts.length);
  const fp8Elements = new Float64Array(ts.length);
  const bitsOf = (i: number) =>
    storageFromCounts(ts[i].grid.rows, ts[i].grid.cols, fp8Blocks[i], fp8Elements[i], storage).totalBits;
  const tensorBits = ts.map((_, i) => bitsOf(i));
  let total = tensorBits.reduce((s, b) => s + b, 0);
  const elements = ts.reduce((s, t) => s + t.grid.rows * t.grid.cols, 0);
  const N = ranking.totalBlocks;
  const bits = new Float64Array(N + 1);
  bits[0] = total;
  const order = ranking.order!;
  // Tensor of each global block id, from the tensors' contiguous offsets.
  const owner = new Uint16Array(N);
  ts.forEach((t, i) => owner.fill(i, t.offset, t.offset + t.grid.blockCount));
  for (let r = 0; r < N; r++) {
    const id = order[r];
    const i = owner[id];
    fp8Blocks[i]++;
    fp8Elements[i] += blockLen(ts[i].grid.cols, id - ts[i].offset);
    const b = bitsOf(i);
    total += b - tensorBits[i];
    tensorBits[i] = b;
    bits[r + 1] = total;
  }
  return { bits, elements };
}

/** Bits of one answer (per-tensor rankings: each tensor's own order), O(blocks kept in FP8). */
function answerBits(ranking: BlockRanking, k: number, storage: StorageOptions): number {
  const a = answerBlockCount(ranking, k);
  let total = 0;
  ranking.tensors.forEach((t, i) => {
    let elems = 0;
    for (let j = 0; j < a.fp8Counts[i]; j++) elems += blockLen(t.grid.cols, t.order[j]);
    total += storageFromCounts(t.grid.rows, t.grid.cols, a.fp8Counts[i], elems, storage).totalBits;
  });
  return total;
}

/**
 * The largest FP8 count with bits per weight ≤ target. An infeasible target (below all-NVFP4 or above
 * all-FP8) is refused with the feasible range. Default storage accounting: precision flags 'always', as the
 * run's reported bits per weight.
 */
export function answerBitsPerWeight(
  ranking: BlockRanking,
  target: number,
  storage: StorageOptions = { metadata: 'always' },
): BitsBudget {
  const N = ranking.totalBlocks;
  const elements = ranking.tensors.reduce((s, t) => s + t.grid.rows * t.grid.cols, 0);
  if (!Number.isFinite(target)) throw new Error(`bits per weight must be a finite number, got ${target}`);
  let bitsAt: (k: number) => number;
  if (ranking.kind === 'global') {
    const curve = globalCurve(ranking, storage).bits;
    bitsAt = (k) => curve[k];
  } else {
    bitsAt = (k) => answerBits(ranking, k, storage);
  }
  const min = bitsAt(0) / elements;
  const max = bitsAt(N) / elements;
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  const fmt = (x: number) => x.toFixed(4);
  if (target < lo || target > hi)
    throw new Error(
      `--bpw ${target} is out of range: this model's feasible range is ${fmt(lo)}–${fmt(hi)} bits per weight (all-NVFP4 to all-FP8)`,
    );
  if (ranking.kind === 'global') {
    for (let k = N; k >= 0; k--) {
      const b = bitsAt(k) / elements;
      if (b <= target) return { k, bitsPerWeight: b, min, max };
    }
  } else {
    // Per-tensor shares: each answer costs O(N), so binary-search the count, then look a window past it for
    // the local bumps (a tensor's first FP8 block adds its FP32 scale) that break monotonicity.
    let lo2 = 0;
    let hi2 = N;
    while (lo2 < hi2) {
      const mid = (lo2 + hi2 + 1) >>> 1;
      if (bitsAt(mid) / elements <= target) lo2 = mid;
      else hi2 = mid - 1;
    }
    let best = lo2;
    for (let k = lo2 + 1; k <= Math.min(N, lo2 + 2 * ranking.tensors.length); k++)
      if (bitsAt(k) / elements <= target) best = k;
    if (bitsAt(best) / elements <= target) return { k: best, bitsPerWeight: bitsAt(best) / elements, min, max };
  }
  // Unreachable: target ≥ min(bits(0), bits(N)) / elements guarantees a fitting count.
  throw new Error(`no FP8 count fits ${target} bits per weight`);
}

// The per-layer baseline (`--policy layerwise`, ModelOpt AutoQuantize's choice granularity): every whole
// tensor is NVFP4 or FP8, chosen by the sum of its FGMP block scores, under the same weight bits as the FGMP
// configuration it is compared with. That is a 0/1 knapsack: value = Σ scores of the tensor, weight = the
// bits FP8 costs over NVFP4, capacity = target bits − all-NVFP4 bits. Tensor costs share large common
// factors (they are multiples of the block counts), so dynamic programming over cost / gcd is exact and small.
import { storageFromCounts, type StorageOptions } from './mixed';
import { answerFromCounts, type BlockRanking, type BudgetAnswer } from './policy';

export interface LayerwiseItem {
  /** Σ of the tensor's FGMP block scores. */
  value: number;
  /** Extra bits of the tensor in FP8 over NVFP4 (a non-negative integer). */
  cost: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Most cells the dynamic program may hold (items × capacity / gcd) before refusing. */
export const MAX_KNAPSACK_CELLS = 2e8;

/**
 * Exact 0/1 knapsack: the subset of maximum total value with total cost ≤ capacity. Ties keep the earlier
 * solution (fewer, earlier tensors), so the answer is deterministic.
 */
export function knapsack(items: readonly LayerwiseItem[], capacity: number): boolean[] {
  for (const it of items)
    if (!(Number.isSafeInteger(it.cost) && it.cost >= 0))
      throw new Error(`knapsack costs must be non-negative integers, got ${it.cost}`);
  const cap = Math.max(0, Math.floor(capacity));
  const g = items.reduce((acc, it) => (it.cost > 0 ? gcd(acc, it.cost) : acc), 0) || 1;
  const C = Math.floor(cap / g);
  const n = items.length;
  if ((n + 1) * (C + 1) > MAX_KNAPSACK_CELLS)
    throw new Error(`the layerwise knapsack needs ${n} × ${C + 1} cells, more than ${MAX_KNAPSACK_CELLS}`);
  const best = new Float64Array(C + 1);
  const take = new Uint8Array(n * (C + 1));
  for (let i = 0; i < n; i++) {
    const w = items[i].cost / g;
    const v = items[i].value;
    for (let c = C; c >= w; c--) {
      const withIt = best[c - w] + v;
      if (withIt > best[c]) {
        best[c] = withIt;
        take[i * (C + 1) + c] = 1;
      }
    }
  }
  const chosen = new Array<boolean>(n).fill(false);
  let c = C;
  for (let i = n - 1; i >= 0; i--) {
    if (take[i * (C + 1) + c]) {
      chosen[i] = true;
      c -= items[i].cost / g;
    }
  }
  return chosen;
}

export interface LayerwiseAnswer {
  answer: BudgetAnswer;
  /** Weight bits of the layerwise configuration (never above the target). */
  bits: number;
  targetBits: number;
  /** Σ FGMP score of the tensors kept in FP8. */
  value: number;
}

/**
 * Layerwise choice under `targetBits` total weight bits. `ranking` must hold the FGMP block scores (its
 * per-tensor sums are the values). Bits are counted as `storage` says (default 'when-mixed': uniform tensors need
 * no precision flags; the pipeline passes 'always', the accounting its reported weight bits use).
 */
export function answerLayerwise(
  ranking: BlockRanking,
  targetBits: number,
  storage: StorageOptions = {},
): LayerwiseAnswer {
  const opts: StorageOptions = { metadata: 'when-mixed', ...storage };
  const items: LayerwiseItem[] = [];
  let base = 0;
  for (const t of ranking.tensors) {
    const { rows, cols, blockCount } = t.grid;
    const lo = storageFromCounts(rows, cols, 0, 0, opts).totalBits;
    const hi = storageFromCounts(rows, cols, blockCount, rows * cols, opts).totalBits;
    let value = 0;
    for (let j = 0; j < blockCount; j++) value += ranking.scores[t.offset + j];
    items.push({ value, cost: hi - lo });
    base += lo;
  }
  const chosen = knapsack(items, targetBits - base);
  const counts = new Uint32Array(ranking.tensors.length);
  let bits = base;
  let value = 0;
  ranking.tensors.forEach((t, i) => {
    if (!chosen[i]) return;
    counts[i] = t.grid.blockCount;
    bits += items[i].cost;
    value += items[i].value;
  });
  const k = counts.reduce((s, c) => s + c, 0);
  return { answer: answerFromCounts(ranking, counts, k / ranking.totalBlocks), bits, targetBits, value };
}

// Incremental budget answers (issue 16): a budget change touches only the blocks that change precision.
// Each tensor keeps its mask and its FP8 weight blocks per block column. Moving from c to c' FP8 blocks flips
// the blocks at positions [min(c, c'), max(c, c')) of the tensor's policy order; on a long jump it is cheaper
// to clear (or set) the whole mask with one fill and write only the c' (or N − c') blocks that differ from
// it. Random writes into a mask cost several times a sequential pass, so a tensor with many to write is
// rewritten whole instead: each block keeps the bucket of its rank (128 buckets of ⌈N/128⌉ positions, one
// byte), the mask is "bucket < c' / size" four blocks per 32-bit word, plus the < N/128 blocks of the
// bucket c' cuts. Each tensor takes the cheapest of the three. The column counts come from checkpoints: the
// counts of the first q·S blocks of the order, every S positions, so any c' is the nearest checkpoint plus
// at most S/2 blocks, O(min(|c' − c|, S/2 + block columns)) per tensor. The shares come from
// answerBlockCount (O(tensors · log blocks)); the energy from src/core/hw's HardwareModel on the column
// counts: with activations given as a share, a tensor's energy depends on its mask only through the FP8
// count per column, which hw takes as it is, in O(block columns).
import { answerBlockCount, type BlockRanking, type BudgetAnswer } from './policy';
import { HardwareModel, type HardwareOptions, type HardwareReport, type LinearInput } from '../hw/index';
import type { HwParams } from '../hw/index';

export interface BudgetStep {
  answer: BudgetAnswer;
  /** Blocks that changed precision in this step. */
  changed: number;
}

/** Positions of the policy order between column-count checkpoints (default). */
const CHECKPOINT = 1024;

/** Rank buckets per tensor: 7 bits, so four bucket bytes compare to a threshold in one 32-bit word. */
const BUCKETS = 128;
/**
 * Blocks of the word-wide rewrite one random mask write is taken to cost. Measured apart, 10–13 (2-core EPYC
 * under load: 6–10 ns a write, 0.6–0.9 ns a block); whole 110M jumps, interleaved, still ran ~15 % faster with
 * every mask rewritten than with a mix chosen at 12, so random writes are kept for small moves (slider steps).
 */
const SCAN_BLOCKS_PER_WRITE = 32;

export type MaskUpdate = 'cheapest' | 'flip' | 'fill' | 'scan';

export interface IncrementalOptions {
  /** Positions between column-count checkpoints (memory: ⌈n/S⌉ + 1 rows of block columns per tensor). */
  checkpointEvery?: number;
  /** How masks move: the cheapest per tensor (default), or always one way (tests, benches). */
  maskUpdate?: MaskUpdate;
}

export class IncrementalBudget {
  readonly ranking: BlockRanking;
  /** Current precision mask per tensor (1 = FP8), in ranking.tensors order. Updated in place. */
  readonly masks: Uint8Array[];
  /** FP8 weight blocks per block column, per tensor. Updated in place. */
  readonly columnCounts: Float64Array[];
  /** Current FP8 block count per tensor. */
  readonly counts: Uint32Array;
  /** Per tensor: block columns of its first q·S ordered blocks, q = 0..⌈n/S⌉ (the last at n), row q. */
  private readonly checkpoints: Uint32Array[];
  private readonly every: number;
  private readonly maskUpdate: MaskUpdate;
  /** Per tensor: the rank bucket of each block (⌊rank / bucketSize⌋ < 128), and the masks as 32-bit words. */
  private readonly buckets: Uint8Array[];
  private readonly bucketSize: Uint32Array;
  private readonly bucketWords: Uint32Array[];
  private readonly maskWords: Uint32Array[];
  private last: BudgetAnswer | null = null;
  private model: { tokens: number; shares: number[]; params?: HwParams; options: string; hw: HardwareModel } | null =
    null;

  constructor(ranking: BlockRanking, options: IncrementalOptions = {}) {
    const S = options.checkpointEvery ?? CHECKPOINT;
    if (!(Number.isInteger(S) && S >= 1)) throw new Error(`checkpointEvery must be a positive integer, got ${S}`);
    this.every = S;
    this.maskUpdate = options.maskUpdate ?? 'cheapest';
    this.ranking = ranking;
    this.bucketSize = Uint32Array.from(ranking.tensors, (t) => Math.max(1, Math.ceil(t.grid.blockCount / BUCKETS)));
    this.buckets = ranking.tensors.map((t, i) => {
      const out = new Uint8Array(t.grid.blockCount);
      const size = this.bucketSize[i];
      for (let j = 0; j < t.order.length; j++) out[t.order[j]] = (j / size) | 0;
      return out;
    });
    this.masks = ranking.tensors.map((t) => new Uint8Array(t.grid.blockCount));
    this.bucketWords = this.buckets.map((b) => new Uint32Array(b.buffer, 0, b.length >>> 2));
    this.maskWords = this.masks.map((m) => new Uint32Array(m.buffer, 0, m.length >>> 2));
    this.columnCounts = ranking.tensors.map((t) => new Float64Array(t.grid.blocksPerRow));
    this.counts = new Uint32Array(ranking.tensors.length);
    this.checkpoints = ranking.tensors.map((t) => {
      const { blockCount: n, blocksPerRow: bpr } = t.grid;
      const q = Math.ceil(n / S);
      const out = new Uint32Array((q + 1) * bpr);
      const run = new Uint32Array(bpr);
      for (let j = 0; j < n; j++) {
        if (j % S === 0) out.set(run, (j / S) * bpr);
        run[t.order[j] % bpr]++;
      }
      out.set(run, q * bpr);
      return out;
    });
  }

  /** The last answer (null before the first step). */
  get answer(): BudgetAnswer | null {
    return this.last;
  }

  /** Moves to the FP8 share `budget` in [0, 1] (k = round(budget · N), as answerBudget). */
  setBudget(budget: number): BudgetStep {
    if (!(budget >= 0 && budget <= 1)) throw new Error(`budget must be in [0, 1], got ${budget}`);
    return this.setBlockCount(Math.round(budget * this.ranking.totalBlocks), budget);
  }

  /** Moves to exactly k FP8 blocks. */
  setBlockCount(k: number, budget?: number): BudgetStep {
    return this.setAnswer(answerBlockCount(this.ranking, k, budget));
  }

  /**
   * Moves to any answer of this ranking given as FP8 counts per tensor, each tensor's first blocks of its own
   * order (pins, bits per weight, layerwise: whatever answerFromCounts made).
   */
  setAnswer(answer: BudgetAnswer): BudgetStep {
    const tensors = this.ranking.tensors;
    if (answer.fp8Counts.length !== tensors.length)
      throw new Error(`the answer has ${answer.fp8Counts.length} tensor counts, the ranking ${tensors.length} tensors`);
    for (let i = 0; i < tensors.length; i++)
      if (answer.fp8Counts[i] > tensors[i].grid.blockCount)
        throw new Error(
          `tensor ${i} cannot keep ${answer.fp8Counts[i]} of ${tensors[i].grid.blockCount} blocks in FP8`,
        );
    let changed = 0;
    for (let i = 0; i < tensors.length; i++) {
      const from = this.counts[i];
      const to = answer.fp8Counts[i];
      if (from === to) continue;
      this.moveMask(i, from, to);
      this.moveColumns(i, from, to);
      changed += to > from ? to - from : from - to;
      this.counts[i] = to;
    }
    this.last = answer;
    return { answer, changed };
  }

  /** Tensor i's mask from `from` to `to` FP8 blocks: the cheapest of flip, fill + rewrite and bucket scan. */
  private moveMask(i: number, from: number, to: number): void {
    const { order } = this.ranking.tensors[i];
    const mask = this.masks[i];
    const n = order.length;
    const d = to > from ? to - from : from - to;
    const size = this.bucketSize[i];
    const q = Math.floor(to / size);
    let how = this.maskUpdate;
    if (how === 'cheapest') {
      const writes = Math.min(d, to, n - to);
      const scan = n / SCAN_BLOCKS_PER_WRITE + (to - q * size);
      how = scan < writes ? 'scan' : d === writes ? 'flip' : 'fill';
    }
    if (how === 'scan') {
      // Byte-wise b < q in each word, no borrow between bytes: (b | 0x80) − q ≥ 0 as b, q ≤ 128.
      const m32 = this.maskWords[i];
      const b32 = this.bucketWords[i];
      const words = m32.length;
      const qq = Math.imul(q, 0x01010101);
      // Four words per turn: the loop overhead is most of the cost of one word.
      let w = 0;
      for (const end = words & ~3; w < end; w += 4) {
        m32[w] = (~((b32[w] | 0x80808080) - qq) >>> 7) & 0x01010101;
        m32[w + 1] = (~((b32[w + 1] | 0x80808080) - qq) >>> 7) & 0x01010101;
        m32[w + 2] = (~((b32[w + 2] | 0x80808080) - qq) >>> 7) & 0x01010101;
        m32[w + 3] = (~((b32[w + 3] | 0x80808080) - qq) >>> 7) & 0x01010101;
      }
      for (; w < words; w++) m32[w] = (~((b32[w] | 0x80808080) - qq) >>> 7) & 0x01010101;
      const bk = this.buckets[i];
      for (let b = words << 2; b < n; b++) mask[b] = bk[b] < q ? 1 : 0;
      for (let j = q * size; j < to; j++) mask[order[j]] = 1;
    } else if (how === 'flip') {
      const on = to > from ? 1 : 0;
      for (let j = Math.min(from, to), end = Math.max(from, to); j < end; j++) mask[order[j]] = on;
    } else if (to <= n - to) {
      mask.fill(0);
      for (let j = 0; j < to; j++) mask[order[j]] = 1;
    } else {
      mask.fill(1);
      for (let j = to; j < n; j++) mask[order[j]] = 0;
    }
  }

  /** Tensor i's FP8 blocks per column: by difference on a short move, else from the nearest checkpoint. */
  private moveColumns(i: number, from: number, to: number): void {
    const { order, grid } = this.ranking.tensors[i];
    const bpr = grid.blocksPerRow;
    const n = order.length;
    const cols = this.columnCounts[i];
    const q = Math.floor(to / this.every);
    const below = q * this.every;
    const above = Math.min(below + this.every, n);
    const up = to - below <= above - to;
    const base = up ? below : above;
    const d = to > from ? to - from : from - to;
    // b mod bpr by a float division: faster than % on the random block ids.
    if (d <= (up ? to - below : above - to) + bpr) {
      const step = to > from ? 1 : -1;
      for (let j = Math.min(from, to), end = Math.max(from, to); j < end; j++) {
        const b = order[j];
        cols[b - ((b / bpr) | 0) * bpr] += step;
      }
      return;
    }
    const cp = this.checkpoints[i];
    const row = (up ? q : q + 1) * bpr;
    for (let c = 0; c < bpr; c++) cols[c] = cp[row + c];
    const step = up ? 1 : -1;
    for (let j = Math.min(base, to), end = Math.max(base, to); j < end; j++) {
      const b = order[j];
      cols[b - ((b / bpr) | 0) * bpr] += step;
    }
  }

  /** hw inputs for the current masks (see the header for why the column counts are exact). */
  hardwareInputs(tokens: number, activationFp8Share: number | ArrayLike<number>): LinearInput[] {
    return this.ranking.tensors.map((t, i) => {
      const { rows, cols } = t.grid;
      return {
        layer: t.layer,
        proj: t.proj,
        rows,
        cols,
        tokens,
        activationFp8Share: typeof activationFp8Share === 'number' ? activationFp8Share : activationFp8Share[i],
        weightFp8PerColumn: this.columnCounts[i],
      };
    });
  }

  /**
   * Energy of the current masks (src/core/hw's simulateHardware, the same numbers). Activations as one FP8 share
   * or one per tensor (ranking order). The hardware model is kept while tokens, shares, params and options stay.
   */
  energy(
    tokens: number,
    activationFp8Share: number | ArrayLike<number>,
    params?: HwParams,
    options: HardwareOptions = {},
  ): HardwareReport {
    const shares = typeof activationFp8Share === 'number' ? [activationFp8Share] : Array.from(activationFp8Share);
    const opts = JSON.stringify(options);
    const m = this.model;
    const same =
      m &&
      m.tokens === tokens &&
      m.params === params &&
      m.options === opts &&
      m.shares.length === shares.length &&
      m.shares.every((s, i) => s === shares[i]);
    if (!same) {
      const hw = new HardwareModel(this.hardwareInputs(tokens, activationFp8Share), params, options);
      this.model = { tokens, shares, params, options: opts, hw };
    }
    return this.model!.hw.report(this.columnCounts);
  }
}

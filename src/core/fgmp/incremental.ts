// Incremental budget answers (issue 16): a budget change touches only the blocks that change precision.
// Each tensor keeps its mask and its FP8 weight blocks per block column; moving from c to c' FP8 blocks
// flips the blocks at positions [min(c, c'), max(c, c')) of the tensor's policy order, so the masks
// and column counts are updated by difference in O(|c' − c|). The shares come from answerBlockCount
// (O(tensors · log blocks)); the energy from src/core/hw on the column counts: with activations given
// as a share, a tensor's energy depends on its weight mask only through the FP8 count per column, which hw
// takes as it is (LinearInput.weightFp8PerColumn): the mask's energy in O(block columns).
import { answerBlockCount, type BlockRanking, type BudgetAnswer } from './policy';
import { simulateHardware, type HardwareOptions, type HardwareReport, type LinearInput } from '../hw/index';
import type { HwParams } from '../hw/index';

export interface BudgetStep {
  answer: BudgetAnswer;
  /** Blocks that changed precision in this step. */
  changed: number;
}

export class IncrementalBudget {
  readonly ranking: BlockRanking;
  /** Current precision mask per tensor (1 = FP8), in ranking.tensors order. Updated in place. */
  readonly masks: Uint8Array[];
  /** FP8 weight blocks per block column, per tensor. Updated in place. */
  readonly columnCounts: Float64Array[];
  /** Current FP8 block count per tensor. */
  readonly counts: Uint32Array;
  private last: BudgetAnswer | null = null;

  constructor(ranking: BlockRanking) {
    this.ranking = ranking;
    this.masks = ranking.tensors.map((t) => new Uint8Array(t.grid.blockCount));
    this.columnCounts = ranking.tensors.map((t) => new Float64Array(t.grid.blocksPerRow));
    this.counts = new Uint32Array(ranking.tensors.length);
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
    const answer = answerBlockCount(this.ranking, k, budget);
    let changed = 0;
    const tensors = this.ranking.tensors;
    for (let i = 0; i < tensors.length; i++) {
      const from = this.counts[i];
      const to = answer.fp8Counts[i];
      if (from === to) continue;
      const { order } = tensors[i];
      const mask = this.masks[i];
      const cols = this.columnCounts[i];
      const bpr = tensors[i].grid.blocksPerRow;
      const on = to > from ? 1 : 0;
      const d = on ? 1 : -1;
      for (let j = Math.min(from, to), end = Math.max(from, to); j < end; j++) {
        const b = order[j];
        mask[b] = on;
        // b mod bpr: a float division beats a table lookup here (the blocks come in random order).
        cols[b - ((b / bpr) | 0) * bpr] += d;
      }
      changed += on ? to - from : from - to;
      this.counts[i] = to;
    }
    this.last = answer;
    return { answer, changed };
  }

  /** hw inputs for the current masks (see the header for why the column counts are exact). */
  hardwareInputs(tokens: number, activationFp8Share: number): LinearInput[] {
    return this.ranking.tensors.map((t, i) => {
      const { rows, cols } = t.grid;
      return {
        layer: t.layer,
        proj: t.proj,
        rows,
        cols,
        tokens,
        activationFp8Share,
        weightFp8PerColumn: this.columnCounts[i],
      };
    });
  }

  /** Energy of the current masks (src/core/hw's simulateHardware). */
  energy(tokens: number, activationFp8Share: number, params?: HwParams, options?: HardwareOptions): HardwareReport {
    return simulateHardware(this.hardwareInputs(tokens, activationFp8Share), params, options);
  }
}

// Pure functions from the store's compact structures to what the views draw. Everything here runs on
// the UI thread on each slider move. deriveForBudget answers from scratch: O(tensors · log blocks) for the
// policy answer plus one O(blocks) pass for masks, memory and energy (3 ms on stories15M, 37 ms on 110M).
// deriveIncremental answers the same from an IncrementalBudget kept with the ranking (issue 16): only the
// blocks that change precision are written and the energy comes from FP8 counts per block column, so a
// slider step costs O(changed blocks + tensors · block columns). deriveForBudget stays as its oracle.
import type { ActivationShareIndex } from '../core/actquant/shareIndex';
import { answerBudget, tensorMask, type BlockRanking, type BudgetAnswer } from '../core/fgmp/index';
import { IncrementalBudget } from '../core/fgmp/incremental';
import {
  simulateHardware,
  type HardwareOptions,
  type HardwareReport,
  type HwParams,
  type LinearInput,
} from '../core/hw/index';
import { tensorKey, type Fp8Scaling } from '../core/pipeline/vocabulary';

export { tensorKey };

export interface Derived {
  answer: BudgetAnswer;
  /** Per tensor (ranking order), FP8 share of weight blocks. */
  weightShare: Map<string, number>;
  /** Per tensor, FP8 share of activation blocks (the budget itself when there is no calibration). */
  activationShare: Map<string, number>;
  activationCalibrated: boolean;
  masks: Uint8Array[];
  hardware: HardwareReport;
}

/**
 * Everything a budget decides: the policy answer, every mask, and the hardware report for one pass of
 * `tokens` tokens (weights and activations by precision pair, memory traffic).
 */
export function deriveForBudget(
  ranking: BlockRanking,
  /** FP8 share of calibration activation blocks per tensorKey at the activation budget (liveActivationShares), or null. */
  activationShares: Record<string, number> | null,
  /** The FP8 share of weight blocks, or the answer already made (pins, bits, layerwise: instrumentsDerive.ts). */
  weightBudget: number | BudgetAnswer,
  activationBudget: number,
  tokens: number,
  params: HwParams,
  fp8Scaling: Fp8Scaling,
  masksOut?: Uint8Array[],
  /** The energy model's preset (prefill, decode, on-chip); default prefill. */
  preset?: HardwareOptions['preset'],
): Derived {
  const answer = typeof weightBudget === 'number' ? answerBudget(ranking, weightBudget) : weightBudget;
  const weightShare = new Map<string, number>();
  const activationShare = new Map<string, number>();
  const masks: Uint8Array[] = [];
  const inputs: LinearInput[] = [];
  ranking.tensors.forEach((t, i) => {
    const k = tensorKey(t.layer, t.proj);
    weightShare.set(k, answer.perTensor[i].share);
    const a = activationShares?.[k] ?? activationBudget;
    activationShare.set(k, a);
    const mask = tensorMask(ranking, answer, i, masksOut?.[i]);
    masks.push(mask);
    inputs.push({
      layer: t.layer,
      proj: t.proj,
      rows: t.grid.rows,
      cols: t.grid.cols,
      weightMask: mask,
      tokens,
      activationFp8Share: a,
    });
  });
  const hardware = simulateHardware(inputs, params, { fp8Scale: fp8Scaling, preset });
  return { answer, weightShare, activationShare, activationCalibrated: activationShares !== null, masks, hardware };
}

/**
 * deriveForBudget's answer from the incremental state `inc` (its ranking's): the same answer, masks, shares
 * and hardware report, equal value for value (derive.test.ts). The masks are inc's own buffers, updated in
 * place by the next call; the hardware model is rebuilt only when tokens, activation shares, params or
 * options change (an activation move rebuilds it: O(tensors · block columns), no pass over the blocks).
 */
export function deriveIncremental(
  inc: IncrementalBudget,
  activationShares: Record<string, number> | null,
  weightBudget: number | BudgetAnswer,
  activationBudget: number,
  tokens: number,
  params: HwParams,
  fp8Scaling: Fp8Scaling,
  preset?: HardwareOptions['preset'],
): Derived {
  const { answer } = typeof weightBudget === 'number' ? inc.setBudget(weightBudget) : inc.setAnswer(weightBudget);
  const tensors = inc.ranking.tensors;
  const weightShare = new Map<string, number>();
  const activationShare = new Map<string, number>();
  const acts = new Float64Array(tensors.length);
  for (let i = 0; i < tensors.length; i++) {
    const k = tensorKey(tensors[i].layer, tensors[i].proj);
    weightShare.set(k, answer.perTensor[i].share);
    const a = activationShares?.[k] ?? activationBudget;
    activationShare.set(k, a);
    acts[i] = a;
  }
  const hardware = inc.energy(tokens, acts, params, { fp8Scale: fp8Scaling, preset });
  return {
    answer,
    weightShare,
    activationShare,
    activationCalibrated: activationShares !== null,
    masks: inc.masks as Uint8Array[],
    hardware,
  };
}

export { IncrementalBudget };

/** The live calibration's FP8 share of activation blocks per tensorKey at a budget (slices.ts activations.index). */
export function liveActivationShares(
  live: { keys: string[]; index: ActivationShareIndex },
  activationBudget: number,
): Record<string, number> {
  const shares = live.index.answer(activationBudget).shares;
  return Object.fromEntries(live.keys.map((k, i) => [k, shares[i]]));
}

/** Bytes as a short human string (KiB/MiB). */
export function formatBits(bits: number): string {
  const bytes = bits / 8;
  if (bytes < 1024) return `${bytes.toFixed(0)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

export function formatPercent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Rows of the per-block CSV export: one line per block with its precision and score. */
export function masksCsv(ranking: BlockRanking, masks: Uint8Array[]): string {
  const lines = ['layer,projection,block,row,block_col,fp8,score'];
  ranking.tensors.forEach((t, i) => {
    const m = masks[i];
    for (let b = 0; b < t.grid.blockCount; b++) {
      const row = Math.floor(b / t.grid.blocksPerRow);
      lines.push(
        `${t.layer},${t.proj},${b},${row},${b - row * t.grid.blocksPerRow},${m[b]},${ranking.scores[t.offset + b]}`,
      );
    }
  });
  return lines.join('\n') + '\n';
}

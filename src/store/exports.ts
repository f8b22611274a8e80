// The explorer's exports as text: per-tensor CSV, per-block CSV (derive.ts masksCsv) and the JSON state
// (share URL, settings, summary figures, per-tensor rows, masks, sweep). Pure: the page saves the strings.
import type { BlockRanking } from '../core/fgmp/index';
import type { EvaluateResult, ModelSummary, SweepPoint } from '../core/pipeline/results';
import type { ShareState } from '../core/url/shareState';
import { masksCsv, tensorKey, type Derived } from './derive';

export function perTensorRows(ranking: BlockRanking, derived: Derived) {
  return ranking.tensors.map((t, i) => {
    const hw = derived.hardware.perLinear[i];
    return {
      layer: t.layer,
      projection: t.proj,
      blocks: t.grid.blockCount,
      fp8Blocks: derived.answer.fp8Counts[i],
      weightFp8Share: derived.answer.perTensor[i].share,
      activationFp8Share: derived.activationShare.get(tensorKey(t.layer, t.proj)),
      weightBits: hw.weightBits,
      energyPj: hw.energy.total,
    };
  });
}

/** fgmp-tensors.csv and fgmp-blocks.csv. */
export function csvExports(ranking: BlockRanking, derived: Derived): { tensors: string; blocks: string } {
  const head = 'layer,projection,blocks,fp8_blocks,weight_fp8_share,activation_fp8_share,weight_bits,energy_pj';
  const lines = perTensorRows(ranking, derived).map((r) =>
    [
      r.layer,
      r.projection,
      r.blocks,
      r.fp8Blocks,
      r.weightFp8Share,
      r.activationFp8Share,
      r.weightBits,
      r.energyPj,
    ].join(','),
  );
  return { tensors: [head, ...lines].join('\n') + '\n', blocks: masksCsv(ranking, derived.masks) };
}

export interface StateExport {
  shareUrl: string;
  settings: ShareState;
  summary: ModelSummary | null;
  ranking: BlockRanking;
  derived: Derived;
  perplexity: { current?: EvaluateResult; fp8?: EvaluateResult; nvfp4?: EvaluateResult };
  sweep: SweepPoint[];
}

/** fgmp-state.json. */
export function stateJson(x: StateExport): string {
  const { ranking, derived } = x;
  const json = {
    shareUrl: x.shareUrl,
    settings: x.settings,
    model: x.summary ? { name: x.summary.name, config: x.summary.config } : null,
    summary: {
      fp8Share: derived.answer.fp8Share,
      perplexity: x.perplexity.current?.ppl ?? null,
      perplexityAllFp8: x.perplexity.fp8?.ppl ?? null,
      perplexityAllNvfp4: x.perplexity.nvfp4?.ppl ?? null,
      bitsPerWeight: derived.hardware.weightBits.bitsPerWeight,
      weightBits: derived.hardware.weightBits,
      energyVsFp8: derived.hardware.vsFp8,
      energyVsNvfp4: derived.hardware.vsNvfp4,
    },
    perTensor: perTensorRows(ranking, derived),
    masks: ranking.tensors.map((t, i) => ({
      layer: t.layer,
      projection: t.proj,
      rows: t.grid.rows,
      blocksPerRow: t.grid.blocksPerRow,
      fp8: Array.from(derived.masks[i]).join(''),
    })),
    sweep: x.sweep,
  };
  return JSON.stringify(json, null, 1);
}

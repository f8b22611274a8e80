// The explorer's exports as text: per-tensor CSV, per-block CSV (derive.ts masksCsv) and the JSON state
// (share URL, settings, summary figures, per-tensor rows, masks, sweep), and what a figure says about
// itself. Every export stands alone: a title, the model, the settings and the share URL travel with it.
// Pure apart from exportContext (which reads the store): the page saves the strings.
import type { BlockRanking } from '../core/fgmp/index';
import type { EvaluateResult, ModelSummary, SweepPoint } from '../core/pipeline/results';
import { FP8_SCALING_URL, type ShareState } from '../core/url/shareState';
import { shareUrl } from './controller';
import { masksCsv, tensorKey, type Derived } from './derive';
import { useExplorer } from './explorerStore';

/** Title, model, settings and share URL of an export (figures draw them; CSV carries them as # lines). */
export interface ExportContext {
  title: string;
  model: string;
  settings: string;
  shareUrl: string;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The settings that decide the numbers, in one line. */
export function settingsLine(s: ShareState): string {
  return [
    `weights ${pct(s.weightBudget)} FP8`,
    `activations ${pct(s.activationBudget)} FP8`,
    `policy ${s.policy}`,
    `clipping ${s.clipping}`,
    `FP8 scaling ${FP8_SCALING_URL[s.fp8Scaling]}`,
    `${s.calibrationTokens} calibration / ${s.evaluationTokens} evaluation tokens`,
  ].join(' · ');
}

/** The lines under a figure's title (src/views/exporting.ts FigureContext). */
export function contextLines(c: ExportContext): string[] {
  return [`Model: ${c.model}`, `Settings: ${c.settings}`, `Share URL: ${c.shareUrl}`];
}

/** The current model, settings and share URL, for an export titled `title`. */
export function exportContext(title: string): ExportContext {
  const st = useExplorer.getState();
  const model = st.model.summary?.name ?? st.profile.profile?.meta.model.name ?? 'no model loaded';
  return { title, model, settings: settingsLine(st.settings), shareUrl: shareUrl() };
}

/** A CSV's leading comment lines ("# "): title, model, settings, share URL; the header row follows. */
export function csvPreamble(c: ExportContext): string {
  return [c.title, ...contextLines(c)].map((l) => `# ${l.replace(/[\r\n]+/g, ' ')}\n`).join('');
}

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
export function csvExports(
  ranking: BlockRanking,
  derived: Derived,
  context?: Omit<ExportContext, 'title'>,
): { tensors: string; blocks: string } {
  const pre = (title: string) => (context ? csvPreamble({ ...context, title }) : '');
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
  return {
    tensors: pre('FGMP per-tensor FP8 shares, bits and energy') + [head, ...lines].join('\n') + '\n',
    blocks: pre('FGMP per-block precision masks (1 = FP8, 0 = NVFP4)') + masksCsv(ranking, derived.masks),
  };
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
    title: 'FGMP Explorer state: settings, summary figures, per-tensor rows, per-block masks, sweep',
    shareUrl: x.shareUrl,
    settingsLine: settingsLine(x.settings),
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

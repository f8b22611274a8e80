// The expert instruments' state and actions (issue 14): pins (click a heatmap cell to cycle a tensor's pin),
// the weight budget in bits per weight, the energy preset, the trade-off chart's y axis, and the A/B
// comparison's configuration B with its ranking. What decides a number lives in the share state
// (settings.pins / bpw / layerwise / ab, src/core/url/instrumentFields.ts); what only changes the view lives
// here. Views change either only through these actions.
import { create } from 'zustand';
import type { BlockRanking } from '../core/fgmp/index';
import type { HardwarePreset } from '../core/hw/index';
import { canonicalPins, type AbConfig } from '../core/url/instrumentFields';
import type { Projection } from '../core/model/types';
import { quantizeFromWire } from '../../workers/protocol';
import { updateSettings } from './controller';
import { useExplorer } from './explorerStore';
import { budgetShare, cyclePin } from './instrumentsDerive';
import { quantKey } from './keys';
import { message, pipeline } from './worker';

export type TradeoffY = 'ppl' | 'kl' | 'top1';

export interface InstrumentsState {
  /** A heatmap click pins the tensor (fp8 → nvfp4 → unpinned) instead of selecting it. */
  pinMode: boolean;
  /** Where weights come from in the energy model (src/core/hw HardwarePreset). */
  hwPreset: HardwarePreset;
  tradeoffY: TradeoffY;
  /** Configuration B's ranking (A's own when B ranks the same way). */
  abRanking: { key: string | null; ranking: BlockRanking | null; running: boolean; error: string | null };
}

export const useInstruments = create<InstrumentsState>()(() => ({
  pinMode: false,
  hwPreset: 'prefill',
  tradeoffY: 'ppl',
  abRanking: { key: null, ranking: null, running: false, error: null },
}));

export const setPinMode = (pinMode: boolean) => useInstruments.setState({ pinMode });
export const setHwPreset = (hwPreset: HardwarePreset) => useInstruments.setState({ hwPreset });
export const setTradeoffY = (tradeoffY: TradeoffY) => useInstruments.setState({ tradeoffY });

/** Cycles one tensor's pin: unpinned → fp8 → nvfp4 → unpinned. */
export function cyclePinAt(layer: number, proj: Projection): void {
  updateSettings({ pins: cyclePin(useExplorer.getState().settings.pins ?? '', layer, proj) });
}

export const clearPins = () => updateSettings({ pins: '' });

/** Pins typed as the CLI's --pin SPEC; a malformed spec is refused with parsePins' message. */
export function setPinSpec(spec: string): string | null {
  try {
    updateSettings({ pins: canonicalPins(spec) });
    return null;
  } catch (e) {
    return message(e);
  }
}

/** The weight budget as an FP8 share (bpw null) or in bits per weight (starting at the current bits). */
export function setBudgetMode(mode: 'share' | 'bpw', currentBits?: number): void {
  if (mode === 'share') updateSettings({ bpw: null });
  else updateSettings({ bpw: Math.round((currentBits ?? 5) * 1000) / 1000 });
}

export const setBitsPerWeight = (bpw: number) => updateSettings({ bpw });

/** Starts the A/B comparison with B a copy of A; later edits go through updateAb. */
export function startAb(): void {
  const s = useExplorer.getState().settings;
  updateSettings({
    ab: {
      policy: s.layerwise ? 'layerwise' : s.policy,
      weightBudget: s.weightBudget,
      clipping: s.clipping,
      pins: s.pins ?? '',
    },
  });
}

export function updateAb(value: Partial<AbConfig>): void {
  const ab = useExplorer.getState().settings.ab;
  if (ab) updateSettings({ ab: { ...ab, ...value } });
}

export const stopAb = () => updateSettings({ ab: null });

// ---- kept in step with the store ----

let bitsMemo: { ranking: BlockRanking; bpw: number; scale: string; share: number } | null = null;

/** In bits mode the FP8 share follows the bits answer for the current ranking (one O(N) walk per change). */
function syncBitsBudget(): void {
  const st = useExplorer.getState();
  const s = st.settings;
  const ranking = st.quant.status === 'done' ? st.quant.ranking : null;
  if (s.bpw === undefined || s.bpw === null || !ranking || st.quant.key !== quantKey(s)) return;
  const m = bitsMemo;
  const share =
    m && m.ranking === ranking && m.bpw === s.bpw && m.scale === s.fp8Scaling ? m.share : budgetShare(ranking, s).share;
  bitsMemo = { ranking, bpw: s.bpw, scale: s.fp8Scaling, share };
  if (share !== s.weightBudget) updateSettings({ weightBudget: share });
}

/** B's ranking: A's when B ranks the same way, else asked of the worker once per key (after calibration). */
function syncAbRanking(): void {
  const st = useExplorer.getState();
  const ab = st.settings.ab;
  const r = useInstruments.getState().abRanking;
  if (!ab || st.calibration.status !== 'done') return;
  const policy = ab.policy === 'layerwise' ? 'fgmp' : ab.policy;
  const req = { policy, clipping: ab.clipping, fp8Scaling: st.settings.fp8Scaling };
  const key = quantKey(req);
  if (r.key === key) return;
  if (st.quant.key === key && st.quant.status === 'done' && st.quant.ranking) {
    useInstruments.setState({ abRanking: { key, ranking: st.quant.ranking, running: false, error: null } });
    return;
  }
  if (st.quant.status === 'running') return; // one quantization at a time; asked again when A's is done
  useInstruments.setState({ abRanking: { key, ranking: null, running: true, error: null } });
  const evaluationTokens = st.settings.evaluationTokens;
  pipeline()
    .call((api) => api.quantize({ ...req, evaluationTokens }))
    .then(
      (w) => {
        if (useInstruments.getState().abRanking.key === key)
          useInstruments.setState({
            abRanking: { key, ranking: quantizeFromWire(w).ranking, running: false, error: null },
          });
      },
      (e) => {
        if (useInstruments.getState().abRanking.key === key)
          useInstruments.setState({ abRanking: { key, ranking: null, running: false, error: message(e) } });
      },
    );
}

let syncing = false;
useExplorer.subscribe(() => {
  if (syncing) return;
  syncing = true;
  try {
    syncBitsBudget();
    syncAbRanking();
  } finally {
    syncing = false;
  }
});

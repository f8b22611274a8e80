// The explorer's one store: the shareable settings (src/core/url/shareState.ts), what the worker has
// produced (model summary, calibration, ranking, tensor detail, perplexities, sweep) and the status of
// each long step. Views read it through selectors and derive their pictures (derive.ts); actions in
// controller.ts talk to the worker.
import { create } from 'zustand';
import { DEFAULT_SHARE_STATE, type ShareState, type ShareUrlError } from '../core/url/shareState';
import type { BlockRanking } from '../core/fgmp/index';
import type { HwParamKey } from '../core/hw/index';
import type {
  BlockCurve,
  CalibrationSummary,
  EvaluateResult,
  ModelSummary,
  Progress,
  SweepPoint,
  TensorDetail,
  TextSummary,
  TruncationResult,
} from '../../workers/protocol';

export type StepStatus = 'idle' | 'running' | 'done' | 'error';

export interface Step {
  status: StepStatus;
  progress: Progress | null;
  error: string | null;
}

const idle = (): Step => ({ status: 'idle', progress: null, error: null });

export interface QuantState extends Step {
  /** policy|clipping|fp8 the ranking was built for. */
  key: string | null;
  ranking: BlockRanking | null;
  clippingUsed: string | null;
  notes: string[];
}

export interface ExplorerState {
  settings: ShareState;
  /** Problems with the URL the page was opened with (shown once, dismissible). */
  urlErrors: ShareUrlError[];
  /** Local files a shared link names; the recipient is asked for them. */
  filesAsked: { role: 'model' | 'tokenizer' | 'calibration' | 'evaluation'; name: string }[];
  model: Step & { summary: ModelSummary | null };
  texts: { calibration: TextSummary | null; evaluation: TextSummary | null; error: string | null };
  calibration: Step & { summary: CalibrationSummary | null };
  quant: QuantState;
  /** FP8 share of calibration activation blocks per "layer/proj" at `budget` (the pipeline's τ). */
  activations: { key: string | null; shares: Record<string, number> | null };
  detail: { key: string | null; data: TensorDetail | null; blockCurve: BlockCurve | null; error: string | null };
  /** Perplexity per configuration key; baselines under "fp8|…" and "nvfp4|…" keys. */
  ppl: Step & { cache: Record<string, EvaluateResult>; runningKey: string | null; lastShownKey: string | null };
  sweep: Step & { key: string | null; points: SweepPoint[] };
  /** The truncation lesson's perplexities per "context|keep|mode" key (src/store/truncation.ts). */
  truncation: {
    cache: Record<string, TruncationResult>;
    runningKey: string | null;
    progress: Progress | null;
    error: { key: string; message: string } | null;
  };
  worker: { restarts: number; message: string | null };
  hwOverrides: Partial<Record<HwParamKey, number>>;
  blockColour: 'precision' | 'score';
  theme: 'light' | 'dark';
  linkCopied: boolean;
}

export const initialExplorerState = (): ExplorerState => ({
  settings: structuredClone(DEFAULT_SHARE_STATE),
  urlErrors: [],
  filesAsked: [],
  model: { ...idle(), summary: null },
  texts: { calibration: null, evaluation: null, error: null },
  calibration: { ...idle(), summary: null },
  quant: { ...idle(), key: null, ranking: null, clippingUsed: null, notes: [] },
  activations: { key: null, shares: null },
  detail: { key: null, data: null, blockCurve: null, error: null },
  ppl: { ...idle(), cache: {}, runningKey: null, lastShownKey: null },
  sweep: { ...idle(), key: null, points: [] },
  truncation: { cache: {}, runningKey: null, progress: null, error: null },
  worker: { restarts: 0, message: null },
  hwOverrides: {},
  blockColour: 'precision',
  theme:
    typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
  linkCopied: false,
});

export const useExplorer = create<ExplorerState>()(() => initialExplorerState());

/** Shallow-merges into one top-level slice. */
export function patch<K extends keyof ExplorerState>(key: K, value: Partial<ExplorerState[K]>): void {
  useExplorer.setState((s) => ({ [key]: { ...(s[key] as object), ...(value as object) } }) as Pick<ExplorerState, K>);
}

export function setSettings(value: Partial<ShareState>): void {
  useExplorer.setState((s) => ({ settings: { ...s.settings, ...value } }));
}

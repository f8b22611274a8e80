// The store's slices (zustand's slices pattern): settings, model, calibration, quantization, evaluation and
// view. Each declares its part of the state and its initial value; explorerStore.ts composes them, steps.ts
// says which part each pipeline step owns and what depends on what.
import type { StateCreator } from 'zustand';
import type { ActivationShareIndex } from '../core/actquant/shareIndex';
import type { BlockRanking } from '../core/fgmp/index';
import type { HwParamKey } from '../core/hw/index';
import type * as R from '../core/pipeline/results';
import type { EngineChoice } from '../core/runtime/engineChoice';
import type { FetchItem } from '../core/url/fetchPolicy';
import { DEFAULT_SHARE_STATE, type ShareState, type ShareUrlError } from '../core/url/shareState';
import type { WorkerCause } from './backoff';
import type { ProfileSlice } from './profile';
import { initialTheme } from './theme';

export type StepStatus = 'idle' | 'running' | 'done' | 'error';

export interface Step {
  status: StepStatus;
  progress: R.Progress | null;
  error: string | null;
}

export const idle = (): Step => ({ status: 'idle', progress: null, error: null });

export type FileRole = 'model' | 'tokenizer' | 'calibration' | 'evaluation';

export interface SettingsSlice {
  /** Everything a share link carries (src/core/url/shareState.ts). */
  settings: ShareState;
  /** Problems with the URL the page was opened with (shown once, dismissible). */
  urlErrors: ShareUrlError[];
  /** Local files a shared link names; the recipient is asked for them. */
  filesAsked: { role: FileRole; name: string }[];
  /** A link's URL sources, waiting for the user's yes (nothing is fetched before): open.ts, Notices.tsx. */
  linkFetch: { items: FetchItem[]; sizes: Record<string, string>; checking: boolean } | null;
}

/** What one chosen or dropped file became (openFiles.ts; shown in the model panel). */
export interface FileReportLine {
  name: string;
  became: string;
  ok: boolean;
}

export interface ModelSlice {
  model: Step & { summary: R.ModelSummary | null };
  /** The files last chosen or dropped, each recognised by its bytes, and what each became. */
  fileReport: FileReportLine[];
  texts: { calibration: R.TextSummary | null; evaluation: R.TextSummary | null; error: string | null };
  /** state: running, waiting to start again (back-off), or failed (the client gave up; Try again). */
  worker: {
    restarts: number;
    message: string | null;
    state: 'running' | 'waiting' | 'failed';
    cause: WorkerCause | null;
  };
  /** The worker's engine (wasm threads, WebGPU) and why: shown by EngineStatus, never in the share link. */
  engine: { choice: EngineChoice | null; error: string | null };
}

export interface CalibrationSlice {
  calibration: Step & { summary: R.CalibrationSummary | null };
  /**
   * The calibration activation scores sorted per site (tensorKeys in site order), from the worker once per
   * calibration: every activation budget's τ and shares are answered from it on this thread (hooks.ts).
   */
  activations: { key: string | null; index: { keys: string[]; index: ActivationShareIndex } | null };
}

export interface QuantState extends Step {
  /** quantKey() the ranking was built for. */
  key: string | null;
  ranking: BlockRanking | null;
  notes: string[];
}

export interface QuantizationSlice {
  quant: QuantState;
  detail: { key: string | null; data: R.TensorDetail | null; blockCurve: R.BlockCurve | null; error: string | null };
}

/** One perplexity the store asked for: a configuration (or its all-FP8 / all-NVFP4 baseline) or truncated weights. */
export type PerplexityJob =
  | { kind: 'configuration'; key: string; request: R.EvaluateRequest }
  | { kind: 'truncation'; key: string; request: R.TruncationRequest };

export interface EvaluationSlice {
  /** The one perplexity path (perplexity.ts): one cache for configurations, baselines and truncated weights. */
  perplexity: {
    /** By key (keys.ts); truncation entries carry their model in the key and survive a reload of it. */
    cache: Record<string, { kind: PerplexityJob['kind']; result: R.EvaluateResult | R.TruncationResult }>;
    running: PerplexityJob | null;
    progress: R.Progress | null;
    /** The last failure and the key it belongs to. */
    error: { key: string; kind: PerplexityJob['kind']; message: string } | null;
    /** The configuration the summary shows (marked stale) while a later one is computed. */
    lastShownKey: string | null;
  };
  sweep: Step & { key: string | null; points: R.SweepPoint[] };
}

export interface ViewSlice {
  hwOverrides: Partial<Record<HwParamKey, number>>;
  blockColour: 'precision' | 'score';
  theme: 'light' | 'dark';
}

export type ExplorerState = SettingsSlice &
  ModelSlice &
  CalibrationSlice &
  QuantizationSlice &
  EvaluationSlice &
  ViewSlice &
  ProfileSlice;

type Slice<T> = StateCreator<ExplorerState, [], [], T>;

export const settingsSlice: Slice<SettingsSlice> = () => ({
  settings: structuredClone(DEFAULT_SHARE_STATE),
  urlErrors: [],
  filesAsked: [],
  linkFetch: null,
});

export const modelSlice: Slice<ModelSlice> = () => ({
  model: { ...idle(), summary: null },
  fileReport: [],
  texts: { calibration: null, evaluation: null, error: null },
  worker: { restarts: 0, message: null, state: 'running', cause: null },
  engine: { choice: null, error: null },
});

export const calibrationSlice: Slice<CalibrationSlice> = () => ({
  calibration: { ...idle(), summary: null },
  activations: { key: null, index: null },
});

export const quantizationSlice: Slice<QuantizationSlice> = () => ({
  quant: { ...idle(), key: null, ranking: null, notes: [] },
  detail: { key: null, data: null, blockCurve: null, error: null },
});

export const evaluationSlice: Slice<EvaluationSlice> = () => ({
  perplexity: { cache: {}, running: null, progress: null, error: null, lastShownKey: null },
  sweep: { ...idle(), key: null, points: [] },
});

export const viewSlice: Slice<ViewSlice> = () => ({
  hwOverrides: {},
  blockColour: 'precision',
  theme: initialTheme(),
});

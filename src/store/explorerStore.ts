// The explorer's one store, composed of its slices (slices.ts): the shareable settings, what the worker has
// produced (model summary, calibration, ranking, tensor detail, perplexities, sweep), the status of each
// long step, and view state. Views read it through selectors and derive their pictures (derive.ts); they
// change it only through actions.ts. Which step owns which part, and what a change invalidates: steps.ts.
import { create } from 'zustand';
import type { ShareState } from '../core/url/shareState';
import {
  calibrationSlice,
  evaluationSlice,
  modelSlice,
  quantizationSlice,
  settingsSlice,
  viewSlice,
  type ExplorerState,
} from './slices';
import { profileSlice } from './profile';

export type { ExplorerState, QuantState, Step, StepStatus } from './slices';

const slices = (...a: Parameters<typeof settingsSlice>): ExplorerState => ({
  ...settingsSlice(...a),
  ...modelSlice(...a),
  ...calibrationSlice(...a),
  ...quantizationSlice(...a),
  ...evaluationSlice(...a),
  ...viewSlice(...a),
  ...profileSlice(),
});

export const useExplorer = create<ExplorerState>()(slices);

/** A fresh state (what the store starts with). */
export const initialExplorerState = (): ExplorerState =>
  slices(useExplorer.setState, useExplorer.getState, useExplorer);

/** Shallow-merges into one top-level part of the state. */
export function patch<K extends keyof ExplorerState>(key: K, value: Partial<ExplorerState[K]>): void {
  useExplorer.setState((s) => ({ [key]: { ...(s[key] as object), ...(value as object) } }) as Pick<ExplorerState, K>);
}

export function setSettings(value: Partial<ShareState>): void {
  useExplorer.setState((s) => ({ settings: { ...s.settings, ...value } }));
}

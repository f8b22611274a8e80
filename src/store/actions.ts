// The store's actions, the only way views and pages change state (they never call useExplorer.setState).
// The long steps (open, calibrate, quantize, evaluate, sweep) live in open.ts and controller.ts; the small
// UI-state actions are here.
import type { HwParamKey } from '../core/hw/index';
import { patch, useExplorer } from './explorerStore';

export {
  advance,
  cancelRunning,
  recalibrate,
  runSweep,
  select,
  shareUrl,
  updateSettings,
  crashWorkerForTest,
  spillFisherFromForTest,
} from './controller';
export { openDefaultModel, openFromLocation, openRandom, openText, openUrl, retryWorker } from './open';
export { openFiles } from './openFiles';
export { acceptLinkFetch, cancelLinkFetch, checkLinkFetchSizes } from './linkFetch';
export { requestTruncationPerplexity } from './perplexity';
export { showEngine } from './engine';

export const dismissModelError = () => patch('model', { error: null });
export const dismissTextError = () => patch('texts', { error: null });
export const dismissWorkerMessage = () => patch('worker', { message: null });
export const clearUrlErrors = () => useExplorer.setState({ urlErrors: [] });
export { toggleTheme } from './theme';
export const setBlockColour = (blockColour: 'precision' | 'score') => useExplorer.setState({ blockColour });
export const setHwOverride = (key: HwParamKey, value: number | undefined) =>
  useExplorer.setState((s) => ({ hwOverrides: { ...s.hwOverrides, [key]: value } }));

// The truncation lesson's perplexity (every linear weight of the loaded model reduced to k mantissa bits):
// asked for through the one perplexity path (perplexity.ts), read from its cache with these selectors.
import type { TruncationResult } from '../core/pipeline/results';
import type { ExplorerState } from './explorerStore';

export { requestTruncationPerplexity, PERPLEXITY_DEBOUNCE_MS as TRUNCATION_DEBOUNCE_MS } from './perplexity';
export { truncationContext, truncationKey } from './keys';

/** The cached result for a key (undefined until computed). */
export const truncationResult =
  (key: string | null) =>
  (s: ExplorerState): TruncationResult | undefined =>
    key ? (s.perplexity.cache[key]?.result as TruncationResult | undefined) : undefined;

export const truncationRunning = (key: string | null) => (s: ExplorerState) =>
  key !== null && s.perplexity.running?.key === key;

export const truncationProgress = (key: string | null) => (s: ExplorerState) =>
  key !== null && s.perplexity.running?.key === key ? s.perplexity.progress : null;

/** The worker's refusal for this key, if the last run of it failed. */
export const truncationError = (key: string | null) => (s: ExplorerState) =>
  key !== null && s.perplexity.error?.key === key ? s.perplexity.error.message : null;

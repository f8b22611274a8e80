// The explorer page's hooks: URL sync (open the link once, follow hash changes, keep the address bar
// current), the theme, and the per-frame derivation (policy answer, masks, memory, energy: derive.ts) with
// what the views read from it. Everything here reads the store; nothing writes it except through actions.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { findTensor } from '../../core/fgmp/index';
import { hwParams } from '../../core/hw/index';
import type { EvaluateResult } from '../../core/pipeline/results';
import { encodeShareQuery } from '../../core/url/shareState';
import { crashWorkerForTest, openFromLocation, spillFisherFromForTest } from '../../store/actions';
import { deriveIncremental, IncrementalBudget, tensorKey } from '../../store/derive';
import { useExplorer } from '../../store/explorerStore';
import { perplexityKey } from '../../store/keys';
import { useHwPreset, useInstrumentAnswer } from '../../views/instrumentHooks';
import { profileActivationShares, profileApplies } from '../../store/profile';
import { liveActivationShares } from '../../store/derive';
import { deriveFromCounts, sortedScores, topBlocksMask } from '../../store/profileCounts';
import { histogramInstrument } from '../../store/instrumentsDerive';

declare global {
  interface Window {
    /** Test and measurement hooks (read-only use). */
    __fgmp?: {
      lastCommit: number;
      commits: number;
      deriveMs: number;
      crashWorker: () => void;
      spillFisherFrom: (bytes: number) => Promise<void>;
      store: typeof useExplorer;
    };
  }
}

/** How long the settings rest before the address bar is written (a drag of a slider writes it once). */
export const URL_REST_MS = 150;

/** Opens the state a link carries, once; follows later hash changes; keeps the address bar current. */
export function useUrlSync(): void {
  const settings = useExplorer((s) => s.settings);
  const opened = useRef(false);
  // The hash this page last wrote or opened: a different one is a navigation the hashchange handler opens,
  // which a pending write must not overwrite with the old settings.
  const known = useRef(window.location.hash);
  useEffect(() => {
    if (!opened.current) {
      opened.current = true;
      openFromLocation(window.location.hash);
      window.__fgmp = {
        lastCommit: 0,
        commits: 0,
        deriveMs: 0,
        crashWorker: crashWorkerForTest,
        spillFisherFrom: spillFisherFromForTest,
        store: useExplorer,
      };
    }
    const onHash = () => {
      known.current = window.location.hash;
      const q = window.location.hash.split('?')[1] ?? '';
      if (window.location.hash.startsWith('#/explorer') && q && q !== encodeShareQuery(useExplorer.getState().settings))
        openFromLocation(window.location.hash);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  // The address follows the settings once they rest (URL_REST_MS): history.replaceState costs a same-document
  // navigation (and a favicon reload) on this thread, several milliseconds that a slider frame cannot spare.
  // The write reads the store, not the render's settings, so one listener serves every render: adding and
  // removing a pagehide listener on each move cost 0.5-1.5 ms of main-thread time per move in Chromium.
  const write = useCallback(() => {
    if (!window.location.hash.startsWith('#/explorer') && window.location.hash !== '' && window.location.hash !== '#/')
      return;
    if (window.location.hash !== known.current) return; // navigated meanwhile: onHash opens it
    const next = `#/explorer?${encodeShareQuery(useExplorer.getState().settings)}`;
    if (window.location.hash !== next) history.replaceState(null, '', next);
    known.current = next;
  }, []);
  useEffect(() => {
    window.addEventListener('pagehide', write);
    return () => window.removeEventListener('pagehide', write);
  }, [write]);
  useEffect(() => {
    const timer = setTimeout(write, URL_REST_MS);
    return () => clearTimeout(timer);
  }, [settings, write]);
}

export function useThemeClass(): void {
  const theme = useExplorer((s) => s.theme);
  useEffect(() => {
    document.documentElement.classList.toggle('dark', theme === 'dark');
  }, [theme]);
}

/** deriveIncremental, timed for the latency measurement (window.__fgmp.deriveMs). */
function timedDerive(...args: Parameters<typeof deriveIncremental>): ReturnType<typeof deriveIncremental> {
  const t0 = performance.now();
  const d = deriveIncremental(...args);
  if (window.__fgmp) window.__fgmp.deriveMs = performance.now() - t0;
  return d;
}

/**
 * A value that keeps its identity while its content does not change (a memoised view then skips the render):
 * each call of the returned function gives the previous value back when `same` says they are equal.
 */
function steady<T>(same: (a: T, b: T) => boolean): (value: T) => T {
  let last: T | undefined;
  let has = false;
  return (value) => {
    if (!has || (last !== value && !same(last as T, value))) {
      last = value;
      has = true;
    }
    return last as T;
  };
}

const sameShares = (a: Map<string, number> | null, b: Map<string, number> | null) =>
  a !== null && b !== null && a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const sameMask = (a: Uint8Array | null, b: Uint8Array | null) =>
  a !== null && b !== null && a.length === b.length && a.every((v, i) => v === b[i]);

/** What a budget decides, recomputed on this thread on every slider move, and the selected tensor's part. */
export function useDerived() {
  const settings = useExplorer((s) => s.settings);
  const summary = useExplorer((s) => s.model.summary);
  const quant = useExplorer((s) => s.quant);
  const liveIndex = useExplorer((s) => s.activations.index);
  const hwOverrides = useExplorer((s) => s.hwOverrides);
  // The profile's answers stand in until live quantization answers (profile.ts says when it applies).
  const fromProfile = useExplorer(profileApplies);
  const profile = useExplorer((s) => s.profile);
  const params = useMemo(() => hwParams(hwOverrides), [hwOverrides]);
  const config = fromProfile ? profile.profile!.meta.model.config : summary?.config;
  const tokens = config?.maxSeqLen ?? 256;
  const profileRanking = profile.ranking?.policy === settings.policy ? profile.ranking.ranking : null;
  const ranking = fromProfile ? profileRanking : quant.status === 'done' ? quant.ranking : null;
  const { weightBudget, activationBudget, fp8Scaling } = settings;
  // Both answered here from the calibration scores sorted once (no worker round trip per activation budget).
  const activationShares = useMemo(
    () =>
      fromProfile
        ? profileActivationShares(profile, activationBudget)
        : liveIndex && liveActivationShares(liveIndex, activationBudget),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [fromProfile, fromProfile && profile.activations, fromProfile && profile.profile, liveIndex, activationBudget],
  );
  // The incremental answerer of this ranking (its masks are reused by every slider move; a new ranking, a
  // new one): a move touches only the blocks that change precision (derive.ts deriveIncremental).
  const incremental = useMemo(() => (ranking ? new IncrementalBudget(ranking) : null), [ranking]);
  // Bits, pins and layerwise answered first (instrumentHooks.ts); the energy model's preset.
  const instrument = useInstrumentAnswer(ranking);
  const preset = useHwPreset();
  const counts = fromProfile && profile.answerer?.policy === settings.policy ? profile.answerer.answerer : null;
  const derived = useMemo(
    () =>
      counts
        ? deriveFromCounts(
            profile.profile!,
            counts,
            activationShares,
            weightBudget,
            activationBudget,
            tokens,
            params,
            preset,
          )
        : incremental
          ? timedDerive(
              incremental,
              activationShares,
              instrument?.answer ?? weightBudget,
              activationBudget,
              tokens,
              params,
              fp8Scaling,
              preset,
            )
          : null,
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [
      incremental,
      counts,
      activationShares,
      weightBudget,
      activationBudget,
      tokens,
      params,
      fp8Scaling,
      instrument,
      preset,
    ],
  );
  useLayoutEffect(() => {
    if (window.__fgmp) {
      window.__fgmp.lastCommit = performance.now();
      window.__fgmp.commits++;
    }
  }, [derived]);
  const blocksPerTensor = useMemo(
    () => new Map(ranking?.tensors.map((t) => [tensorKey(t.layer, t.proj), t.grid.blockCount]) ?? []),
    [ranking],
  );
  const sel = settings.selection;
  const selIndex = ranking ? findTensor(ranking, sel.layer, sel.projection) : -1;
  const countScores = counts ? profile.detail?.scores : null;
  const countIndex = counts
    ? profile.profile!.tensors.findIndex((t) => t.layer === sel.layer && t.proj === sel.projection)
    : -1;
  const countSorted = useMemo(() => (countScores ? sortedScores(countScores) : null), [countScores]);
  const countMask = useMemo(
    () =>
      countScores && countSorted && derived && countIndex >= 0
        ? topBlocksMask(countScores, countSorted, derived.answer.fp8Counts[countIndex])
        : null,
    [countScores, countSorted, derived, countIndex],
  );
  const selMask = countMask ?? (derived && selIndex >= 0 ? derived.masks[selIndex] : null);
  // Copies so that React sees a change (the buffers are reused between slider moves), kept while equal.
  const [keepMask] = useState(() => steady(sameMask));
  const [keepWeights] = useState(() => steady(sameShares));
  const [keepActs] = useState(() => steady(sameShares));
  const selMaskCopy = useMemo(() => keepMask(selMask ? selMask.slice() : null), [selMask, derived]); // eslint-disable-line react-hooks/exhaustive-deps
  const weightShare = useMemo(() => keepWeights(derived?.weightShare ?? null), [derived, keepWeights]);
  const activationShare = useMemo(() => keepActs(derived?.activationShare ?? null), [derived, keepActs]);
  const source = useMemo(
    () => (fromProfile ? { kind: 'profile' as const, name: profile.name ?? '', origin: profile.origin } : null),
    [fromProfile, profile.name, profile.origin],
  );
  // A histogram profile answers the share alone; the instruments then say what they cannot apply.
  const shownInstrument = useMemo(
    () => (counts && derived ? histogramInstrument(settings, derived.answer) : instrument),
    [counts, derived, settings, instrument],
  );
  const selScores = useMemo(() => {
    if (!ranking || selIndex < 0) return null;
    const t = ranking.tensors[selIndex];
    return ranking.scores.subarray(t.offset, t.offset + t.grid.blockCount);
  }, [ranking, selIndex]);
  return {
    derived,
    ranking,
    params,
    tokens,
    blocksPerTensor,
    selMask: selMaskCopy,
    selScores,
    /** The instruments' answer (bits range, pins per tensor, refusals): instrumentsDerive.ts. */
    instrument: shownInstrument,
    activationShares,
    nLayers: config?.nLayers ?? 0,
    /** Where the views' numbers come from: the profile (its name) or live calibration. */
    source,
    /** derived's shares, the same Map while unchanged (a weight move leaves the activation heatmap alone). */
    weightShare,
    activationShare,
  };
}

export type Derivation = ReturnType<typeof useDerived>;

/** The perplexity the summary shows: this configuration's if known, else the last one shown, marked stale. */
export function useShownPerplexity() {
  const settings = useExplorer((s) => s.settings);
  const perplexity = useExplorer((s) => s.perplexity);
  const get = (key: string | null) =>
    key && perplexity.cache[key]?.kind === 'configuration'
      ? (perplexity.cache[key].result as EvaluateResult)
      : undefined;
  const current = get(perplexityKey(settings));
  const lastShown = get(perplexity.lastShownKey);
  const shownPpl = current ? current.ppl : (lastShown?.ppl ?? null);
  const running = perplexity.running?.kind === 'configuration' ? perplexity.running.request.variant : null;
  const error = perplexity.error?.kind === 'configuration' ? perplexity.error.message : null;
  const engine = Object.values(perplexity.cache).find((e) => e.kind === 'configuration')?.result.engine ?? '—';
  return {
    current,
    /** The last configuration shown (its KL stands in, marked stale, like its perplexity). */
    lastShown,
    shownPpl,
    stale: !current && shownPpl !== null,
    fp8Base: get(perplexityKey(settings, 'fp8')),
    nvfp4Base: get(perplexityKey(settings, 'nvfp4')),
    /** Which evaluation runs now ('mixed' = this configuration, or a baseline), null when none. */
    running,
    progress: running ? perplexity.progress : null,
    error,
    engine,
  };
}

export type ShownPerplexity = ReturnType<typeof useShownPerplexity>;

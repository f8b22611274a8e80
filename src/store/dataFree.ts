// Data-free calibration (issue 15): a checkpoint without a usable tokenizer is still calibrated and
// evaluated, on stories the model samples itself with fixed seeds, exactly as `fgmp run --calib-seed N
// --eval-seed M` (core: Pipeline.calibrate's DataSeeds). The seeds are settings, so the share link carries
// them (calib=seed:N, eval=seed:M). When samples stand in for texts automatically, the texts they replaced
// are kept here and come back once a tokenizer arrives with a calibration text to use.
import type { DataSeeds } from '../core/pipeline/results';
import { heldApartSeed } from '../core/pipeline/vocabulary';
import type { ShareState, TextSource } from '../core/url/shareState';
import { setSettings, useExplorer, type ExplorerState } from './explorerStore';
import { invalidate } from './steps';

/** The seed `fgmp run` samples calibration data with when given no --calib (evaluation: heldApartSeed). */
export const DEFAULT_CALIBRATION_SEED = 1;

type Role = 'calibration' | 'evaluation';

/** The text sources automatic samples replaced, and the samples they were replaced by; null: none did. */
let replaced: { texts: Record<Role, TextSource>; calibrationSeed: number } | null = null;
/** The seeds (and evaluation tokens) of the calibration the store holds: a different ask calibrates again. */
let calibratedWith: string | null = null;

const seedOf = (s: TextSource): number | null => (s.kind === 'samples' ? s.seed : null);

/** What the worker's calibrate is told about the data (null seeds: the texts). */
export function dataSeeds(s: ShareState): DataSeeds {
  return {
    calibrationSeed: seedOf(s.calibration),
    evaluationSeed: seedOf(s.evaluation),
    evaluationTokens: s.evaluationTokens,
  };
}

/** The evaluation seed in effect when calibration is data-free (as the core picks it: Pipeline.evaluationSource). */
export function evaluationSeed(st: ExplorerState): number | null {
  const { calibration, evaluation } = st.settings;
  if (evaluation.kind === 'samples') return evaluation.seed;
  if (calibration.kind === 'samples' && !st.texts.evaluation) return heldApartSeed(calibration.seed);
  return null;
}

/** Calibration can start: samples need only the model; a text needs the tokenizer and the text. */
export function calibrationReady(st: ExplorerState): boolean {
  const summary = st.model.summary;
  if (!summary) return false;
  return st.settings.calibration.kind === 'samples' || (!!summary.tokenizer && !!st.texts.calibration);
}

const key = (d: DataSeeds) => `${d.calibrationSeed}|${d.evaluationSeed}`;

/** Calibration finished for these settings (controller.ts). */
export function calibratedOn(s: ShareState): void {
  calibratedWith = key(dataSeeds(s));
}

/** The settings' seeds differ from the held calibration's (a link opened over it): forget it, say so. */
export function seedsChanged(st: ExplorerState): boolean {
  if (st.calibration.status !== 'done' || calibratedWith === null) return false;
  if (calibratedWith === key(dataSeeds(st.settings))) return false;
  calibratedWith = null;
  invalidate('calibration');
  return true;
}

/**
 * A model was opened: without a usable tokenizer it is calibrated on its own samples (seeds already set by
 * a link are kept); a random model goes back to the texts (it is never calibrated); a model with a tokenizer
 * goes back to them when there is a calibration text.
 */
export function modelOpened(kind: 'no-tokenizer' | 'tokenizer' | 'random'): void {
  const s = useExplorer.getState().settings;
  if (kind === 'no-tokenizer') {
    if (s.calibration.kind === 'samples') return;
    replaced = {
      texts: { calibration: s.calibration, evaluation: s.evaluation },
      calibrationSeed: DEFAULT_CALIBRATION_SEED,
    };
    setSettings({
      calibration: { kind: 'samples', seed: DEFAULT_CALIBRATION_SEED },
      evaluation: { kind: 'samples', seed: heldApartSeed(DEFAULT_CALIBRATION_SEED) },
    });
    invalidate('calibration');
    return;
  }
  if (kind === 'random' || useExplorer.getState().texts.calibration) textsBack();
}

/** The texts automatic samples replaced come back (unless a link has set other seeds since). */
function textsBack(): void {
  const s = useExplorer.getState().settings;
  const r = replaced;
  replaced = null;
  if (!r || seedOf(s.calibration) !== r.calibrationSeed) return;
  setSettings(r.texts);
  invalidate('calibration');
}

/** A text opened now waits (samples stand in for a missing tokenizer): it is used once one arrives. */
export function textWaits(st: ExplorerState): boolean {
  return st.settings.calibration.kind === 'samples' && !!st.model.summary && !st.model.summary.tokenizer;
}

/**
 * The user opened a text. While samples stand in for a missing tokenizer it is kept for later (the answer
 * is false: the settings keep their seeds); otherwise it becomes the role's source (and, if samples stood
 * in automatically, the other role's text comes back too).
 */
export function textOpened(role: Role, source: TextSource): boolean {
  const st = useExplorer.getState();
  if (textWaits(st)) {
    replaced ??= {
      texts: { calibration: { kind: 'default' }, evaluation: { kind: 'default' } },
      calibrationSeed: seedOf(st.settings.calibration)!,
    };
    replaced.texts[role] = source;
    return false;
  }
  const back = replaced && seedOf(st.settings.calibration) === replaced.calibrationSeed ? replaced.texts : null;
  replaced = null;
  setSettings(back ? { ...back, [role]: source } : { [role]: source });
  if (back) invalidate('calibration');
  return true;
}

/**
 * A text opened while samples stand in for a missing tokenizer: kept (not sent to the worker, so the data-free
 * calibration runs on) and given to it with the tokenizer (open.ts loadTokenizer). False: it holds no text.
 */
export async function keepText(role: Role, file: File, source: TextSource): Promise<boolean> {
  const text = (await file.text()).replace(/\r\n/g, '\n');
  if (text.trim().length === 0) {
    useExplorer.setState((s) => ({ texts: { ...s.texts, error: `${file.name}: ${file.name} holds no text` } }));
    return false;
  }
  textOpened(role, source);
  const summary = { name: file.name, characters: text.length, tokens: 0, tokensCounted: 0 };
  useExplorer.setState((s) => ({
    texts: { ...s.texts, [role]: summary, error: null },
    filesAsked: s.filesAsked.filter((f) => f.role !== role),
  }));
  return true;
}

/** Why calibration is data-free, in words for the notice (null: it is not). */
export function dataFreeReason(st: ExplorerState): 'no-tokenizer' | 'no-text' | 'link' | null {
  if (st.settings.calibration.kind !== 'samples' || !st.model.summary) return null;
  if (!st.model.summary.tokenizer) return 'no-tokenizer';
  return st.texts.calibration ? 'link' : 'no-text';
}

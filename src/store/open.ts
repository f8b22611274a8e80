// Opening things: a checkpoint (files, URLs, a random model, the embedded default model), its tokenizer,
// the calibration and evaluation texts, and the state a shared link carries. What was opened is kept so a
// restarted worker can be given the same inputs again; advance() (controller.ts) then redoes the rest. A model
// without a usable tokenizer calibrates on its own samples; a refused tokenizer's stopped calibration reruns.
import * as Comlink from 'comlink';
import { DEFAULT_MODEL, sitePath } from '../core/data/index';
import type { ModelSummary, NamedBytes } from '../core/pipeline/results';
import type { RandomShape } from '../core/pipeline/vocabulary';
import type { ShareState } from '../core/url/shareState';
import { advance } from './controller';
import { keepText, modelOpened, textOpened, textWaits } from './dataFree';
import { patch, setSettings, useExplorer } from './explorerStore';
import { recoveredMessage } from './backoff';
import { isFatalWorkerError, WorkerUnavailable, type WorkerEvent } from './pipelineClient';
import { invalidate } from './steps';
import { normaliseModelUrl } from './modelUrl';
import { openDefaultProfile } from './profile';
import { cancelled, message, onWorkerEvent, pipeline, progress } from './worker';

export { openFromLocation } from './linkFetch';
export { normaliseModelUrl };

type Role = 'calibration' | 'evaluation';

const opened: {
  model:
    | { kind: 'files'; files: File[] }
    | { kind: 'urls'; urls: string[] }
    | { kind: 'random'; shape: RandomShape; seed: number }
    | null;
  tokenizer: File | null;
  texts: Record<Role, File | null>;
} = { model: null, tokenizer: null, texts: { calibration: null, evaluation: null } };
/** The model being loaded when the worker failed: a restarted worker (or Try again) loads it. */
let asked: typeof opened.model = null;

/** Model loads run one after another, in the order asked, so the last one the user asked for wins. */
let loadQueue: Promise<unknown> = Promise.resolve();
/** Counts models the user asked for; the default model steps back once there is one. */
let userLoads = 0;
function queued<T>(job: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(job, job);
  loadQueue = run.catch(() => undefined);
  return run;
}

onWorkerEvent(workerEvent);

function workerEvent(e: WorkerEvent): void {
  const s = useExplorer.getState();
  if (e.kind === 'started') {
    const cause = s.worker.cause;
    useExplorer.setState({
      worker: { restarts: s.worker.restarts + 1, state: 'running', cause, message: cause && recoveredMessage(cause) },
    });
    void reapply();
    return;
  }
  invalidate('calibration');
  const pending = asked ?? opened.model;
  const worker = { ...s.worker, message: e.message, state: e.kind === 'failed' ? 'failed' : 'waiting', cause: e.cause };
  if (e.kind === 'restarting') {
    // The model panel shows a load in progress: a restarted worker is given the model again.
    useExplorer.setState({
      worker: worker as typeof s.worker,
      model: { ...s.model, status: pending ? 'running' : 'idle', progress: null, error: null },
    });
    return;
  }
  useExplorer.setState({
    worker: worker as typeof s.worker,
    model: { ...s.model, status: s.model.summary ? 'done' : 'error', progress: null, error: workerStoppedNote() },
  });
}

/** The model panel's line while no worker runs (the worker notice above says why). */
function workerStoppedNote(): string {
  const name = useExplorer.getState().model.summary?.name;
  if (pipeline().state === 'waiting') return 'The pipeline worker is being started again; the model is loaded then.';
  return (
    'No model can be loaded or used while the pipeline worker is stopped (see the message above). ' +
    (asked || opened.model || name ? `Try again loads ${name ?? 'the model'} again.` : 'Try again starts it.')
  );
}

/** The user's Try again after the client gave up: a fresh worker, given what was opened. */
export function retryWorker(): void {
  patch('model', { error: null });
  pipeline().retry();
}

/** After a restart: the same model, tokenizer and texts go to the new worker; advance() redoes the rest. */
async function reapply(): Promise<void> {
  try {
    const m = asked ?? opened.model;
    // The embedded default model (and its texts) never reached the worker: open it as on a first visit.
    if (!opened.model && useExplorer.getState().settings.model.kind === 'default') return await openDefaultModel();
    if (!m) return;
    if (m.kind === 'files') await loadFiles(m.files, false);
    else if (m.kind === 'urls') await loadUrls(m.urls, false);
    else await loadRandom(m.shape, m.seed, false);
    for (const role of ['calibration', 'evaluation'] as const) {
      const f = opened.texts[role];
      if (f) await sendText(role, f);
    }
  } catch {
    // The worker failed again while being given its inputs: its next start (or the final message) says so.
  } finally {
    advance();
  }
}

const readFile = async (f: File): Promise<NamedBytes> => ({
  name: f.name,
  bytes: new Uint8Array(await f.arrayBuffer()),
});

/** A model step failed: the previous model stays (the worker keeps it too). */
function modelFailed(e: unknown): void {
  if (isFatalWorkerError(e)) return; // the crash handler reports it and restarts
  // A bad file is not tried again; a model asked for while no worker runs is loaded once one does.
  if (!(e instanceof WorkerUnavailable)) asked = null;
  const hasModel = !!useExplorer.getState().model.summary;
  patch('model', {
    status: hasModel ? 'done' : cancelled(e) ? 'idle' : 'error',
    progress: null,
    error: cancelled(e) ? null : e instanceof WorkerUnavailable ? workerStoppedNote() : message(e),
  });
}

/** Runs one model load in the worker; on success everything computed from the old model is forgotten. */
async function loadModel(
  job: () => Promise<ModelSummary>,
  record: NonNullable<typeof opened.model>,
  sourceChanged: boolean,
  sources: () => { model: ShareState['model']; tokenizer: ShareState['tokenizer'] },
): Promise<boolean> {
  // The worker stops what runs before it swaps the model; the cancel flag reaches it between batches.
  pipeline().cancel();
  patch('model', { status: 'running', error: null, progress: null });
  asked = record;
  try {
    const summary = await job();
    opened.model = record;
    asked = null;
    patch('model', { status: 'done', summary, progress: null });
    const { model, tokenizer } = sources();
    const sel = useExplorer.getState().settings.selection;
    const selection = sel.layer < summary.config.nLayers ? sel : { layer: 0, projection: sel.projection, block: null };
    if (sourceChanged) setSettings({ model, tokenizer, selection });
    modelOpened(record.kind === 'random' ? 'random' : summary.tokenizer ? 'tokenizer' : 'no-tokenizer');
    invalidate('model', { keepSelf: true });
    useExplorer.setState((st) => ({
      filesAsked: st.filesAsked.filter((f) => f.role !== 'model' && (f.role !== 'tokenizer' || !tokenizer)),
    }));
    return true;
  } catch (e) {
    modelFailed(e);
    return false;
  }
}

export function loadFiles(files: File[], sourceChanged = true): Promise<void> {
  return queued(async () => {
    let name = '';
    const ok = await loadModel(
      async () => {
        const named = await Promise.all(files.map(readFile));
        // Moved, not copied, to the worker: the page keeps no second copy of the weights (the File stays).
        const moved = Comlink.transfer(
          named,
          named.map((f) => f.bytes.buffer),
        );
        const s = await pipeline().call((api) =>
          api.load(
            moved,
            progress((p) => patch('model', { progress: p })),
          ),
        );
        name = s.name;
        return s;
      },
      { kind: 'files', files },
      sourceChanged,
      () => {
        const tok = files.find((f) => f.name !== name && files.length > 1);
        return { model: { kind: 'file', name }, tokenizer: tok ? { kind: 'file', name: tok.name } : null };
      },
    );
    const summary = useExplorer.getState().model.summary;
    if (ok && summary && summary.tokenizer === null && opened.tokenizer && !sourceChanged)
      await loadTokenizer(opened.tokenizer, false);
  });
}

/** `stepBack`, asked when the load's turn in the queue comes: true skips it (the default model, see below). */
export function loadUrls(urls: string[], sourceChanged = true, stepBack?: () => boolean): Promise<boolean> {
  return queued(async () =>
    stepBack?.()
      ? false
      : loadModel(
          () =>
            pipeline().call((api) =>
              api.loadUrls(
                urls,
                progress((p) => patch('model', { progress: p })),
              ),
            ),
          { kind: 'urls', urls },
          sourceChanged,
          () => ({ model: { kind: 'url', url: urls[0] }, tokenizer: urls[1] ? { kind: 'url', url: urls[1] } : null }),
        ),
  );
}

export function loadRandom(shape: RandomShape, seed: number, sourceChanged = true): Promise<void> {
  return queued(async () => {
    const ok = await loadModel(
      () => pipeline().call((api) => api.loadRandom(shape, seed)),
      { kind: 'random', shape, seed },
      sourceChanged,
      () => ({ model: { kind: 'random', shape, seed }, tokenizer: null }),
    );
    // A random model has no calibration: show a policy that needs no Fisher.
    const s = useExplorer.getState().settings;
    if (!ok) return;
    if (sourceChanged && (s.policy === 'fgmp' || s.policy === 'uniform')) setSettings({ policy: 'magnitude' });
    if (sourceChanged && s.clipping === 'fisher') setSettings({ clipping: 'mse' });
  });
}

export async function loadTokenizer(file: File, sourceChanged = true): Promise<void> {
  try {
    const summary = await pipeline().call(async (api) => api.loadTokenizer(await readFile(file)));
    opened.tokenizer = file;
    patch('model', { summary, error: null });
    if (sourceChanged) setSettings({ tokenizer: { kind: 'file', name: file.name } });
    useExplorer.setState((st) => ({ filesAsked: st.filesAsked.filter((f) => f.role !== 'tokenizer') }));
    for (const role of ['calibration', 'evaluation'] as const)
      if (opened.texts[role]) await sendText(role, opened.texts[role]!);
    // A finished calibration on the model's own samples stands; texts that waited for a tokenizer come now.
    const st = useExplorer.getState();
    const stands = st.settings.calibration.kind === 'samples' && st.calibration.status === 'done';
    invalidate(stands ? 'perplexity' : 'calibration');
    modelOpened('tokenizer');
  } catch (e) {
    patch('model', { error: `Tokenizer ${file.name}: ${message(e)}` });
    if (useExplorer.getState().calibration.status !== 'done') invalidate('calibration');
  }
  advance();
}

/** A model the user asked for (the default model then steps back): openFiles.ts counts its loads here. */
export const countUserLoad = (): void => void userLoads++;

export async function openUrl(url: string, tokenizerUrl?: string): Promise<void> {
  const urls = [normaliseModelUrl(url)];
  if (tokenizerUrl?.trim()) urls.push(normaliseModelUrl(tokenizerUrl));
  for (const u of urls) {
    try {
      const parsed = new URL(u);
      if (!/^https?:$/.test(parsed.protocol)) throw new Error();
    } catch {
      patch('model', { error: `"${u}" is not an http(s) URL` });
      return;
    }
  }
  userLoads++;
  await loadUrls(urls);
  advance();
}

export async function openRandom(seed = 1): Promise<void> {
  userLoads++;
  await loadRandom('stories15M', seed);
  advance();
}

async function sendText(role: Role, file: File): Promise<void> {
  const t = await readFile(file);
  const summary = await pipeline().call((api) => api.setText(role, t.name, t.bytes));
  useExplorer.setState((s) => ({ texts: { ...s.texts, [role]: summary, error: null } }));
}

export function openText(role: Role, file: File, isDefault = false): Promise<void> {
  return openTextAs(role, file, isDefault ? { kind: 'default' } : { kind: 'file', name: file.name });
}

/** A text a link names by URL, fetched here (after the user agreed: linkFetch.ts); its source stays the URL. */
export async function openTextUrl(role: Role, url: string): Promise<void> {
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`the server answered ${res.status} ${res.statusText}`.trim());
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || `${role}.txt`);
    await openTextAs(role, new File([await res.blob()], name, { type: 'text/plain' }), { kind: 'url', url });
  } catch (e) {
    useExplorer.setState((s) => ({ texts: { ...s.texts, error: `${url}: ${message(e)}` } }));
  }
}

async function openTextAs(role: Role, file: File, source: ShareState['calibration']): Promise<void> {
  // Samples stand in for a missing tokenizer: the text waits for one (dataFree.ts).
  if (textWaits(useExplorer.getState())) {
    if (await keepText(role, file, source)) opened.texts[role] = file;
    return;
  }
  // New calibration text: a calibration still running for the old one stops and ends silently.
  if (role === 'calibration') {
    pipeline().cancel();
    invalidate('calibration');
  }
  try {
    await sendText(role, file);
    opened.texts[role] = file;
    textOpened(role, source);
    useExplorer.setState((s) => ({ filesAsked: s.filesAsked.filter((f) => f.role !== role) }));
    invalidate(role === 'calibration' ? 'calibration' : 'perplexity');
  } catch (e) {
    if (!isFatalWorkerError(e))
      useExplorer.setState((s) => ({ texts: { ...s.texts, error: `${file.name}: ${message(e)}` } }));
  }
  advance();
}

/** The embedded default model (DEFAULT_MODEL, from public/) when the settings ask; a build without it waits. */
export async function openDefaultModel(): Promise<void> {
  const url = (p: string) => new URL(sitePath(p), document.baseURI).href;
  const before = userLoads;
  // The shipped profile makes every view live at once; live calibration replaces it (profile.ts).
  if (useExplorer.getState().profile.status === 'idle') void openDefaultProfile();
  const probe = await fetch(url(DEFAULT_MODEL.checkpoint), { method: 'HEAD' }).catch(() => null);
  if (!probe?.ok || !/octet|binary|application/.test(probe.headers.get('content-type') ?? 'application/octet-stream'))
    return;
  const yieldsToUser = () =>
    useExplorer.getState().settings.model.kind !== 'default' || opened.model !== null || userLoads !== before;
  // Asked at its turn in the queue: a user's load queued ahead of it (a drop that opened the explorer) wins.
  if (!(await loadUrls([url(DEFAULT_MODEL.checkpoint), url(DEFAULT_MODEL.tokenizer)], false, yieldsToUser))) return;
  if (useExplorer.getState().model.status !== 'done' || userLoads !== before) return;
  for (const [role, path] of [
    ['calibration', DEFAULT_MODEL.calibrationText],
    ['evaluation', DEFAULT_MODEL.evaluationText],
  ] as const) {
    if (useExplorer.getState().settings[role].kind !== 'default') continue;
    const res = await fetch(url(path)).catch(() => null);
    if (!res?.ok || userLoads !== before) continue;
    await openText(role, new File([await res.blob()], path.split('/').pop()!, { type: 'text/plain' }), true);
  }
  advance();
}

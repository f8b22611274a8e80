// Actions: everything that talks to the pipeline worker. `advance()` looks at the store and starts the
// next step the settings call for (calibrate → quantize → tensor detail → perplexity), so the same code
// path serves a user's clicks, a shared link being opened, and recovery after a worker crash.
import * as Comlink from 'comlink';
import { configurationKey, decodeShareHash, encodeShareUrl, filesToAsk, type ShareState } from '../core/url/shareState';
import type { Projection } from '../core/model/types';
import type { NamedBytes, Progress, SweepPoint } from '../../workers/protocol';
import { PipelineClient, isFatalWorkerError } from './pipelineClient';
import { rankingFromWire } from '../../workers/protocol';
import { initialExplorerState, patch, setSettings, useExplorer } from './explorerStore';
import { DEFAULT_MODEL, sitePath } from '../core/data/index';

const PPL_DEBOUNCE_MS = 300;
export const SWEEP_BUDGETS = [0, 0.1, 0.2, 0.3, 0.5, 0.7, 1];

/** What was opened, kept so that a restarted worker can be given the same inputs again. */
const session: {
  model:
    | { kind: 'files'; files: File[] }
    | { kind: 'urls'; urls: string[] }
    | { kind: 'random'; shape: 'stories15M'; seed: number }
    | null;
  tokenizer: File | null;
  texts: { calibration: File | null; evaluation: File | null };
  modelGeneration: number;
} = { model: null, tokenizer: null, texts: { calibration: null, evaluation: null }, modelGeneration: 0 };

let client: PipelineClient | null = null;
/** Model loads run one after another, in the order asked, so the last one the user asked for wins. */
let loadQueue: Promise<unknown> = Promise.resolve();
/** Counts models the user asked for; the default model steps back once there is one. */
let userLoads = 0;
function queued<T>(job: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(job, job);
  loadQueue = run.catch(() => undefined);
  return run;
}
let pplTimer: ReturnType<typeof setTimeout> | null = null;

function createWorker(): Worker {
  return new Worker(new URL('../../workers/pipeline.worker.ts', import.meta.url), {
    type: 'module',
    name: 'fgmp-pipeline',
  });
}

export function pipeline(): PipelineClient {
  if (!client) client = new PipelineClient(createWorker, onCrash);
  return client;
}

const message = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).replace(/^(CheckpointError|Error|TokenizerError): /, '');
const cancelled = (e: unknown) => (e as Error)?.name === 'CancelledError' || /cancelled/.test(message(e));
const progress = (set: (p: Progress) => void) => Comlink.proxy(set);

function onCrash(text: string): void {
  const s = useExplorer.getState();
  const fresh = initialExplorerState();
  useExplorer.setState({
    worker: { restarts: s.worker.restarts + 1, message: text },
    model: { ...fresh.model, summary: s.model.summary, status: session.model ? 'running' : 'idle' },
    calibration: fresh.calibration,
    quant: fresh.quant,
    activations: fresh.activations,
    detail: fresh.detail,
    ppl: { ...s.ppl, status: 'idle', runningKey: null, progress: null },
    sweep: { ...s.sweep, status: s.sweep.status === 'running' ? 'idle' : s.sweep.status, progress: null },
  });
  void reapplySession();
}

/** After a restart: the same model, tokenizer and texts go to the new worker; advance() redoes the rest. */
async function reapplySession(): Promise<void> {
  try {
    const m = session.model;
    if (!m) return;
    if (m.kind === 'files') await loadFiles(m.files, false);
    else if (m.kind === 'urls') await loadUrls(m.urls, false);
    else await loadRandom(m.shape, m.seed, false);
    for (const role of ['calibration', 'evaluation'] as const) {
      const f = session.texts[role];
      if (f) await sendText(role, f);
    }
  } finally {
    advance();
  }
}

// ---------- model ----------

async function readFile(f: File): Promise<NamedBytes> {
  return { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}

function modelLoaded(sourceChanged: boolean, model: ShareState['model'], tokenizer: ShareState['tokenizer']) {
  const s = useExplorer.getState();
  const summary = s.model.summary!;
  session.modelGeneration++;
  const sel = s.settings.selection;
  const selection = sel.layer < summary.config.nLayers ? sel : { layer: 0, projection: sel.projection, block: null };
  if (sourceChanged) setSettings({ model, tokenizer, selection });
  useExplorer.setState((st) => ({
    filesAsked: st.filesAsked.filter((f) => f.role !== 'model' && (f.role !== 'tokenizer' || !tokenizer)),
    calibration: initialExplorerState().calibration,
    quant: initialExplorerState().quant,
    activations: initialExplorerState().activations,
    detail: initialExplorerState().detail,
    ppl: initialExplorerState().ppl,
    sweep: initialExplorerState().sweep,
  }));
}

function loadFiles(files: File[], sourceChanged = true): Promise<void> {
  return queued(() => loadFilesNow(files, sourceChanged));
}

async function loadFilesNow(files: File[], sourceChanged: boolean): Promise<void> {
  patch('model', { status: 'running', error: null, progress: null });
  try {
    const named = await Promise.all(files.map(readFile));
    const summary = await pipeline().call((api) =>
      api.load(
        named,
        progress((p) => patch('model', { progress: p })),
      ),
    );
    session.model = { kind: 'files', files };
    patch('model', { status: 'done', summary, progress: null });
    const ckpt = summary.name;
    const tok = files.find((f) => f.name !== ckpt && files.length > 1);
    modelLoaded(sourceChanged, { kind: 'file', name: ckpt }, tok ? { kind: 'file', name: tok.name } : null);
    if (summary.tokenizer === null && session.tokenizer && !sourceChanged)
      await loadTokenizer(session.tokenizer, false);
  } catch (e) {
    fail('model', e);
  }
}

/** Model panel: files from the picker or a drop (checkpoint, optionally its tokenizer; .txt files become calibration text). */
export async function openFiles(files: File[]): Promise<void> {
  userLoads++;
  const texts = files.filter((f) => /\.(txt|text|md)$/i.test(f.name));
  const others = files.filter((f) => !texts.includes(f));
  const s = useExplorer.getState();
  if (others.length === 1 && s.model.summary && /tok|vocab/i.test(others[0].name) && others[0].size < 4 * 2 ** 20) {
    await loadTokenizer(others[0]);
  } else if (others.length > 0) {
    await loadFiles(others);
  }
  for (const t of texts) await openText(useExplorer.getState().texts.calibration ? 'evaluation' : 'calibration', t);
  advance();
}

async function loadTokenizer(file: File, sourceChanged = true): Promise<void> {
  try {
    const summary = await pipeline().call(async (api) => api.loadTokenizer(await readFile(file)));
    session.tokenizer = file;
    patch('model', { summary, error: null });
    if (sourceChanged) setSettings({ tokenizer: { kind: 'file', name: file.name } });
    useExplorer.setState((st) => ({
      filesAsked: st.filesAsked.filter((f) => f.role !== 'tokenizer'),
      calibration: initialExplorerState().calibration,
    }));
    for (const role of ['calibration', 'evaluation'] as const)
      if (session.texts[role]) await sendText(role, session.texts[role]!);
  } catch (e) {
    patch('model', { error: `Tokenizer ${file.name}: ${message(e)}` });
  }
  advance();
}

function loadUrls(urls: string[], sourceChanged = true): Promise<void> {
  return queued(() => loadUrlsNow(urls, sourceChanged));
}

async function loadUrlsNow(urls: string[], sourceChanged: boolean): Promise<void> {
  patch('model', { status: 'running', error: null, progress: null });
  try {
    const summary = await pipeline().call((api) =>
      api.loadUrls(
        urls,
        progress((p) => patch('model', { progress: p })),
      ),
    );
    session.model = { kind: 'urls', urls };
    patch('model', { status: 'done', summary, progress: null });
    modelLoaded(sourceChanged, { kind: 'url', url: urls[0] }, urls[1] ? { kind: 'url', url: urls[1] } : null);
  } catch (e) {
    fail('model', e);
  }
}

/** Hugging Face page links (…/blob/…) become download links (…/resolve/…). */
export function normaliseModelUrl(url: string): string {
  return url.trim().replace(/^(https:\/\/huggingface\.co\/.+?)\/blob\//, '$1/resolve/');
}

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

function loadRandom(shape: 'stories15M', seed: number, sourceChanged = true): Promise<void> {
  return queued(() => loadRandomNow(shape, seed, sourceChanged));
}

async function loadRandomNow(shape: 'stories15M', seed: number, sourceChanged: boolean): Promise<void> {
  patch('model', { status: 'running', error: null, progress: null });
  try {
    const summary = await pipeline().call((api) => api.loadRandom(shape, seed));
    session.model = { kind: 'random', shape, seed };
    patch('model', { status: 'done', summary, progress: null });
    modelLoaded(sourceChanged, { kind: 'random', shape, seed }, null);
    // A random model has no calibration: show a policy that needs no Fisher.
    const s = useExplorer.getState().settings;
    if (sourceChanged && (s.policy === 'fgmp' || s.policy === 'uniform')) setSettings({ policy: 'magnitude' });
    if (sourceChanged && s.clipping === 'fisher') setSettings({ clipping: 'mse' });
  } catch (e) {
    fail('model', e);
  }
}

export async function openRandom(seed = 1): Promise<void> {
  userLoads++;
  await loadRandom('stories15M', seed);
  advance();
}

function fail(slice: 'model' | 'calibration' | 'quant' | 'sweep', e: unknown): void {
  if (isFatalWorkerError(e)) return; // onCrash reports it and restarts
  const st = useExplorer.getState()[slice];
  // A failed model load leaves the previous model in place (the worker keeps it too).
  // A cancelled calibration stays stopped (advance() would otherwise start it again at once).
  const stopped = cancelled(e) && slice === 'calibration';
  const status =
    slice === 'model' && useExplorer.getState().model.summary ? 'done' : cancelled(e) && !stopped ? 'idle' : 'error';
  const error = stopped ? 'Calibration cancelled.' : cancelled(e) ? null : message(e);
  patch(slice, { ...st, status, progress: null, error } as never);
}

// ---------- text ----------

async function sendText(role: 'calibration' | 'evaluation', file: File): Promise<void> {
  const t = await readFile(file);
  const summary = await pipeline().call((api) => api.setText(role, t.name, t.bytes));
  useExplorer.setState((s) => ({ texts: { ...s.texts, [role]: summary, error: null } }));
}

export async function openText(role: 'calibration' | 'evaluation', file: File, isDefault = false): Promise<void> {
  // New calibration text: a calibration still running for the old one ends silently.
  if (role === 'calibration') session.modelGeneration++;
  try {
    await sendText(role, file);
    session.texts[role] = file;
    const source = isDefault ? ({ kind: 'default' } as const) : ({ kind: 'file', name: file.name } as const);
    setSettings(role === 'calibration' ? { calibration: source } : { evaluation: source });
    useExplorer.setState((s) => ({
      filesAsked: s.filesAsked.filter((f) => f.role !== role),
      ...(role === 'calibration'
        ? { calibration: initialExplorerState().calibration, quant: initialExplorerState().quant }
        : {}),
      ppl: { ...initialExplorerState().ppl },
      sweep: initialExplorerState().sweep,
    }));
  } catch (e) {
    if (!isFatalWorkerError(e))
      useExplorer.setState((s) => ({ texts: { ...s.texts, error: `${file.name}: ${message(e)}` } }));
  }
  advance();
}

// ---------- pipeline steps ----------

const quantKey = (s: ShareState) => `${s.policy}|${s.clipping}|${s.fp8Scaling}`;
const needsFisher = (s: ShareState) => s.policy === 'fgmp' || s.policy === 'uniform';
export const pplKey = (s: ShareState, variant: 'mixed' | 'fp8' | 'nvfp4' = 'mixed') =>
  variant === 'mixed'
    ? configurationKey(s)
    : `${variant}|${configurationKey({ ...s, weightBudget: 0, activationBudget: 0, policy: 'fgmp' })}`;

async function calibrate(): Promise<void> {
  const gen = session.modelGeneration;
  patch('calibration', { status: 'running', error: null, progress: null });
  try {
    const summary = await pipeline().call((api) =>
      api.calibrate(
        useExplorer.getState().settings.calibrationTokens,
        progress((p) => patch('calibration', { progress: p })),
      ),
    );
    if (gen !== session.modelGeneration) return;
    patch('calibration', { status: 'done', summary, progress: null });
    session.modelGeneration++;
    useExplorer.setState({
      quant: initialExplorerState().quant,
      ppl: initialExplorerState().ppl,
      detail: initialExplorerState().detail,
      activations: initialExplorerState().activations,
    });
  } catch (e) {
    // A calibration the user made moot (new model, tokenizer or text) ends silently.
    if (gen === session.modelGeneration) fail('calibration', e);
  }
  advance();
}

async function quantize(): Promise<void> {
  const s = useExplorer.getState().settings;
  const key = quantKey(s);
  const gen = session.modelGeneration;
  patch('quant', { status: 'running', error: null, progress: null, key });
  try {
    const r = await pipeline().call((api) =>
      api.quantize(
        { policy: s.policy, clipping: s.clipping, fp8Scaling: s.fp8Scaling, evaluationTokens: s.evaluationTokens },
        progress((p) => patch('quant', { progress: p })),
      ),
    );
    if (gen !== session.modelGeneration) return;
    patch('quant', {
      status: 'done',
      progress: null,
      ranking: rankingFromWire(r.ranking),
      clippingUsed: r.clippingUsed,
      notes: r.notes,
    });
  } catch (e) {
    fail('quant', e);
  }
  advance();
}

async function fetchDetail(): Promise<void> {
  const s = useExplorer.getState().settings;
  const { layer, projection, block } = s.selection;
  const key = `${s.clipping}|${s.fp8Scaling}|${layer}|${projection}|${block}`;
  patch('detail', { key, error: null });
  try {
    const data = await pipeline().call((api) =>
      api.tensorDetail({
        policy: s.policy,
        clipping: s.clipping,
        fp8Scaling: s.fp8Scaling,
        layer,
        proj: projection,
        evaluationTokens: s.evaluationTokens,
      }),
    );
    const blockCurve =
      block !== null && block < data.rows * Math.ceil(data.cols / 16)
        ? await pipeline().call((api) => api.blockCurve(layer, projection, block))
        : null;
    if (useExplorer.getState().detail.key === key) patch('detail', { data, blockCurve });
  } catch (e) {
    if (!isFatalWorkerError(e)) patch('detail', { error: message(e) });
  }
}

/** Activation FP8 shares for the activation budget: one round trip to the worker (cached there). */
async function fetchActivationShares(): Promise<void> {
  const s = useExplorer.getState().settings;
  const key = `${s.activationBudget}|${s.evaluationTokens}|${session.modelGeneration}`;
  patch('activations', { key });
  try {
    const shares = await pipeline().call((api) => api.activationShares(s.activationBudget, s.evaluationTokens));
    if (useExplorer.getState().activations.key === key) patch('activations', { shares });
  } catch (e) {
    if (!isFatalWorkerError(e)) patch('activations', { shares: null });
  }
}

/** Evaluates the configuration the settings describe (and the all-FP8 / all-NVFP4 baselines once). */
async function runPerplexity(): Promise<void> {
  const st = useExplorer.getState();
  if (st.ppl.status === 'running') return;
  const s = st.settings;
  const wanted: { key: string; variant: 'mixed' | 'fp8' | 'nvfp4' }[] = [
    { key: pplKey(s), variant: 'mixed' as const },
    { key: pplKey(s, 'fp8'), variant: 'fp8' as const },
    { key: pplKey(s, 'nvfp4'), variant: 'nvfp4' as const },
  ].filter((w) => !st.ppl.cache[w.key]);
  if (wanted.length === 0) return;
  const { key, variant } = wanted[0];
  patch('ppl', { status: 'running', runningKey: key, error: null, progress: null });
  const gen = session.modelGeneration;
  try {
    const r = await pipeline().call((api) =>
      api.evaluate(
        {
          policy: s.policy,
          clipping: s.clipping,
          fp8Scaling: s.fp8Scaling,
          weightBudget: s.weightBudget,
          activationBudget: s.activationBudget,
          evaluationTokens: s.evaluationTokens,
          variant,
        },
        progress((p) => patch('ppl', { progress: p })),
      ),
    );
    if (gen !== session.modelGeneration) return;
    useExplorer.setState((x) => ({
      ppl: {
        ...x.ppl,
        status: 'done',
        runningKey: null,
        progress: null,
        cache: { ...x.ppl.cache, [key]: r },
        // The summary shows this value (marked stale) while a later configuration is computed.
        lastShownKey: variant === 'mixed' ? key : x.ppl.lastShownKey,
      },
    }));
  } catch (e) {
    if (isFatalWorkerError(e)) return;
    if (gen !== session.modelGeneration) {
      patch('ppl', { status: 'idle', runningKey: null, progress: null });
      advance();
      return;
    }
    patch('ppl', {
      status: cancelled(e) ? 'idle' : 'error',
      runningKey: null,
      progress: null,
      error: cancelled(e) ? null : message(e),
    });
    if (!cancelled(e)) return;
  }
  advance();
}

function schedulePerplexity(): void {
  if (pplTimer) clearTimeout(pplTimer);
  pplTimer = setTimeout(() => {
    pplTimer = null;
    const st = useExplorer.getState();
    // A stale evaluation in flight is cancelled; the new configuration starts when it has stopped.
    if (
      st.ppl.status === 'running' &&
      st.ppl.runningKey !== pplKey(st.settings) &&
      !st.ppl.runningKey?.match(/^(fp8|nvfp4)\|/)
    )
      pipeline().cancel();
    else void runPerplexity();
  }, PPL_DEBOUNCE_MS);
}

/** Starts the next step the current settings need. Safe to call any time, any number of times. */
export function advance(): void {
  const st = useExplorer.getState();
  const s = st.settings;
  if (st.model.status !== 'done' || !st.model.summary) return;
  const summary = st.model.summary;
  const haveText = !!st.texts.calibration;
  if (summary.tokenizer && haveText && st.calibration.status === 'idle') {
    void calibrate();
    return;
  }
  if (st.calibration.status === 'running') return;
  const key = quantKey(s);
  if (st.quant.status !== 'running' && st.quant.key !== key) {
    if (needsFisher(s) && st.calibration.status !== 'done') {
      patch('quant', {
        key: null,
        ranking: null,
        status: 'error',
        error:
          `The ${s.policy === 'fgmp' ? 'FGMP' : 'per-layer uniform'} policy ranks blocks by Fisher information, which calibration computes. ` +
          (summary.tokenizer ? 'Choose a calibration text' : "Open the model's tokenizer and a calibration text") +
          ', or pick a policy that needs none (random, magnitude, unweighted).',
      });
      return;
    }
    void quantize();
    return;
  }
  if (st.quant.status !== 'done' || st.quant.key !== key) return;
  const { layer, projection, block } = s.selection;
  const detailKey = `${s.clipping}|${s.fp8Scaling}|${layer}|${projection}|${block}`;
  if (st.detail.key !== detailKey) void fetchDetail();
  if (
    st.calibration.status === 'done' &&
    st.activations.key !== `${s.activationBudget}|${s.evaluationTokens}|${session.modelGeneration}`
  )
    void fetchActivationShares();
  if (st.calibration.status === 'done') schedulePerplexity();
}

// ---------- user actions ----------

export function updateSettings(value: Partial<ShareState>): void {
  setSettings(value);
  advance();
}

export function select(layer: number, projection: Projection, block: number | null = null): void {
  updateSettings({ selection: { layer, projection, block } });
}

export function recalibrate(): void {
  patch('calibration', { status: 'idle', summary: null, error: null });
  advance();
}

export function cancelRunning(): void {
  pipeline().cancel();
}

export async function runSweep(): Promise<void> {
  const s = useExplorer.getState().settings;
  const key = `${s.clipping}|${s.fp8Scaling}|${s.activationBudget}|${configurationKey({ ...s, weightBudget: 0, policy: 'fgmp' })}`;
  patch('sweep', { status: 'running', error: null, progress: null, key, points: [] });
  try {
    const points = await pipeline().call((api) =>
      api.sweep(
        {
          policies: ['fgmp', 'uniform', 'unweighted', 'magnitude', 'random'],
          budgets: SWEEP_BUDGETS,
          clipping: s.clipping,
          fp8Scaling: s.fp8Scaling,
          activationBudget: s.activationBudget,
          // The same evaluation tokens as the current configuration: its point lies on its policy's line.
          evaluationTokens: s.evaluationTokens,
        },
        progress((p) => patch('sweep', { progress: p })),
        Comlink.proxy((p: SweepPoint) =>
          useExplorer.setState((x) => ({ sweep: { ...x.sweep, points: [...x.sweep.points, p] } })),
        ),
      ),
    );
    patch('sweep', { status: 'done', progress: null, points });
  } catch (e) {
    fail('sweep', e);
  }
  advance();
}

/**
 * The embedded default model (src/core/data DEFAULT_MODEL, served from public/): loads at once when the
 * settings ask for it; a build without it just waits for the user's model.
 */
export async function openDefaultModel(): Promise<void> {
  const url = (p: string) => new URL(sitePath(p), document.baseURI).href;
  const before = userLoads;
  const probe = await fetch(url(DEFAULT_MODEL.checkpoint), { method: 'HEAD' }).catch(() => null);
  if (!probe?.ok || !/octet|binary|application/.test(probe.headers.get('content-type') ?? 'application/octet-stream'))
    return;
  if (useExplorer.getState().settings.model.kind !== 'default' || session.model || userLoads !== before) return;
  await loadUrls([url(DEFAULT_MODEL.checkpoint), url(DEFAULT_MODEL.tokenizer)], false);
  const st = useExplorer.getState();
  if (st.model.status !== 'done' || userLoads !== before) return;
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

/** Reads the state a link carries; asks for local files it names and fetches URL/random models itself. */
export function openFromLocation(hash: string): void {
  const decoded = decodeShareHash(hash);
  if (!decoded.present || decoded.state.model.kind === 'default') void openDefaultModel();
  if (!decoded.present) return;
  useExplorer.setState({ settings: decoded.state, urlErrors: decoded.errors, filesAsked: filesToAsk(decoded.state) });
  const m = decoded.state.model;
  if (m.kind === 'random') void loadRandom(m.shape, m.seed, false).then(advance);
  else if (m.kind === 'url')
    void loadUrls(
      [m.url, ...(decoded.state.tokenizer?.kind === 'url' ? [decoded.state.tokenizer.url] : [])],
      false,
    ).then(advance);
}

export function shareUrl(): string {
  return encodeShareUrl(window.location.href, useExplorer.getState().settings);
}

/** Test hook: makes the worker crash so that recovery can be checked. */
export function crashWorkerForTest(): void {
  void pipeline().remote.debugCrash();
}

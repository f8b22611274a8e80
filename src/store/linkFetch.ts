// Opening a shared link. Everything it carries applies at once except its URL sources (model, tokenizer,
// texts by URL): those wait in `linkFetch` for the user's answer (src/views/Notices.tsx), and no request goes
// to their hosts before it. Yes fetches them; Cancel keeps what the user had (model, texts, their sources).
// Non-http(s) addresses never get this far: the link parser refuses them (shareState.ts) and fetchesOf
// refuses them again (src/core/url/fetchPolicy.ts), each with a message in urlErrors.
import { fetchesOf, formatSize, withoutFetches } from '../core/url/fetchPolicy';
import { decodeShareHash, filesToAsk, type ShareState } from '../core/url/shareState';
import { advance } from './controller';
import { patch, setSettings, useExplorer } from './explorerStore';
import { loadRandom, loadUrls, openDefaultModel, openTextUrl } from './open';
import { openProfileUrl } from './profile';

/** The link's state, URL sources included, while the user is asked. */
let pendingState: ShareState | null = null;

/** Reads the state a link carries; asks for local files it names and, before any fetch, for its URLs. */
export function openFromLocation(hash: string): void {
  const decoded = decodeShareHash(hash);
  if (!decoded.present) return void openDefaultModel();
  const { items, refused } = fetchesOf(decoded.state);
  const urlErrors = [
    ...decoded.errors,
    ...refused.map((r) => ({ field: r.role, value: '', message: `${r.reason}; it was not fetched` })),
  ];
  const previous = useExplorer.getState().settings;
  const shown = keepRefused(
    items.length ? withoutFetches(decoded.state, previous) : decoded.state,
    previous,
    urlErrors,
  );
  pendingState = items.length ? decoded.state : null;
  useExplorer.setState({
    settings: shown,
    urlErrors,
    // Files the user already has open (the sources a pending fetch left as they were) are not asked for.
    filesAsked: filesToAsk(shown).filter((f) => !items.length || !sameSource(f.role, shown, previous)),
    linkFetch: items.length ? { items, sizes: {}, checking: false } : null,
  });
  const m = shown.model;
  // The default model loads unless the link's own model waits for the answer (Cancel opens it then).
  if (m.kind === 'default' && !items.some((i) => i.role === 'model')) void openDefaultModel();
  if (m.kind === 'random') void loadRandom(m.shape, m.seed, false).then(advance);
}

/** A source the link got wrong (a refused scheme, a bad name) keeps what the user had, not the default. */
function keepRefused(state: ShareState, previous: ShareState, errors: { field: string }[]): ShareState {
  const out = { ...state };
  const bad = new Set(errors.map((e) => e.field));
  if (bad.has('model')) out.model = previous.model;
  if (bad.has('tok') || bad.has('tokenizer')) out.tokenizer = previous.tokenizer;
  if (bad.has('calib') || bad.has('calibration')) out.calibration = previous.calibration;
  if (bad.has('eval') || bad.has('evaluation')) out.evaluation = previous.evaluation;
  return out;
}

function sameSource(role: 'model' | 'tokenizer' | 'calibration' | 'evaluation', a: ShareState, b: ShareState) {
  return JSON.stringify(a[role]) === JSON.stringify(b[role]);
}

/** Yes: the link's URL sources are fetched (model and tokenizer in the worker, texts here). */
export async function acceptLinkFetch(): Promise<void> {
  const ask = useExplorer.getState().linkFetch;
  const state = pendingState;
  if (!ask || !state) return;
  pendingState = null;
  useExplorer.setState({ linkFetch: null });
  const url = (role: string) => ask.items.find((i) => i.role === role)?.url;
  const model = url('model');
  if (model) {
    const tok = url('tokenizer');
    setSettings({ model: state.model, tokenizer: state.tokenizer });
    await loadUrls([model, ...(tok ? [tok] : [])], false);
  }
  for (const role of ['calibration', 'evaluation'] as const) {
    const u = url(role);
    if (u) await openTextUrl(role, u);
  }
  const profile = url('profile');
  if (profile) await openProfileUrl(profile);
  advance();
}

/** Cancel: nothing is fetched; the user's model and texts stay (a first visit gets the default model). */
export function cancelLinkFetch(): void {
  pendingState = null;
  useExplorer.setState({ linkFetch: null });
  const st = useExplorer.getState();
  if (!st.model.summary && st.model.status !== 'running' && st.settings.model.kind === 'default')
    void openDefaultModel();
  advance();
}

/** The user chose to ask the hosts for the sizes: one HEAD each (no body), Content-Length when they say. */
export async function checkLinkFetchSizes(): Promise<void> {
  const ask = useExplorer.getState().linkFetch;
  if (!ask || ask.checking) return;
  patch('linkFetch', { checking: true });
  const sizes: Record<string, string> = {};
  await Promise.all(
    ask.items.map(async (item) => {
      try {
        const res = await fetch(item.url, { method: 'HEAD' });
        const length = res.headers.get('content-length');
        sizes[item.url] = !res.ok
          ? `the host answered ${res.status}`
          : length !== null && /^\d+$/.test(length)
            ? formatSize(Number(length))
            : 'the host does not say';
      } catch {
        sizes[item.url] = 'the host could not be asked (offline, or it refuses this site)';
      }
    }),
  );
  if (useExplorer.getState().linkFetch?.items === ask.items) patch('linkFetch', { sizes, checking: false });
}

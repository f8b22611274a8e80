// What a shared link may fetch, and what it must ask first. A link's model, tokenizer and texts may name
// URLs (model=url:…, tok=url:…, calib=url:…, eval=url:…); opening the link must not contact those hosts
// until the user agrees, and never anything but http(s). Pure: the store (src/store/open.ts) shows the
// question (src/views/Notices.tsx) and fetches only after the answer.
//
// Size: a HEAD request is itself a contact with the host, and the link carries no size of its own, so the
// question shows the host and the full address first; the size is asked for only when the user chooses
// "Ask the host for the size" (a HEAD, no body), and the download's progress bar shows the size the server
// declares once the user agrees to fetch.
import type { ShareState } from './shareState';

export type FetchRole = 'model' | 'tokenizer' | 'calibration' | 'evaluation' | 'profile';

/** One address a link would fetch. */
export interface FetchItem {
  role: FetchRole;
  url: string;
  /** host[:port] as the user should see it (punycode as the browser would contact it). */
  host: string;
}

export const ROLE_TEXT: Record<FetchRole, string> = {
  model: 'model checkpoint',
  tokenizer: 'tokenizer',
  calibration: 'calibration text',
  evaluation: 'evaluation text',
  profile: 'FGMP profile (read in pieces by HTTP Range)',
};

/** Only http(s) may be fetched; the reason otherwise names the scheme. */
export function checkFetchUrl(url: string): { ok: true; host: string } | { ok: false; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: `"${url}" is not an absolute URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { ok: false, reason: `only http(s) addresses are fetched, not ${parsed.protocol} ("${url}")` };
  if (!parsed.host) return { ok: false, reason: `"${url}" names no host` };
  return { ok: true, host: parsed.host };
}

/** The fetches a link's state asks for, in the order they would run, and the addresses refused. */
export function fetchesOf(state: ShareState): { items: FetchItem[]; refused: { role: FetchRole; reason: string }[] } {
  const items: FetchItem[] = [];
  const refused: { role: FetchRole; reason: string }[] = [];
  const sources: [FetchRole, { kind: string; url?: string } | null][] = [
    ['model', state.model],
    ['tokenizer', state.tokenizer],
    ['calibration', state.calibration],
    ['evaluation', state.evaluation],
    ['profile', state.profile ?? null],
  ];
  for (const [role, s] of sources) {
    if (s?.kind !== 'url' || s.url === undefined) continue;
    // A tokenizer URL is fetched with a model URL (the worker loads both); beside a local model it stays
    // a setting the link shows, never fetched.
    if (role === 'tokenizer' && state.model.kind !== 'url') continue;
    const check = checkFetchUrl(s.url);
    if (check.ok) items.push({ role, url: s.url, host: check.host });
    else refused.push({ role, reason: `${ROLE_TEXT[role]}: ${check.reason}` });
  }
  return { items, refused };
}

/**
 * The state with every URL source put back to what `previous` had: what the app shows while it asks, and
 * after a Cancel. A tokenizer URL goes with its model: without the model's fetch it is not applied either.
 */
export function withoutFetches(state: ShareState, previous: ShareState): ShareState {
  const out = { ...state };
  if (state.model.kind === 'url') {
    out.model = previous.model;
    out.tokenizer = previous.tokenizer;
  }
  if (state.calibration.kind === 'url') out.calibration = previous.calibration;
  if (state.evaluation.kind === 'url') out.evaluation = previous.evaluation;
  if (state.profile?.kind === 'url') out.profile = previous.profile ?? null;
  return out;
}

/** Distinct hosts, in order of first appearance. */
export function hostsOf(items: FetchItem[]): string[] {
  return [...new Set(items.map((i) => i.host))];
}

/** A size the server declared (Content-Length), for the question. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown';
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

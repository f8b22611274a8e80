// The explorer's FGMP profile (docs/profile-format.md): the default model's shipped file, a chosen or dropped
// file, or a URL read by HTTP Range. Until live calibration answers, the views derive from it: for profiles
// with block scores (every model a tab can hold) the policy's BlockRanking comes from the stored scores
// through the live ranking code (src/core/profile/answer.ts), so heatmap shares, bits and energy equal the
// live ones; activation shares come from the live τ rule on the stored calibration activation scores, sorted
// once (activationAnswerer) so that each activation slider move is answered on this thread in the same frame.
// Profiles too large for every score (a 7B model) answer from per-tensor histograms (profileCounts.ts).
import type { BlockRanking } from '../core/fgmp/index';
import type { PolicyKind } from '../core/pipeline/vocabulary';
import type { TensorDetail } from '../core/pipeline/results';
import {
  activationAnswerer,
  bufferSource,
  Profile,
  profileRanking,
  rangeSource,
  WeightAnswerer,
  type ActivationAnswerer,
  type ByteSource,
  type StoredPolicy,
} from '../core/profile/index';
import type { Projection } from '../core/model/types';
import { tensorKey } from '../core/pipeline/vocabulary';
import type { FileOrUrl, ShareState } from '../core/url/shareState';
import { patch, useExplorer, type ExplorerState } from './explorerStore';

/** Block scores a tab ranks exactly (the rest answer from histograms): 32 M blocks, 256 MiB of float64. */
export const MAX_EXACT_BLOCKS = 32_000_000;

export const DEFAULT_PROFILE_PATH = 'models/sotu-llama.profile.safetensors';

export type ProfileOrigin = 'default' | 'file' | 'url';

export interface ProfileState {
  status: 'idle' | 'loading' | 'done' | 'error';
  origin: ProfileOrigin | null;
  /** File name or URL, as the views name it. */
  name: string | null;
  error: string | null;
  profile: Profile | null;
  /** The settings.model the profile stands in for (a file or URL profile: the model open when it was opened). */
  modelKey: string | null;
  /** Exact answers: the ranking of one policy, from the stored block scores. */
  ranking: { policy: PolicyKind; ranking: BlockRanking } | null;
  /** Histogram answers (models too large to rank in a tab). */
  answerer: { policy: PolicyKind; answerer: WeightAnswerer } | null;
  /** Realised FP8 share of calibration activation blocks per site (tensor order) at any activation budget. */
  activations: ActivationAnswerer | null;
  /** The selected tensor's block grid from the profile: clip ratios (and, histogram profiles, scores) by Range. */
  detail: { key: string; data: TensorDetail; scores: Float64Array | null; ms: number } | null;
  /** HTTP requests made for the profile (URL profiles; one per Range read). */
  requests: number;
  /** Milliseconds from asking to the views having their first answer (the scale measurement reads it). */
  openMs: number | null;
}

export interface ProfileSlice {
  profile: ProfileState;
}

export const initialProfile = (): ProfileState => ({
  status: 'idle',
  origin: null,
  name: null,
  error: null,
  profile: null,
  modelKey: null,
  ranking: null,
  answerer: null,
  activations: null,
  detail: null,
  requests: 0,
  openMs: null,
});

export const profileSlice = (): ProfileSlice => ({ profile: initialProfile() });

const PROFILE_POLICIES = ['fgmp', 'uniform', 'unweighted', 'error', 'magnitude', 'random'] as const;

const modelKeyOf = (s: ShareState) => JSON.stringify(s.model);

/**
 * Whether the views show the profile's answers: a file or URL profile while the model it was opened beside is
 * still the one chosen; the default profile while the default model is chosen and live quantization has not
 * answered for the settings (and the default calibration text) the profile was made with.
 */
export function profileApplies(st: ExplorerState): boolean {
  const p = st.profile;
  if (p.status !== 'done' || !p.profile) return false;
  if (p.origin !== 'default') return p.modelKey === modelKeyOf(st.settings);
  const q = p.profile.meta.quantization;
  const s = st.settings;
  // The shipped profile was calibrated on the default text: another text (a file, a URL, the model's own
  // samples) gives other numbers, so the views wait for the live answer instead of showing the profile's.
  return (
    s.model.kind === 'default' &&
    s.calibration.kind === 'default' &&
    st.quant.status !== 'done' &&
    s.clipping === q.clip &&
    s.fp8Scaling === q.fp8Scaling &&
    s.calibrationTokens === p.profile.meta.calibration.tokens
  );
}

let generation = 0;
const inflight = { ranking: '', activations: false, detail: '' };

/** Opens a profile from a byte source; the views switch to it once its first answer is ready. */
async function openSource(
  origin: ProfileOrigin,
  name: string,
  source: () => Promise<ByteSource>,
  field: FileOrUrl | null = null,
): Promise<boolean> {
  const t0 = performance.now();
  const mine = ++generation;
  inflight.ranking = '';
  inflight.activations = false;
  inflight.detail = '';
  const modelKey = modelKeyOf(useExplorer.getState().settings);
  useExplorer.setState({ profile: { ...initialProfile(), status: 'loading', origin, name, modelKey } });
  try {
    const profile = await Profile.open(await source());
    if (mine !== generation) return false;
    // Ready: the views draw as each answer lands (weights first), not after all of them.
    patch('profile', { profile, status: 'done' });
    // The share link names a file or URL profile from the moment it shows.
    if (field) useExplorer.setState((s) => ({ settings: { ...s.settings, profile: field } }));
    await refreshProfile();
    if (mine !== generation) return false;
    patch('profile', { openMs: performance.now() - t0 });
    return true;
  } catch (e) {
    if (mine === generation)
      patch('profile', { status: 'error', profile: null, error: e instanceof Error ? e.message : String(e) });
    return false;
  }
}

/** The default model's shipped profile (fetched whole: 7 MB, cached offline by the service worker). */
export async function openDefaultProfile(): Promise<void> {
  const url = new URL(DEFAULT_PROFILE_PATH, document.baseURI).href;
  await openSource('default', 'sotu-llama.profile.safetensors', async () => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`the shipped profile ${url}: HTTP ${res.status}`);
    return bufferSource(new Uint8Array(await res.arrayBuffer()));
  });
}

/** A chosen or dropped file: read in pieces as the views need them (File.slice), never whole. */
export function fileSource(file: Blob): ByteSource {
  return {
    size: async () => file.size,
    read: async (offset, length) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
  };
}

export async function openProfileFile(file: File): Promise<boolean> {
  return openSource('file', file.name, async () => fileSource(file), { kind: 'file', name: file.name });
}

/** A URL read by HTTP Range requests (Hugging Face `resolve/` links serve them): header first, tensors on demand. */
export async function openProfileUrl(url: string): Promise<boolean> {
  return openSource(
    'url',
    url,
    async () =>
      rangeSource(url, (u, init) => fetch(u, init), {
        onRequest: () => useExplorer.setState((s) => ({ profile: { ...s.profile, requests: s.profile.requests + 1 } })),
      }),
    { kind: 'url', url },
  );
}

/** Whether a file is an FGMP profile (by content: a safetensors header with fgmp metadata). */
export async function isProfileFile(file: File): Promise<boolean> {
  if (file.size < 16) return false;
  try {
    const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
    const n = Number(new DataView(head.buffer).getBigUint64(0, true));
    if (!(n > 2 && n < 100 * 2 ** 20 && n + 8 <= file.size)) return false;
    const json = await file.slice(8, 8 + Math.min(n, 4096)).text();
    return json.startsWith('{') && json.includes('"fgmp.');
  } catch {
    return false;
  }
}

/** The profile's FP8 share of calibration activation blocks per tensorKey at a budget (null until loaded). */
export function profileActivationShares(p: ProfileState, activationBudget: number): Record<string, number> | null {
  if (!p.activations || !p.profile) return null;
  const shares = p.activations.shares(activationBudget);
  const out: Record<string, number> = {};
  p.profile.tensors.forEach((t, i) => (out[tensorKey(t.layer, t.proj)] = shares[i]));
  return out;
}

/** Forgets the profile (a model or a different profile takes its place). */
export function closeProfile(): void {
  generation++;
  useExplorer.setState((s) => ({ profile: initialProfile(), settings: { ...s.settings, profile: null } }));
}

/** Brings the profile's answers up to the current policy and activation budget. Safe to call any time. */
export async function refreshProfile(): Promise<void> {
  const st = useExplorer.getState();
  const p = st.profile;
  const profile = p.profile;
  if (!profile || p.status === 'error') return;
  const mine = generation;
  // The policies a profile answers (its stored scores, per-layer uniform and the seeded random baseline).
  const policy = st.settings.policy as PolicyKind;
  const answerable = (PROFILE_POLICIES as readonly string[]).includes(policy);
  const jobs: Promise<void>[] = [];
  const have = p.ranking?.policy ?? p.answerer?.policy;
  if (answerable && have !== policy && inflight.ranking !== policy) {
    inflight.ranking = policy;
    jobs.push(
      weightAnswers(profile, policy)
        .then(
          (r) => {
            if (mine === generation && useExplorer.getState().settings.policy === policy) patch('profile', r);
          },
          (e) => {
            if (mine === generation) patch('profile', { ranking: null, answerer: null, error: message(e) });
          },
        )
        .finally(() => {
          if (inflight.ranking === policy) inflight.ranking = '';
        }),
    );
  }
  if (!p.activations && !inflight.activations) {
    inflight.activations = true;
    // After the weight answer and one task: the heatmap paints before the activation scores are sorted.
    const weightsFirst = jobs.length ? jobs[0].then(() => new Promise((r) => setTimeout(r, 0))) : Promise.resolve();
    jobs.push(
      weightsFirst
        .then(() => activationAnswerer(profile))
        .then(
          (activations) => {
            if (mine === generation) patch('profile', { activations });
          },
          (e) => {
            if (mine === generation) patch('profile', { error: message(e) });
          },
        )
        .finally(() => {
          if (mine === generation) inflight.activations = false;
        }),
    );
  }
  const sel = st.settings.selection;
  const key = `${sel.layer}.${sel.projection}.${policy}`;
  if (p.detail?.key !== key && inflight.detail !== key) {
    inflight.detail = key;
    jobs.push(
      tensorDetail(profile, sel.layer, sel.projection, policy, p.ranking === null)
        .then(
          (d) => {
            if (mine === generation) patch('profile', { detail: { key, ...d } });
          },
          (e) => {
            if (mine === generation) patch('profile', { error: message(e) });
          },
        )
        .finally(() => {
          if (inflight.detail === key) inflight.detail = '';
        }),
    );
  }
  await Promise.all(jobs);
}

/**
 * One tensor's block grid from the profile: its clip ratios (one Range read) and, when the views do not hold
 * every score (histogram profiles), its block scores (one more). No weights: the grid says so.
 */
async function tensorDetail(
  profile: Profile,
  layer: number,
  proj: Projection,
  policy: PolicyKind,
  needScores: boolean,
): Promise<{ data: TensorDetail; scores: Float64Array | null; ms: number }> {
  const t0 = performance.now();
  const t = profile.tensorIndex(layer, proj);
  const d = profile.tensors[t];
  const stored = policy === 'uniform' || policy === 'random' ? 'fgmp' : policy;
  const [clipRatio, scores] = await Promise.all([
    profile.clipRatios(t),
    needScores ? profile.blockScores(t, stored as StoredPolicy) : Promise.resolve(null),
  ]);
  const none = new Float32Array(0);
  const data: TensorDetail = {
    layer,
    proj,
    rows: d.rows,
    cols: d.cols,
    weight: none,
    qLo: none,
    qHi: none,
    clipRatio,
    fisher: null,
    nvfp4TensorScale: NaN,
    fp8Scales: none,
    curve: null,
  };
  return { data, scores, ms: performance.now() - t0 };
}

async function weightAnswers(profile: Profile, policy: PolicyKind): Promise<Partial<ProfileState>> {
  const stored = policy === 'uniform' ? 'fgmp' : policy;
  const exact =
    profile.totalBlocks <= MAX_EXACT_BLOCKS &&
    (policy === 'random' || (profile.scoredPolicies as string[]).includes(stored));
  if (exact)
    return { ranking: { policy, ranking: await profileRanking(profile, policy) }, answerer: null, error: null };
  return {
    ranking: null,
    answerer: { policy, answerer: await WeightAnswerer.create(profile, policy, 'histogram') },
    error: null,
  };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

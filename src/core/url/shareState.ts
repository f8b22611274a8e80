// The explorer's shareable state and its URL form (DESIGN.md §1.4, §5): versioned, validated, pure.
// The URL carries everything that decides a number (model source, data, budgets, policy, clipping,
// FP8 scaling) plus what the user is looking at (selection, view). Decoding never throws: a malformed
// field falls back to its default and yields a clear error, so the app stays usable and can say why.
//
// Form (inside the location hash, after the page id):  #/explorer?v=1&model=file:stories260K.bin&...
//   v        schema version (this module writes and reads 1)
//   model    default | file:NAME | url:URL | random:stories15M[:SEED]
//   tok      (optional) file:NAME | url:URL  tokenizer beside a checkpoint that has none
//   calib    default | file:NAME | url:URL | seed:N   calibration text, or data-free: N seeds the model's
//            own samples (`fgmp run --calib-seed N`)
//   eval     default | file:NAME | url:URL | seed:N   evaluation text, or the model's samples (--eval-seed N)
//   ctok     calibration tokens (integer)      etok  evaluation tokens (integer)
//   budget   weight blocks in FP8, share in [0, 1]   abudget  activation blocks in FP8, share in [0, 1]
//   policy   fgmp | random | magnitude | unweighted | uniform
//   clip     fisher | mse | none               fp8  per-tensor | per-channel
//   sel      LAYER.PROJ[.BLOCK]                 view heatmap | blocks | clipping | energy | tradeoff
//   prof     (optional) 1:url:URL | 1:file:NAME  an FGMP profile the views answer from (field version 1
//            first, so the field can change on its own; a URL is asked about before it is fetched)
//   pin, bpw, ab  (optional) pins, a budget in bits per weight, A/B configuration B: instrumentFields.ts
//
// The state is in the core's vocabulary (src/core/pipeline/vocabulary.ts: PolicyKind, ClipMode,
// Fp8Scaling 'tensor' | 'row'); the URL keeps its own spellings, translated here only, at encode and decode
// (fp8=per-tensor | per-channel), so links already shared still open the same state.

import { PROJECTIONS, type Projection } from '../model/types';
import {
  INSTRUMENT_FIELDS,
  decodeInstrumentFields,
  encodeInstrumentFields,
  type InstrumentState,
} from './instrumentFields';
import {
  RANDOM_SHAPES,
  type ClipMode,
  type Fp8Scaling,
  type PolicyKind,
  type RandomShape,
} from '../pipeline/vocabulary';

export const SHARE_VERSION = 1;

/** The policies the explorer offers, in menu order (the core's 'error' policy is CLI-only). */
export const POLICIES: readonly PolicyKind[] = ['fgmp', 'random', 'magnitude', 'unweighted', 'uniform'];
/** The clipping modes, in menu order. */
export const CLIPPINGS: readonly ClipMode[] = ['fisher', 'mse', 'none'];
/** The URL's spelling of each FP8 scaling (fp8=…). */
export const FP8_SCALING_URL: Record<Fp8Scaling, string> = { tensor: 'per-tensor', row: 'per-channel' };
export const VIEWS = ['heatmap', 'blocks', 'clipping', 'energy', 'tradeoff'] as const;
export type ViewId = (typeof VIEWS)[number];

export type ModelSource =
  | { kind: 'default' }
  | { kind: 'file'; name: string }
  | { kind: 'url'; url: string }
  | { kind: 'random'; shape: RandomShape; seed: number };

export type FileOrUrl = { kind: 'file'; name: string } | { kind: 'url'; url: string };
/** The model's own samples with this seed: data-free calibration or evaluation (as --calib-seed / --eval-seed). */
export type SampledSource = { kind: 'samples'; seed: number };
/** Where calibration or evaluation tokens come from (the pipeline's DataSource is the tokens it gives). */
export type TextSource = { kind: 'default' } | FileOrUrl | SampledSource;

/** Seeds the URL and the pipeline accept (the CLI's --calib-seed takes any integer ≥ 0; 32 bits here). */
export const SEED_LIMITS = { min: 0, max: 0xffffffff } as const;

export interface Selection {
  layer: number;
  projection: Projection;
  /** Block id inside the tensor (row-major), or null for the whole tensor. */
  block: number | null;
}

export interface ShareState extends InstrumentState {
  model: ModelSource;
  tokenizer: FileOrUrl | null;
  calibration: TextSource;
  evaluation: TextSource;
  calibrationTokens: number;
  evaluationTokens: number;
  weightBudget: number;
  activationBudget: number;
  policy: PolicyKind;
  clipping: ClipMode;
  fp8Scaling: Fp8Scaling;
  selection: Selection;
  view: ViewId;
  /** An FGMP profile the views answer from (docs/profile-format.md); absent or null: none. */
  profile?: FileOrUrl | null;
}

/** Version of the prof= field's value ("1:url:…"). */
export const PROFILE_FIELD_VERSION = 1;

export const DEFAULT_SHARE_STATE: ShareState = {
  model: { kind: 'default' },
  tokenizer: null,
  calibration: { kind: 'default' },
  evaluation: { kind: 'default' },
  // 16 sequences of 256 tokens; 4,096 evaluation tokens (the CLI's default).
  calibrationTokens: 4096,
  evaluationTokens: 4096,
  // The paper's operating point: 30% of blocks in FP8 (DESIGN.md §3).
  weightBudget: 0.3,
  activationBudget: 0.3,
  policy: 'fgmp',
  clipping: 'fisher',
  fp8Scaling: 'tensor',
  selection: { layer: 0, projection: 'q', block: null },
  view: 'heatmap',
};

/**
 * Calibration and evaluation token counts: the one limit the share URL and the explorer's fields both
 * use (at least one calibration sequence of 256 tokens; at most 4M tokens).
 */
export const TOKEN_LIMITS = { min: 256, max: 1 << 22, step: 256 } as const;
export const MAX_TOKENS = TOKEN_LIMITS.max;
/** A budget is a share of blocks. */
export const BUDGET_LIMITS = { min: 0, max: 1 } as const;

/** "out of range (min–max)", the one wording for a number outside its limits. */
export function outOfRange(limits: { min: number; max: number }): string {
  return `out of range (${limits.min}–${limits.max})`;
}

/** One problem found while reading a share URL: which field, the raw value, and what is wrong. */
export interface ShareUrlError {
  field: string;
  value: string;
  message: string;
}

export interface DecodedShare {
  state: ShareState;
  errors: ShareUrlError[];
  /** True when the URL carried any state at all (a bare URL just opens the defaults). */
  present: boolean;
}

/** Budgets travel with 4 decimals (0.01% of blocks); finer steps are not distinguishable in the UI. */
export function roundBudget(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function sourceToString(s: ModelSource | TextSource | FileOrUrl): string {
  switch (s.kind) {
    case 'default':
      return 'default';
    case 'file':
      return `file:${s.name}`;
    case 'url':
      return `url:${s.url}`;
    case 'random':
      return `random:${s.shape}:${s.seed}`;
    case 'samples':
      return `seed:${s.seed}`;
  }
}

/** The query string (without '?') for a state; parameters in a fixed order so equal states give equal URLs. */
export function encodeShareQuery(state: ShareState): string {
  const p = new URLSearchParams();
  p.set('v', String(SHARE_VERSION));
  p.set('model', sourceToString(state.model));
  if (state.tokenizer) p.set('tok', sourceToString(state.tokenizer));
  p.set('calib', sourceToString(state.calibration));
  p.set('eval', sourceToString(state.evaluation));
  p.set('ctok', String(state.calibrationTokens));
  p.set('etok', String(state.evaluationTokens));
  p.set('budget', String(roundBudget(state.weightBudget)));
  p.set('abudget', String(roundBudget(state.activationBudget)));
  // policy=layerwise: whole tensors chosen over FGMP's ranking (state: policy fgmp, layerwise true).
  p.set('policy', state.layerwise ? 'layerwise' : state.policy);
  p.set('clip', state.clipping);
  p.set('fp8', FP8_SCALING_URL[state.fp8Scaling]);
  const s = state.selection;
  p.set('sel', `${s.layer}.${s.projection}${s.block === null ? '' : `.${s.block}`}`);
  p.set('view', state.view);
  if (state.profile) p.set('prof', `${PROFILE_FIELD_VERSION}:${sourceToString(state.profile)}`);
  encodeInstrumentFields(p, state);
  return p.toString();
}

/** Full share URL: base (origin + path) + '#/explorer?' + query. */
export function encodeShareUrl(base: string, state: ShareState): string {
  return `${base.replace(/#.*$/, '')}#/explorer?${encodeShareQuery(state)}`;
}

const KNOWN = new Set([
  'v',
  'model',
  'tok',
  'calib',
  'eval',
  'ctok',
  'etok',
  'prof',
  'budget',
  'abudget',
  'policy',
  'clip',
  'fp8',
  'sel',
  'view',
  ...INSTRUMENT_FIELDS,
]);

function parseFileOrUrl(field: string, raw: string, errors: ShareUrlError[]): FileOrUrl | null {
  if (raw.startsWith('file:')) {
    const name = raw.slice(5);
    if (!name || /[\\/]/.test(name)) {
      errors.push({
        field,
        value: raw,
        message: `${field}: a file source needs a plain file name after "file:" (no folders)`,
      });
      return null;
    }
    return { kind: 'file', name };
  }
  if (raw.startsWith('url:')) {
    const url = raw.slice(4);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      errors.push({ field, value: raw, message: `${field}: "${url}" is not an absolute URL` });
      return null;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      errors.push({ field, value: raw, message: `${field}: only http(s) URLs can be fetched, got ${parsed.protocol}` });
      return null;
    }
    return { kind: 'url', url };
  }
  errors.push({
    field,
    value: raw,
    message: `${field}: expected ${field === 'calib' || field === 'eval' ? '"default", "file:NAME", "url:URL" or "seed:N"' : '"file:NAME" or "url:URL"'}, got "${raw}"`,
  });
  return null;
}

function parseTextSource(field: string, raw: string, errors: ShareUrlError[]): TextSource | null {
  if (raw === 'default') return { kind: 'default' };
  if (raw.startsWith('seed:')) {
    const t = raw.slice(5);
    const seed = Number(t);
    if (!/^\d+$/.test(t) || !(seed >= SEED_LIMITS.min && seed <= SEED_LIMITS.max)) {
      errors.push({
        field,
        value: raw,
        message: /^\d+$/.test(t)
          ? `${field}: seed ${t} is ${outOfRange(SEED_LIMITS)}`
          : `${field}: expected a whole-number seed after "seed:" (e.g. seed:1), got "${t}"`,
      });
      return null;
    }
    return { kind: 'samples', seed };
  }
  return parseFileOrUrl(field, raw, errors);
}

function parseModelSource(raw: string, errors: ShareUrlError[]): ModelSource | null {
  if (raw === 'default') return { kind: 'default' };
  if (raw.startsWith('random:')) {
    const [, shape, seedText] = raw.split(':');
    if (!(RANDOM_SHAPES as readonly string[]).includes(shape)) {
      errors.push({
        field: 'model',
        value: raw,
        message: `model: unknown random shape "${shape}" (known: ${RANDOM_SHAPES.join(', ')})`,
      });
      return null;
    }
    const seed = seedText === undefined ? 1 : Number(seedText);
    if (!Number.isInteger(seed) || seed < 1 || seed > 0xffffffff) {
      errors.push({
        field: 'model',
        value: raw,
        message: `model: random seed must be an integer from 1 to 4294967295, got "${seedText}"`,
      });
      return null;
    }
    return { kind: 'random', shape: shape as RandomShape, seed };
  }
  return parseFileOrUrl('model', raw, errors);
}

/** A number as people write it (sign, decimals, exponent): 1e308 and -0.5 are numbers, out of range. */
const NUMBER_SYNTAX = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

function parseShare(field: string, raw: string, errors: ShareUrlError[]): number | null {
  // Number('') is 0 and Number('0x1') is 1, neither is a budget: the syntax first.
  if (!NUMBER_SYNTAX.test(raw)) {
    errors.push({
      field,
      value: raw,
      message: `${field}: "${raw}" is not a number (expected a share of blocks from 0 to 1, e.g. 0.3)`,
    });
    return null;
  }
  const x = Number(raw);
  if (!(x >= BUDGET_LIMITS.min && x <= BUDGET_LIMITS.max)) {
    errors.push({
      field,
      value: raw,
      message: `${field}: ${raw} is ${outOfRange(BUDGET_LIMITS)} (a share of blocks: 0.3 means 30% in FP8)`,
    });
    return null;
  }
  return roundBudget(x);
}

function parseTokens(field: string, raw: string, errors: ShareUrlError[]): number | null {
  if (!/^\d+$/.test(raw)) {
    errors.push({
      field,
      value: raw,
      message: `${field}: expected a whole number of tokens from ${TOKEN_LIMITS.min} to ${TOKEN_LIMITS.max}, got "${raw}"`,
    });
    return null;
  }
  const n = Number(raw);
  if (n < TOKEN_LIMITS.min || n > TOKEN_LIMITS.max) {
    errors.push({ field, value: raw, message: `${field}: ${raw} tokens is ${outOfRange(TOKEN_LIMITS)}` });
    return null;
  }
  return n;
}

function parseEnum<T extends string>(
  field: string,
  raw: string,
  allowed: readonly T[],
  errors: ShareUrlError[],
): T | null {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  errors.push({
    field,
    value: raw,
    message: `${field}: unknown value "${raw}" (expected one of ${allowed.join(', ')})`,
  });
  return null;
}

function parseSelection(raw: string, errors: ShareUrlError[]): Selection | null {
  const m = /^(\d{1,4})\.([a-z]+)(?:\.(\d{1,9}))?$/.exec(raw);
  if (!m || !(PROJECTIONS as readonly string[]).includes(m[2])) {
    errors.push({
      field: 'sel',
      value: raw,
      message: `sel: expected LAYER.PROJECTION[.BLOCK] with PROJECTION one of ${PROJECTIONS.join(', ')} (e.g. 2.q or 2.q.15), got "${raw}"`,
    });
    return null;
  }
  return { layer: Number(m[1]), projection: m[2] as Projection, block: m[3] === undefined ? null : Number(m[3]) };
}

/**
 * Reads a query string (with or without '?'). Unknown parameters, a missing or foreign version and
 * malformed values are reported; every field that is missing or malformed keeps its default.
 */
export function decodeShareQuery(query: string): DecodedShare {
  const p = new URLSearchParams(query.replace(/^\?/, ''));
  const errors: ShareUrlError[] = [];
  const state: ShareState = structuredClone(DEFAULT_SHARE_STATE);
  const keys = [...p.keys()];
  if (keys.length === 0) return { state, errors, present: false };

  const v = p.get('v');
  if (v === null) {
    errors.push({
      field: 'v',
      value: '',
      message: `the link has no version (v=${SHARE_VERSION}); it was not made by this app's share button`,
    });
  } else if (v !== String(SHARE_VERSION)) {
    errors.push({
      field: 'v',
      value: v,
      message: /^\d+$/.test(v)
        ? `the link uses share-URL version ${v}; this app reads version ${SHARE_VERSION}`
        : `v: "${v}" is not a version number (expected ${SHARE_VERSION})`,
    });
    // A foreign version's fields may mean something else: keep the defaults.
    return { state, errors, present: true };
  }
  for (const k of keys)
    if (!KNOWN.has(k)) errors.push({ field: k, value: p.get(k) ?? '', message: `unknown parameter "${k}" (ignored)` });
  for (const k of KNOWN)
    if (p.getAll(k).length > 1)
      errors.push({
        field: k,
        value: p.getAll(k).join(','),
        message: `${k} is given more than once; the first value is used`,
      });

  const get = (k: string) => p.get(k);
  let raw: string | null;
  if ((raw = get('model')) !== null) state.model = parseModelSource(raw, errors) ?? state.model;
  if ((raw = get('tok')) !== null) state.tokenizer = parseFileOrUrl('tok', raw, errors);
  if ((raw = get('calib')) !== null) state.calibration = parseTextSource('calib', raw, errors) ?? state.calibration;
  if ((raw = get('eval')) !== null) state.evaluation = parseTextSource('eval', raw, errors) ?? state.evaluation;
  if ((raw = get('ctok')) !== null)
    state.calibrationTokens = parseTokens('ctok', raw, errors) ?? state.calibrationTokens;
  if ((raw = get('etok')) !== null) state.evaluationTokens = parseTokens('etok', raw, errors) ?? state.evaluationTokens;
  if ((raw = get('budget')) !== null) state.weightBudget = parseShare('budget', raw, errors) ?? state.weightBudget;
  if ((raw = get('abudget')) !== null)
    state.activationBudget = parseShare('abudget', raw, errors) ?? state.activationBudget;
  if ((raw = get('policy')) !== null) {
    const policy = parseEnum('policy', raw, [...POLICIES, 'layerwise' as const], errors) ?? state.policy;
    state.policy = policy === 'layerwise' ? 'fgmp' : policy;
    if (policy === 'layerwise') state.layerwise = true;
  }
  if ((raw = get('clip')) !== null) state.clipping = parseEnum('clip', raw, CLIPPINGS, errors) ?? state.clipping;
  if ((raw = get('fp8')) !== null) {
    const spelled = parseEnum('fp8', raw, Object.values(FP8_SCALING_URL), errors);
    const scaling = (Object.keys(FP8_SCALING_URL) as Fp8Scaling[]).find((k) => FP8_SCALING_URL[k] === spelled);
    state.fp8Scaling = scaling ?? state.fp8Scaling;
  }
  if ((raw = get('sel')) !== null) state.selection = parseSelection(raw, errors) ?? state.selection;
  if ((raw = get('view')) !== null) state.view = parseEnum('view', raw, VIEWS, errors) ?? state.view;
  if ((raw = get('prof')) !== null) state.profile = parseProfileField(raw, errors);
  decodeInstrumentFields(p, state, errors);
  return { state, errors, present: true };
}

function parseProfileField(raw: string, errors: ShareUrlError[]): FileOrUrl | null {
  const m = /^(\d+):(.*)$/s.exec(raw);
  if (!m || Number(m[1]) !== PROFILE_FIELD_VERSION) {
    errors.push({
      field: 'prof',
      value: raw,
      message: m
        ? `prof: field version ${m[1]}; this app reads version ${PROFILE_FIELD_VERSION} (the profile is not opened)`
        : `prof: expected "${PROFILE_FIELD_VERSION}:url:URL" or "${PROFILE_FIELD_VERSION}:file:NAME", got "${raw}"`,
    });
    return null;
  }
  return parseFileOrUrl('prof', m[2], errors);
}

/** Reads the query part of a location hash such as "#/explorer?v=1&budget=0.3". */
export function decodeShareHash(hash: string): DecodedShare {
  const q = hash.indexOf('?');
  return decodeShareQuery(q < 0 ? '' : hash.slice(q + 1));
}

/** Files the recipient of a link must provide (the sender opened them locally). */
export function filesToAsk(
  state: ShareState,
): { role: 'model' | 'tokenizer' | 'calibration' | 'evaluation'; name: string }[] {
  const out: { role: 'model' | 'tokenizer' | 'calibration' | 'evaluation'; name: string }[] = [];
  if (state.model.kind === 'file') out.push({ role: 'model', name: state.model.name });
  if (state.tokenizer?.kind === 'file') out.push({ role: 'tokenizer', name: state.tokenizer.name });
  if (state.calibration.kind === 'file') out.push({ role: 'calibration', name: state.calibration.name });
  if (state.evaluation.kind === 'file') out.push({ role: 'evaluation', name: state.evaluation.name });
  return out;
}

/** A key for everything that decides the perplexity of a configuration (selection and view excluded). */
export function configurationKey(state: ShareState): string {
  return [
    sourceToString(state.model),
    state.tokenizer ? sourceToString(state.tokenizer) : '-',
    sourceToString(state.calibration),
    sourceToString(state.evaluation),
    state.calibrationTokens,
    state.evaluationTokens,
    roundBudget(state.weightBudget),
    roundBudget(state.activationBudget),
    state.layerwise ? 'layerwise' : state.policy,
    state.clipping,
    FP8_SCALING_URL[state.fp8Scaling],
    state.pins ?? '',
  ].join('|');
}

// The share URL's expert-instrument fields (issue 14), each versioned on its own ("1:" first) so that it can
// change without the whole link's version:
//   pin    1:SPEC                         whole tensors pinned, spelled as the CLI's --pin SPEC (0.q=fp8,*.down=nvfp4)
//   bpw    1:X                            the weight budget given as bits per weight (the share follows from it)
//   ab     1:POLICY:BUDGET:CLIP[:SPEC]    configuration B of the A/B comparison (A is the link's own configuration)
// A malformed field is reported and left out; the rest of the link still opens.
import { formatPins, parsePins } from '../fgmp/pins';
import { EVAL_POLICIES, type EvalPolicy } from '../pipeline/config';
import type { ClipMode } from '../pipeline/vocabulary';

export const INSTRUMENT_FIELD_VERSION = 1;
export const INSTRUMENT_FIELDS = ['pin', 'bpw', 'ab'] as const;

/** Configuration B of the A/B comparison: what differs from A (data, scaling and activations are shared). */
export interface AbConfig {
  policy: EvalPolicy;
  weightBudget: number;
  clipping: ClipMode;
  /** Pins as the CLI's --pin SPEC ('' = none). */
  pins: string;
}

export interface InstrumentState {
  /**
   * The layerwise baseline (whole tensors, chosen over FGMP's block scores at FGMP's bits): policy stays
   * 'fgmp' (its ranking), the URL spells it policy=layerwise.
   */
  layerwise?: boolean;
  /** Pins as the CLI's --pin SPEC ('' or absent = none). */
  pins?: string;
  /** Weight budget in bits per weight (null or absent: the budget is the FP8 share). */
  bpw?: number | null;
  ab?: AbConfig | null;
}

interface FieldError {
  field: string;
  value: string;
  message: string;
}

const CLIPS: readonly ClipMode[] = ['fisher', 'mse', 'none'];

/** The canonical spelling of a pin spec (throws on a malformed one, with parsePins' message). */
export const canonicalPins = (spec: string): string => formatPins(parsePins(spec));

export function encodeInstrumentFields(p: URLSearchParams, s: InstrumentState): void {
  const v = INSTRUMENT_FIELD_VERSION;
  if (s.pins) p.set('pin', `${v}:${s.pins}`);
  if (s.bpw !== undefined && s.bpw !== null) p.set('bpw', `${v}:${s.bpw}`);
  if (s.ab) {
    const b = s.ab;
    p.set(
      'ab',
      `${v}:${b.policy}:${Math.round(b.weightBudget * 10000) / 10000}:${b.clipping}${b.pins ? `:${b.pins}` : ''}`,
    );
  }
}

/** The value after "1:", or null (reported) when the field's version is not this app's. */
function versioned(field: string, raw: string, form: string, errors: FieldError[]): string | null {
  const m = /^(\d+):(.*)$/s.exec(raw);
  if (m && Number(m[1]) === INSTRUMENT_FIELD_VERSION) return m[2];
  errors.push({
    field,
    value: raw,
    message: m
      ? `${field}: field version ${m[1]}; this app reads version ${INSTRUMENT_FIELD_VERSION} (ignored)`
      : `${field}: expected "${INSTRUMENT_FIELD_VERSION}:${form}", got "${raw}"`,
  });
  return null;
}

function pinsOrError(field: string, raw: string, spec: string, errors: FieldError[]): string | null {
  try {
    return canonicalPins(spec);
  } catch (e) {
    errors.push({ field, value: raw, message: `${field}: ${(e as Error).message}` });
    return null;
  }
}

/** Reads the instrument fields present in p into out; each malformed one is reported and left out. */
export function decodeInstrumentFields(p: URLSearchParams, out: InstrumentState, errors: FieldError[]): void {
  let raw = p.get('pin');
  if (raw !== null) {
    const spec = versioned('pin', raw, 'LAYER.PROJ=fp8|nvfp4,…', errors);
    const pins = spec === null ? null : pinsOrError('pin', raw, spec, errors);
    if (pins !== null) out.pins = pins;
  }
  raw = p.get('bpw');
  if (raw !== null) {
    const x = versioned('bpw', raw, 'BITS (e.g. 5.2)', errors);
    if (x !== null) {
      if (/^\d+(?:\.\d+)?$/.test(x) && Number(x) > 0 && Number(x) <= 64) out.bpw = Number(x);
      else
        errors.push({ field: 'bpw', value: raw, message: `bpw: "${x}" is not a number of bits per weight in (0, 64]` });
    }
  }
  raw = p.get('ab');
  if (raw !== null) {
    const x = versioned('ab', raw, 'POLICY:BUDGET:CLIP[:PINS]', errors);
    if (x !== null) out.ab = parseAb(raw, x, errors);
  }
}

function parseAb(raw: string, x: string, errors: FieldError[]): AbConfig | null {
  const [policy, budget, clipping, ...rest] = x.split(':');
  const bad = (message: string) => (errors.push({ field: 'ab', value: raw, message: `ab: ${message}` }), null);
  if (!(EVAL_POLICIES as readonly string[]).includes(policy) || policy === 'error')
    return bad(`unknown policy "${policy}"`);
  if (!/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(budget ?? '') || Number(budget) > 1)
    return bad(`budget "${budget}" is not a share of blocks in [0, 1]`);
  if (!(CLIPS as readonly string[]).includes(clipping)) return bad(`unknown clipping "${clipping}"`);
  const pins = rest.length ? pinsOrError('ab', raw, rest.join(':'), errors) : '';
  if (pins === null) return null;
  return { policy: policy as EvalPolicy, weightBudget: Number(budget), clipping: clipping as ClipMode, pins };
}

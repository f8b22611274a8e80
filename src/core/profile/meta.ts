// Parsing and validation of a profile's metadata (docs/profile-format.md §2), with messages that say which
// key is wrong and how. The writer validates with the same rules before it writes anything.
import { PROJECTIONS } from '../model/types.ts';
import { CLIP_MODES } from '../fgmp/quantize.ts';
import { ProfileFormatError } from './container.ts';
import { META, PROFILE_FORMAT, PROFILE_VERSION, STORED_POLICIES, tensorTable, type ProfileMeta } from './format.ts';

const fail = (msg: string): never => {
  throw new ProfileFormatError(msg);
};

function json(metadata: Record<string, string>, key: string, optional = false): unknown {
  const raw = metadata[key];
  if (raw === undefined) return optional ? undefined : fail(`metadata key "${key}" is missing`);
  try {
    return JSON.parse(raw);
  } catch {
    return fail(`metadata "${key}" is not JSON`);
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown, min = 0): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
const isNum = (x: unknown): x is number => typeof x === 'number';

function need(cond: boolean, msg: string): void {
  if (!cond) fail(msg);
}

/** Checks a metadata object (parsed or about to be written). */
export function validateMeta(m: ProfileMeta): void {
  need(m.version === PROFILE_VERSION, `unsupported fgmp.version ${m.version} (this reader knows ${PROFILE_VERSION})`);
  need(isObj(m.model) && typeof m.model.name === 'string', 'fgmp.model needs a name');
  const c = m.model.config;
  need(isObj(c), 'fgmp.model has no config');
  for (const k of ['dim', 'hiddenDim', 'nLayers', 'nHeads', 'nKvHeads', 'vocabSize', 'maxSeqLen'] as const)
    need(isInt(c[k], 1), `fgmp.model config.${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  need(
    c.dim % c.nHeads === 0 && c.nHeads % c.nKvHeads === 0,
    `fgmp.model config: dim ${c.dim}, nHeads ${c.nHeads}, nKvHeads ${c.nKvHeads} do not divide`,
  );
  need(Array.isArray(m.tensors), 'fgmp.tensors is not an array');
  const want = tensorTable(c);
  need(
    m.tensors.length === want.length,
    `fgmp.tensors lists ${m.tensors.length} tensors, the config implies ${want.length} (${c.nLayers} layers x 7)`,
  );
  m.tensors.forEach((t, i) => {
    const w = want[i];
    need(
      isObj(t) && t.layer === w.layer && t.proj === w.proj && t.rows === w.rows && t.cols === w.cols,
      `fgmp.tensors[${i}] is ${JSON.stringify(t)}, expected ${JSON.stringify(w)} (canonical order: layer, then ${PROJECTIONS.join(', ')})`,
    );
  });
  const q = m.quantization;
  need(isObj(q) && q.blockSize === 16, 'fgmp.quantization.blockSize must be 16');
  need(
    (CLIP_MODES as readonly string[]).includes(q.clip),
    `fgmp.quantization.clip must be one of ${CLIP_MODES.join(', ')}, got ${JSON.stringify(q.clip)}`,
  );
  need(
    Array.isArray(q.clipGrid) &&
      q.clipGrid.length >= 1 &&
      q.clipGrid.length <= 256 &&
      q.clipGrid.every((a) => isNum(a) && a > 0 && a <= 1),
    'fgmp.quantization.clipGrid must be 1..256 ratios in (0, 1]',
  );
  need(
    q.fp8Scaling === 'tensor' || q.fp8Scaling === 'row',
    `fgmp.quantization.fp8Scaling must be tensor or row, got ${JSON.stringify(q.fp8Scaling)}`,
  );
  need(isInt(q.randomSeed), 'fgmp.quantization.randomSeed must be a non-negative integer');
  need(
    Array.isArray(m.policies) && m.policies.every((p) => (STORED_POLICIES as readonly string[]).includes(p)),
    `fgmp.policies must list some of ${STORED_POLICIES.join(', ')}`,
  );
  need(new Set(m.policies).size === m.policies.length, 'fgmp.policies lists a policy twice');
  const h = m.histogram;
  need(
    isObj(h) && isInt(h.mantissaBits) && h.mantissaBits <= 20,
    'fgmp.histogram.mantissaBits must be an integer in 0..20',
  );
  need(
    isInt(h.keyMin) && isInt(h.bins, 1) && h.bins <= 1 << 20 && h.keyMin + h.bins <= 2048 << h.mantissaBits,
    'fgmp.histogram keyMin/bins out of range',
  );
  const cal = m.calibration;
  need(
    isObj(cal) && isInt(cal.tokens) && isInt(cal.sequences) && isInt(cal.seqLen),
    'fgmp.calibration needs integer tokens, sequences and seqLen',
  );
  const a = m.activations;
  need(
    isObj(a) && isInt(a.tokens) && (a.scores === 'full' || a.scores === 'histogram'),
    'fgmp.activations needs integer tokens and scores "full" or "histogram"',
  );
  if (m.evaluation !== null) {
    const e = m.evaluation;
    need(
      isObj(e) && isInt(e.tokens) && isInt(e.positions) && Array.isArray(e.points),
      'fgmp.evaluation needs integer tokens, positions and a points array',
    );
    e.points.forEach((p, i) =>
      need(
        isObj(p) &&
          typeof p.policy === 'string' &&
          isNum(p.budget) &&
          (p.actBudget === null || isNum(p.actBudget)) &&
          typeof p.clip === 'string' &&
          isNum(p.ppl) &&
          isNum(p.meanNll),
        `fgmp.evaluation.points[${i}] needs policy, budget, actBudget, clip, ppl and meanNll`,
      ),
    );
  }
}

/** Metadata strings → ProfileMeta, validated. */
export function parseMeta(metadata: Record<string, string>): ProfileMeta {
  const format = metadata[META.format];
  if (format !== PROFILE_FORMAT)
    fail(
      format === undefined
        ? `not an FGMP profile (no "${META.format}" metadata)`
        : `not an FGMP profile ("${META.format}" is "${format}")`,
    );
  const vRaw = metadata[META.version];
  const version = Number(vRaw);
  if (vRaw === undefined || !Number.isInteger(version)) fail(`metadata "${META.version}" is missing or not an integer`);
  if (version !== PROFILE_VERSION) fail(`unsupported fgmp.version ${vRaw} (this reader knows ${PROFILE_VERSION})`);
  const meta = {
    version,
    model: json(metadata, META.model),
    tokenizer: json(metadata, META.tokenizer),
    tensors: json(metadata, META.tensors),
    quantization: json(metadata, META.quantization),
    policies: json(metadata, META.policies),
    histogram: json(metadata, META.histogram),
    calibration: json(metadata, META.calibration),
    activations: json(metadata, META.activations),
    evaluation: json(metadata, META.evaluation, true) ?? null,
  } as ProfileMeta;
  validateMeta(meta);
  return meta;
}

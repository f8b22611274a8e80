// fgmp run: calibrate a model (Fisher of weights and activation channels), quantize it with one FGMP
// configuration (weight policy and budget, clipping, activation budget) and report per-layer FP8 shares,
// perplexity, weight memory and simulated energy. The shared option handling lives here; sweep.ts uses it.
import { existsSync, readFileSync } from 'node:fs';
import {
  engineOption,
  engineOptions,
  engineUsage,
  numberOption,
  parse,
  table,
  UsageError,
  type CliIO,
  type Command,
} from '../args.ts';
import { loadModelFromArgs } from './info.ts';
import { profileRunUsage, runFromProfile, wantsProfile } from '../profileRun.ts';
import { isRandomSpec } from '../randomModel.ts';
import { defaultModelFiles, modelArgument, tokenizerFor, type ModelArgument } from '../defaultModel.ts';
import {
  CLIP_MODES,
  POLICY_KINDS,
  RANK_MODES,
  type ClipMode,
  type PolicyKind,
  type RankMode,
} from '../../core/fgmp/index.ts';
import { parsePins, unmatchedPins, type Pin } from '../../core/fgmp/pins.ts';
import { answerBitsPerWeight } from '../../core/fgmp/bitsBudget.ts';
import { EVAL_POLICIES, type EvalPolicy } from '../../core/pipeline/config.ts';
import { describeSource, setupSession, type DataSource } from '../../core/pipeline/setup.ts';
import type { FgmpSession } from '../../core/pipeline/evaluate.ts';
import type { EvalResult, Fp8Scaling, TauGranularity } from '../../core/pipeline/config.ts';
import type { NonFiniteCount } from '../../core/model/loaders/common.ts';

/** Options shared by run and sweep. */
export const commonOptions = {
  tokenizer: { type: 'string' },
  calib: { type: 'string' },
  eval: { type: 'string' },
  'calib-tokens': { type: 'string' },
  'eval-tokens': { type: 'string' },
  'calib-seed': { type: 'string' },
  'eval-seed': { type: 'string' },
  'calib-ids': { type: 'string' },
  'eval-ids': { type: 'string' },
  seqs: { type: 'string' },
  'seq-len': { type: 'string' },
  'act-budget': { type: 'string' },
  'act-tau': { type: 'string' },
  'fp8-scaling': { type: 'string' },
  pin: { type: 'string' },
  kl: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  ...engineOptions,
  json: { type: 'boolean' },
} as const;

export const commonUsage =
  '[--tokenizer TOK] [--calib FILE | --calib-seed N | --calib-ids FILE] [--eval FILE | --eval-seed N | --eval-ids FILE] [--calib-tokens N | --seqs N] [--seq-len N] ' +
  `[--eval-tokens N] [--act-tau global|layer] [--fp8-scaling tensor|row] [--pin LAYER.PROJ=fp8|nvfp4,...] [--kl on|off] ` +
  `[--seed N] [--threads N] ${engineUsage} [--json]\n` +
  'MODEL omitted (or "default"): the embedded default model with its tokenizer and its calibration/evaluation text.\n' +
  'defaults: without --calib/--eval the model samples its own data (seeds 1 and 2); 64 sequences x min(256, context) ' +
  'calibration tokens; 4096 evaluation tokens in windows of context-1 after BOS; clip fisher; activations float32 (--act-budget none)';

type Values = {
  [K in keyof typeof commonOptions]?: (typeof commonOptions)[K]['type'] extends 'boolean' ? boolean : string;
};

export function intOption(v: string | undefined, name: string, fallback?: number, min = 1): number | undefined {
  if (v === undefined) return fallback;
  const n = numberOption(v, name);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

export function shareOption(v: string, name: string): number {
  const n = numberOption(v, name);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} must be a share in [0, 1] (e.g. 0.1 for 10 %), got "${v}"`);
  return n;
}

/** A ranking policy (what a profile or a ranking holds). */
export function policyOption(v: string, name = 'policy'): PolicyKind {
  if (!(POLICY_KINDS as readonly string[]).includes(v))
    throw new UsageError(`--${name}: unknown policy "${v}" (use ${POLICY_KINDS.join(', ')})`);
  return v as PolicyKind;
}

/** A policy run and sweep evaluate: the ranking policies and the layerwise baseline. */
export function evalPolicyOption(v: string, name = 'policy'): EvalPolicy {
  if (!(EVAL_POLICIES as readonly string[]).includes(v))
    throw new UsageError(`--${name}: unknown policy "${v}" (use ${EVAL_POLICIES.join(', ')})`);
  return v as EvalPolicy;
}

/** --pin: whole tensors forced to one precision (fgmp/pins.ts); "" or absent: none. */
export function pinsOption(v: string | undefined): Pin[] {
  if (v === undefined) return [];
  try {
    return parsePins(v);
  } catch (e) {
    throw new UsageError(`--pin: ${(e as Error).message}`);
  }
}

/** --kl on|off: KL statistics against the float32 model (on by default; they double the evaluation). */
export function klOption(v: string | undefined): boolean {
  if (v === undefined || v === 'on') return true;
  if (v === 'off') return false;
  throw new UsageError(`--kl must be on or off, got "${v}"`);
}

export function clipOption(v: string, name = 'clip'): ClipMode {
  if (!(CLIP_MODES as readonly string[]).includes(v))
    throw new UsageError(`--${name}: unknown clip mode "${v}" (use ${CLIP_MODES.join(', ')})`);
  return v as ClipMode;
}

/** --rank clipped|unclipped: which NVFP4 values the block scores use (fgmp/prepare.ts RankMode). */
export function rankOption(v: string | undefined): RankMode {
  const r = v ?? 'clipped';
  if (!(RANK_MODES as readonly string[]).includes(r))
    throw new UsageError(`--rank: unknown rank mode "${r}" (use ${RANK_MODES.join(', ')})`);
  return r as RankMode;
}

/** --act-budget: a share, "none" (float32 activations) or, where allowed, "same" (equal to the weight budget). */
export function actBudgetOption(v: string | undefined, allowSame: boolean): number | null | 'same' {
  if (v === undefined || v === 'none') return null;
  if (v === 'same') {
    if (!allowSame) throw new UsageError('--act-budget same applies to fgmp sweep only');
    return 'same';
  }
  return shareOption(v, 'act-budget');
}

function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageError(`${what} not found: ${path}`);
  // CRLF files (the WikiText-2 copy) are read as LF text.
  const text = readFileSync(path, 'utf8').replace(/\r\n/g, '\n');
  if (text.trim() === '') throw new UsageError(`${what} ${path} is empty`);
  return text;
}

/** A token id file: one sequence per line, ids separated by spaces or commas (blank lines and # comments skipped). */
export function readIdSequences(path: string, what: string): number[][] {
  if (!existsSync(path)) throw new UsageError(`${what} not found: ${path}`);
  const out: number[][] = [];
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      const body = line.replace(/#.*/, '').trim();
      if (body === '') return;
      out.push(
        body.split(/[\s,]+/).map((t) => {
          if (!/^\d+$/.test(t))
            throw new UsageError(`${what} ${path}, line ${i + 1}: "${t.slice(0, 40)}" is not a token id`);
          return Number(t);
        }),
      );
    });
  if (out.length === 0) throw new UsageError(`${what} ${path} holds no sequences`);
  return out;
}

function dataSource(
  file: string | undefined,
  seed: string | undefined,
  what: 'calib' | 'eval',
  defaultSeed: number,
  ids?: string,
): DataSource {
  if ([file, seed, ids].filter((x) => x !== undefined).length > 1)
    throw new UsageError(`give --${what} FILE, --${what}-seed N or --${what}-ids FILE: one of them, not both`);
  if (ids !== undefined)
    return {
      kind: 'ids',
      sequences: readIdSequences(ids, `${what === 'calib' ? 'calibration' : 'evaluation'} ids`),
      name: ids,
    };
  if (file !== undefined)
    return {
      kind: 'text',
      text: readText(file, `${what === 'calib' ? 'calibration' : 'evaluation'} text`),
      name: file,
    };
  return { kind: 'samples', seed: intOption(seed, `${what}-seed`, defaultSeed, 0)! };
}

export interface Prepared {
  session: FgmpSession;
  modelName: string;
  describe: string;
  fp8Scaling: Fp8Scaling;
  actTau: TauGranularity;
  float32Ppl: number;
  /** NaN and ±Inf weights of the loaded model (its load warnings, printed to stderr, name the tensors). */
  weightsNonFinite: NonFiniteCount;
}

/** Loads the model, reads the data options, calibrates. Progress goes to stderr. */
export async function prepareFromArgs(modelArg: ModelArgument, values: Values, io: CliIO): Promise<Prepared> {
  const { modelPath } = modelArg;
  if (modelArg.isDefault) {
    // The default model comes with its text: calibrate and evaluate on it unless told otherwise.
    values = {
      ...values,
      tokenizer: tokenizerFor(modelArg, values.tokenizer),
      calib:
        values.calib ??
        (values['calib-seed'] === undefined && values['calib-ids'] === undefined
          ? defaultModelFiles.calibrationText
          : undefined),
      eval:
        values.eval ??
        (values['eval-seed'] === undefined && values['eval-ids'] === undefined
          ? defaultModelFiles.evaluationText
          : undefined),
    };
  }
  if (values.tokenizer && !existsSync(values.tokenizer))
    throw new UsageError(`tokenizer not found: ${values.tokenizer}`);
  if (!isRandomSpec(modelPath) && !existsSync(modelPath)) throw new UsageError(`model not found: ${modelPath}`);
  const fp8Scaling = (values['fp8-scaling'] ?? 'tensor') as Fp8Scaling;
  if (fp8Scaling !== 'tensor' && fp8Scaling !== 'row')
    throw new UsageError(`--fp8-scaling must be tensor or row, got "${fp8Scaling}"`);
  const actTau = (values['act-tau'] ?? 'global') as TauGranularity;
  if (actTau !== 'global' && actTau !== 'layer')
    throw new UsageError(`--act-tau must be global or layer, got "${actTau}"`);
  const threads = intOption(values.threads, 'threads', 1)!;
  const engine = engineOption(values.engine);
  const calibration = dataSource(values.calib, values['calib-seed'], 'calib', 1, values['calib-ids']);
  const evaluation = dataSource(values.eval, values['eval-seed'], 'eval', 2, values['eval-ids']);
  const { model, report } = loadModelFromArgs(modelPath, values.tokenizer);
  for (const w of report.warnings) io.stderr(`warning: ${w}\n`);
  const seqLen = intOption(values['seq-len'], 'seq-len', Math.min(256, model.config.maxSeqLen), 2)!;
  if (seqLen > model.config.maxSeqLen)
    throw new UsageError(`--seq-len ${seqLen} exceeds the model's context ${model.config.maxSeqLen}`);
  const calibTokens = intOption(values['calib-tokens'], 'calib-tokens');
  let seqs = intOption(values.seqs, 'seqs');
  if (calibTokens !== undefined) {
    const fromTokens = Math.ceil(calibTokens / seqLen);
    if (seqs !== undefined && seqs !== fromTokens)
      throw new UsageError(
        `--calib-tokens ${calibTokens} and --seqs ${seqs} disagree (${calibTokens} tokens = ${fromTokens} sequences of ${seqLen})`,
      );
    seqs = fromTokens;
  }
  seqs ??= 64;
  const evalTokens = intOption(values['eval-tokens'], 'eval-tokens', 4096)!;
  let lastQuarter = 0;
  const { session } = await setupSession(model, {
    calibration,
    evaluation,
    sequences: seqs,
    seqLen,
    evalTokens,
    runtime: { threads, ...engine },
    session: { seed: intOption(values.seed, 'seed', 0, 0) },
    onProgress: (pr) => {
      // A line at each quarter: tokens, rate, time left.
      const quarter = Math.floor((4 * pr.done) / pr.total);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        io.stderr(
          `  calibration ${pr.done}/${pr.total} tokens, ${pr.rate.toFixed(0)} tokens/s, ${pr.etaSeconds.toFixed(0)} s left\n`,
        );
      }
    },
    onEstimate: (e) =>
      io.stderr(
        `calibration: ${e.sequences} x ${e.seqLen} tokens from ${describeSource(calibration)}; Fisher ${(e.fisherBytes / 1e6).toFixed(2)} MB; about ${e.estimatedSeconds.toFixed(0)} s\n`,
      ),
  });
  const f32 = await session.evaluateFloat32();
  const describe =
    `model ${modelPath}; calibration ${session.calibration.sequences} x ${session.calibration.seqLen} tokens from ${describeSource(calibration)} ` +
    `(${session.calibration.seconds.toFixed(1)} s); evaluation ${session.evalTokens} tokens of ${describeSource(evaluation)}, float32 ppl ${f32.ppl.toFixed(4)}`;
  io.stderr(describe + '\n');
  return {
    session,
    modelName: modelPath,
    describe,
    fp8Scaling,
    actTau,
    float32Ppl: f32.ppl,
    weightsNonFinite: report.nonFinite,
  };
}

/** The JSON object of one configuration (the issue's fields first, then the rest). */
export function resultJson(
  r: EvalResult,
  float32Ppl: number,
  weightsNonFinite?: NonFiniteCount,
): Record<string, unknown> {
  return {
    policy: r.policy,
    budget: r.budget,
    actBudget: r.actBudget,
    clip: r.clip,
    ppl: r.ppl,
    fp8Share: r.fp8Share,
    layers: r.layers.map((l) => ({ layer: l.layer, proj: l.proj, fp8Share: l.fp8Share, actFp8Share: l.actFp8Share })),
    weightBits: r.weightBits,
    energy: r.energy,
    kl: r.kl?.kl ?? null,
    klMedian: r.kl?.klMedian ?? null,
    klP99: r.kl?.klP99 ?? null,
    top1: r.kl?.top1 ?? null,
    dpMean: r.kl?.dpMean ?? null,
    dpRms: r.kl?.dpRms ?? null,
    pins: r.pins,
    meanNll: r.meanNll,
    tokens: r.tokens,
    actFp8Share: r.actFp8Share,
    fp8Scaling: r.fp8Scaling,
    actTau: r.actTau,
    // JSON has no infinities: ±Infinity (no / every block FP8) as strings.
    tau: Array.isArray(r.tau) ? r.tau.map(jsonNumber) : r.tau === null ? null : jsonNumber(r.tau),
    weightBitsPerWeight: r.weightBitsPerWeight,
    weightMemoryVsFp8: r.weightMemoryVsFp8,
    float32Ppl,
    // Predictions whose NLL was not finite (a count; left as it was, run --profile gives the same field).
    nonFinite: r.nonFinite,
    // The loaded weights' NaN and ±Inf, counted apart.
    ...(weightsNonFinite ? { weightsNonFinite } : {}),
  };
}

const jsonNumber = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

export const pct = (x: number | null) => (x === null ? 'f32' : `${(100 * x).toFixed(1)}%`);

const usage =
  `fgmp run [MODEL] --budget P [--act-budget P|none] [--clip ${CLIP_MODES.join('|')}] [--rank clipped|unclipped] [--policy ${EVAL_POLICIES.join('|')}] [--bpw X] ${commonUsage}` +
  `\n   or: ${profileRunUsage}`;

const command: Command = {
  name: 'run',
  summary: 'calibrate, quantize with one FGMP configuration, report FP8 shares, perplexity, memory and energy',
  usage,
  async run(argv, io) {
    // --profile FILE: answered from the profile alone (src/cli/profileRun.ts).
    if (wantsProfile(argv)) return runFromProfile(argv, io);
    const { values, positionals } = parse(
      argv,
      {
        ...commonOptions,
        budget: { type: 'string' },
        bpw: { type: 'string' },
        clip: { type: 'string' },
        rank: { type: 'string' },
        policy: { type: 'string' },
      },
      usage,
    );
    const modelArg = modelArgument(positionals, usage);
    if (values.budget === undefined && values.bpw === undefined)
      throw new UsageError(
        `--budget is required (share of weight blocks in FP8, e.g. 0.1), or give --bpw X (bits per weight)\nusage: ${usage}`,
      );
    if (values.budget !== undefined && values.bpw !== undefined)
      throw new UsageError('give --budget or --bpw, not both');
    const bpw = values.bpw === undefined ? null : numberOption(values.bpw, 'bpw');
    const pins = pinsOption(values.pin);
    if (bpw !== null && pins.length > 0)
      throw new UsageError('give --bpw or --pin, not both (a bits budget is answered without pins)');
    const kl = klOption(values.kl);
    const actBudget = actBudgetOption(values['act-budget'], false) as number | null;
    const clip = clipOption(values.clip ?? 'fisher');
    const rank = rankOption(values.rank);
    const policy = evalPolicyOption(values.policy ?? 'fgmp');
    if (bpw !== null && policy === 'layerwise')
      throw new UsageError('--bpw applies to the ranking policies, not to layerwise');
    const p = await prepareFromArgs(modelArg, values, io);
    try {
      let budget: number;
      if (bpw !== null) {
        // The largest FP8 share whose bits per weight fit X (fgmp/bitsBudget.ts), in this policy's own order.
        const ranking = p.session.ranking(policy as Exclude<EvalPolicy, 'layerwise'>, clip, p.fp8Scaling, rank);
        let answer;
        try {
          answer = answerBitsPerWeight(ranking, bpw, { fp8Scale: p.fp8Scaling, metadata: 'always' });
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        budget = answer.k / ranking.totalBlocks;
        io.stderr(
          `--bpw ${bpw}: ${answer.k} of ${ranking.totalBlocks} blocks in FP8, ${answer.bitsPerWeight.toFixed(4)} bits per weight\n`,
        );
      } else budget = shareOption(values.budget!, 'budget');
      if (pins.length > 0) {
        const unmatched = unmatchedPins(p.session.ranking('fgmp', clip, p.fp8Scaling), pins);
        if (unmatched.length)
          throw new UsageError(
            `--pin matches no tensor of this model: ${unmatched.map((x) => `${x.layer}.${x.proj}`).join(', ')}`,
          );
      }
      let r;
      try {
        r = await p.session.evaluate({
          policy,
          budget,
          actBudget,
          clip,
          fp8Scaling: p.fp8Scaling,
          actTau: p.actTau,
          pins,
          kl,
          rank,
        });
      } catch (e) {
        if (/pins|budget/.test((e as Error).message)) throw new UsageError((e as Error).message);
        throw e;
      }
      if (values.json) {
        io.stdout(
          JSON.stringify({
            ...resultJson(r, p.float32Ppl, p.weightsNonFinite),
            rank,
            ...(bpw !== null ? { bpw } : {}),
          }) + '\n',
        );
        return 0;
      }
      io.stdout(`${p.describe}\n`);
      io.stdout(
        `policy ${policy}, weight budget ${pct(budget)}, activation budget ${actBudget === null ? 'none (float32)' : pct(actBudget)}, clip ${clip}\n\n`,
      );
      io.stdout(
        table(
          ['layer', 'proj', 'weight FP8', 'act FP8'],
          r.layers.map((l) => [l.layer, l.proj, pct(l.fp8Share), pct(l.actFp8Share)]),
        ),
      );
      io.stdout(
        `\nweight FP8 share ${pct(r.fp8Share)}; activation FP8 share ${pct(r.actFp8Share)} (evaluation tokens)\n` +
          `perplexity ${r.ppl.toFixed(4)} (float32 ${p.float32Ppl.toFixed(4)}), mean NLL ${r.meanNll.toFixed(5)} over ${r.tokens} tokens\n` +
          (r.kl
            ? `vs float32: KL ${r.kl.kl.toExponential(3)} (median ${r.kl.klMedian.toExponential(3)}, p99 ${r.kl.klP99.toExponential(3)}), ` +
              `top-1 agreement ${pct(r.kl.top1)}, Δp mean ${r.kl.dpMean.toExponential(3)}, RMS ${r.kl.dpRms.toExponential(3)}\n`
            : '') +
          `weight memory ${(r.weightBits / 8 / 1024).toFixed(1)} KiB, ${r.weightBitsPerWeight.toFixed(3)} bits/weight, ${pct(r.weightMemoryVsFp8)} of all-FP8\n` +
          `energy ${(r.energy.total / 1e6).toFixed(3)} µJ per evaluation pass of the linear layers: ${pct(r.energy.vsFp8)} of all-FP8, ${pct(r.energy.vsNvfp4)} of all-NVFP4\n`,
      );
      return 0;
    } finally {
      await p.session.dispose();
    }
  },
};

export default command;

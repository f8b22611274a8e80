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
import { CLIP_MODES, POLICY_KINDS, type ClipMode, type PolicyKind } from '../../core/fgmp/index.ts';
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
  seqs: { type: 'string' },
  'seq-len': { type: 'string' },
  'act-budget': { type: 'string' },
  'act-tau': { type: 'string' },
  'fp8-scaling': { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  ...engineOptions,
  json: { type: 'boolean' },
} as const;

export const commonUsage =
  '[--tokenizer TOK] [--calib FILE | --calib-seed N] [--eval FILE | --eval-seed N] [--calib-tokens N | --seqs N] [--seq-len N] ' +
  `[--eval-tokens N] [--act-tau global|layer] [--fp8-scaling tensor|row] [--seed N] [--threads N] ${engineUsage} [--json]\n` +
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

export function policyOption(v: string, name = 'policy'): PolicyKind {
  if (!(POLICY_KINDS as readonly string[]).includes(v))
    throw new UsageError(`--${name}: unknown policy "${v}" (use ${POLICY_KINDS.join(', ')})`);
  return v as PolicyKind;
}

export function clipOption(v: string, name = 'clip'): ClipMode {
  if (!(CLIP_MODES as readonly string[]).includes(v))
    throw new UsageError(`--${name}: unknown clip mode "${v}" (use ${CLIP_MODES.join(', ')})`);
  return v as ClipMode;
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

function dataSource(
  file: string | undefined,
  seed: string | undefined,
  what: 'calib' | 'eval',
  defaultSeed: number,
): DataSource {
  if (file !== undefined && seed !== undefined)
    throw new UsageError(`give --${what} FILE or --${what}-seed N, not both`);
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
      calib: values.calib ?? (values['calib-seed'] === undefined ? defaultModelFiles.calibrationText : undefined),
      eval: values.eval ?? (values['eval-seed'] === undefined ? defaultModelFiles.evaluationText : undefined),
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
  const calibration = dataSource(values.calib, values['calib-seed'], 'calib', 1);
  const evaluation = dataSource(values.eval, values['eval-seed'], 'eval', 2);
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

/** The JSON object of one configuration (the fields first, then the rest). */
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
  `fgmp run [MODEL] --budget P [--act-budget P|none] [--clip fisher|mse|none] [--policy ${POLICY_KINDS.join('|')}] ${commonUsage}` +
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
      { ...commonOptions, budget: { type: 'string' }, clip: { type: 'string' }, policy: { type: 'string' } },
      usage,
    );
    const modelArg = modelArgument(positionals, usage);
    if (values.budget === undefined)
      throw new UsageError(`--budget is required (share of weight blocks in FP8, e.g. 0.1)\nusage: ${usage}`);
    const budget = shareOption(values.budget, 'budget');
    const actBudget = actBudgetOption(values['act-budget'], false) as number | null;
    const clip = clipOption(values.clip ?? 'fisher');
    const policy = policyOption(values.policy ?? 'fgmp');
    const p = await prepareFromArgs(modelArg, values, io);
    try {
      const r = await p.session.evaluate({
        policy,
        budget,
        actBudget,
        clip,
        fp8Scaling: p.fp8Scaling,
        actTau: p.actTau,
      });
      if (values.json) {
        io.stdout(JSON.stringify(resultJson(r, p.float32Ppl, p.weightsNonFinite)) + '\n');
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

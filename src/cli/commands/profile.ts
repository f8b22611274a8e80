// fgmp profile: calibrate a model and write its FGMP profile (docs/profile-format.md): every stored policy's
// block scores, clip ratios, activation Fisher and calibration activation scores, histograms, and, with
// --budgets, an evaluation sweep (every policy at each budget, weights only and weights+activations).
// The calibration is the one `fgmp run` does with the same options, so `fgmp run --profile` answers equal
// `fgmp run` on the model.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineOption, engineOptions, engineUsage, parse, UsageError, type Command } from '../args.ts';
import { defaultModelFiles, modelArgument, tokenizerFor } from '../defaultModel.ts';
import { DEFAULT_MODEL } from '../../core/data/index.ts';
import { fileSink } from '../profileFile.ts';
import { loadModelFromArgs } from './info.ts';
import { clipOption, intOption, policyOption, readIdSequences, resultJson, shareOption } from './run.ts';
import {
  calibrate,
  encodeTextPrefix,
  idSequences,
  sampledSequences,
  sampledStream,
  textSequences,
  type TokenSequences,
} from '../../core/pipeline/calibrate.ts';
import { FgmpSession } from '../../core/pipeline/evaluate.ts';
import { sequenceWindows, slidingWindows } from '../../core/eval/windows.ts';
import { LlamaEngine } from '../../core/runtime/engine.ts';
import { POLICY_KINDS, type PolicyKind } from '../../core/fgmp/index.ts';
import {
  STORED_POLICIES,
  writeModelProfile,
  type EvaluationInfo,
  type StoredPolicy,
  type SweepPoint,
} from '../../core/profile/index.ts';

const usage =
  `fgmp profile [MODEL] [--tokenizer TOK] (--calib FILE | --calib-seed N | --calib-ids FILE) [--calib-tokens N | --seqs N] [--seq-len N] ` +
  `[--eval FILE | --eval-seed N | --eval-ids FILE] [--eval-tokens N] [--budgets LIST] [--act-budgets LIST|same|none] [--sweep-policies LIST] ` +
  `[--clip fisher|mse|none] [--fp8-scaling tensor|row] [--act-scores full|histogram] [--seed N] [--threads N] ${engineUsage} --out FILE [--json]\n` +
  'The calibration is the one fgmp run does with the same options (MODEL omitted: the default model with its texts). ' +
  '--budgets adds an evaluation sweep: every policy (or --sweep-policies) at each budget, weights only and with activations at ' +
  '--act-budgets (default "same": the weight budget).';

const options = {
  tokenizer: { type: 'string' },
  calib: { type: 'string' },
  'calib-seed': { type: 'string' },
  'calib-ids': { type: 'string' },
  'eval-ids': { type: 'string' },
  'calib-tokens': { type: 'string' },
  seqs: { type: 'string' },
  'seq-len': { type: 'string' },
  eval: { type: 'string' },
  'eval-seed': { type: 'string' },
  'eval-tokens': { type: 'string' },
  budgets: { type: 'string' },
  'act-budgets': { type: 'string' },
  'sweep-policies': { type: 'string' },
  clip: { type: 'string' },
  'fp8-scaling': { type: 'string' },
  'act-scores': { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  ...engineOptions,
} as const;

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

function readText(p: string, what: string): { text: string; sha: string } {
  if (!existsSync(p)) throw new UsageError(`${what} not found: ${p}`);
  const text = readFileSync(p, 'utf8').replace(/\r\n/g, '\n');
  if (text.trim() === '') throw new UsageError(`${what} ${p} is empty`);
  return { text, sha: sha256(text) };
}

function shareList(v: string, name: string): number[] {
  const xs = v.split(',').map((s) => shareOption(s.trim(), name));
  if (xs.length === 0) throw new UsageError(`--${name} needs at least one share`);
  return xs;
}

function packageVersions(): Record<string, string> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
  };
  const out: Record<string, string> = { 'fgmp-explorer': pkg.version, node: process.versions.node };
  for (const d of ['onnxruntime-web', 'onnxruntime-node']) if (pkg.dependencies?.[d]) out[d] = pkg.dependencies[d];
  return out;
}

const command: Command = {
  name: 'profile',
  summary: 'calibrate a model and write its FGMP profile (scores, clip ratios, activation statistics, optional sweep)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, options, usage);
    const modelArg = modelArgument(positionals, usage);
    if (!values.out) throw new UsageError(`--out FILE is required\nusage: ${usage}`);
    const v = { ...values };
    const sourceNames = new Map<string, string>();
    const nameOf = (p: string) => sourceNames.get(p) ?? p;
    if (modelArg.isDefault) {
      v.tokenizer = tokenizerFor(modelArg, v.tokenizer);
      if (v.calib === undefined && v['calib-seed'] === undefined && v['calib-ids'] === undefined)
        v.calib = defaultModelFiles.calibrationText;
      if (
        v.eval === undefined &&
        v['eval-seed'] === undefined &&
        v['eval-ids'] === undefined &&
        v.budgets !== undefined
      )
        v.eval = defaultModelFiles.evaluationText;
      // Sources named relative to the repository (DEFAULT_MODEL's paths): the shipped profile names no machine path.
      sourceNames.set(defaultModelFiles.calibrationText, DEFAULT_MODEL.calibrationText);
      sourceNames.set(defaultModelFiles.evaluationText, DEFAULT_MODEL.evaluationText);
    }
    const given = (...xs: (string | undefined)[]) => xs.filter((x) => x !== undefined).length;
    if (given(v.calib, v['calib-seed'], v['calib-ids']) > 1)
      throw new UsageError('give --calib FILE, --calib-seed N or --calib-ids FILE: one of them, not both');
    if (given(v.eval, v['eval-seed'], v['eval-ids']) > 1)
      throw new UsageError('give --eval FILE, --eval-seed N or --eval-ids FILE: one of them, not both');
    if (given(v.calib, v['calib-seed'], v['calib-ids']) === 0)
      throw new UsageError(`give --calib FILE, --calib-seed N or --calib-ids FILE\nusage: ${usage}`);
    const clip = clipOption(v.clip ?? 'fisher');
    const fp8Scaling = v['fp8-scaling'] ?? 'tensor';
    if (fp8Scaling !== 'tensor' && fp8Scaling !== 'row')
      throw new UsageError(`--fp8-scaling must be tensor or row, got "${fp8Scaling}"`);
    const actStorage = v['act-scores'] ?? 'full';
    if (actStorage !== 'full' && actStorage !== 'histogram')
      throw new UsageError(`--act-scores must be full or histogram, got "${actStorage}"`);
    const budgets = v.budgets === undefined ? [] : shareList(v.budgets, 'budgets');
    const actSpec = v['act-budgets'] ?? 'same';
    const sweepPolicies: PolicyKind[] = v['sweep-policies']
      ? v['sweep-policies'].split(',').map((p) => policyOption(p.trim(), 'sweep-policies'))
      : [...POLICY_KINDS];
    const threads = intOption(v.threads, 'threads', 1)!;
    const runtime = { threads, ...engineOption(v.engine) };
    const seed = intOption(v.seed, 'seed', 0, 0)!;
    if (v.tokenizer && !existsSync(v.tokenizer)) throw new UsageError(`tokenizer not found: ${v.tokenizer}`);
    const t0 = performance.now();
    const { model } = loadModelFromArgs(modelArg.modelPath, v.tokenizer);
    const c = model.config;
    const seqLen = intOption(v['seq-len'], 'seq-len', Math.min(256, c.maxSeqLen), 2)!;
    if (seqLen > c.maxSeqLen) throw new UsageError(`--seq-len ${seqLen} exceeds the model's context ${c.maxSeqLen}`);
    // As fgmp run: --calib-tokens N means ceil(N / seqLen) sequences; default 64.
    const calibTokens = intOption(v['calib-tokens'], 'calib-tokens');
    let seqs = intOption(v.seqs, 'seqs');
    if (calibTokens !== undefined) {
      const n = Math.ceil(calibTokens / seqLen);
      if (seqs !== undefined && seqs !== n)
        throw new UsageError(`--calib-tokens ${calibTokens} and --seqs ${seqs} disagree (${n} sequences of ${seqLen})`);
      seqs = n;
    }
    seqs ??= 64;
    const needTok = (what: string) => {
      if (!model.tokenizer) throw new UsageError(`${what} needs a tokenizer: give --tokenizer`);
      return model.tokenizer;
    };
    let calibSeqs: TokenSequences;
    let textSha: string | null = null;
    if (v.calib !== undefined) {
      const t = readText(v.calib, 'calibration text');
      textSha = t.sha;
      calibSeqs = textSequences(needTok('calibration text'), t.text, seqs, seqLen, nameOf(v.calib));
    } else if (v['calib-ids'] !== undefined) {
      const ids = readIdSequences(v['calib-ids'], 'calibration ids');
      try {
        calibSeqs = idSequences(ids, c.vocabSize, c.maxSeqLen, v['calib-ids']);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    } else calibSeqs = sampledSequences(model, seqs, seqLen, intOption(v['calib-seed'], 'calib-seed', 1, 0)!);
    io.stderr(`calibration: ${calibSeqs.count} x ${calibSeqs.seqLen} tokens from ${calibSeqs.source}\n`);
    const engine = LlamaEngine.forModel(model, runtime);
    let calib;
    try {
      calib = await calibrate(engine, calibSeqs);
    } finally {
      await engine.dispose();
    }
    // Evaluation stream (only for the sweep).
    const evalTokens = intOption(v['eval-tokens'], 'eval-tokens', 4096)!;
    let evalStream: number[] = Array.from(calibSeqs.tokens.subarray(1, 3));
    let evalInfo: Omit<EvaluationInfo, 'points' | 'float32Ppl' | 'float32MeanNll'> | null = null;
    let windows: ReturnType<typeof sequenceWindows> | undefined;
    if (budgets.length > 0) {
      if (v['eval-ids'] !== undefined) {
        // Each line scored alone (inputs s[0:n−1], targets s[1:n]), as fgmp run --eval-ids.
        const ids = readIdSequences(v['eval-ids'], 'evaluation ids');
        windows = sequenceWindows(ids);
        evalStream = ids.flat();
        evalInfo = { source: v['eval-ids'], textSha256: null, seed: null, tokens: 0, positions: 0 };
      } else if (v.eval !== undefined) {
        const t = readText(v.eval, 'evaluation text');
        if (v.calib !== undefined && t.sha === textSha)
          throw new UsageError('calibration and evaluation text are the same: give different files');
        evalStream = encodeTextPrefix(needTok('evaluation text'), t.text, evalTokens).slice(0, evalTokens);
        evalInfo = { source: nameOf(v.eval), textSha256: t.sha, seed: null, tokens: 0, positions: 0 };
      } else {
        const es = intOption(v['eval-seed'], 'eval-seed', 2, 0)!;
        evalStream = sampledStream(model, evalTokens, es).slice(0, evalTokens);
        evalInfo = { source: `model samples (seed ${es})`, textSha256: null, seed: es, tokens: 0, positions: 0 };
      }
      if (!windows && evalStream.length < evalTokens)
        throw new UsageError(`${evalInfo.source} gives only ${evalStream.length} tokens, ${evalTokens} asked`);
    }
    const session = new FgmpSession(model, calib, calibSeqs, evalStream, { runtime, seed, windows });
    try {
      const activationScores = await session.calibrationScores();
      let evaluation: EvaluationInfo | null = null;
      if (evalInfo) {
        const f32 = await session.evaluateFloat32();
        const points: SweepPoint[] = [];
        for (const policy of sweepPolicies)
          for (const budget of budgets) {
            const acts: (number | null)[] = [
              null,
              ...(actSpec === 'none' ? [] : actSpec === 'same' ? [budget] : shareList(actSpec, 'act-budgets')),
            ];
            for (const actBudget of acts) {
              const r = await session.evaluate({ policy, budget, actBudget, clip, fp8Scaling });
              points.push(resultJson(r, f32.ppl) as unknown as SweepPoint);
            }
          }
        const positions = slidingWindows(evalStream, { window: c.maxSeqLen - 1, bos: 1 }).reduce(
          (s, w) => s + w.tokens.length,
          0,
        );
        evaluation = {
          ...evalInfo,
          tokens: f32.tokens,
          positions,
          float32Ppl: f32.ppl,
          float32MeanNll: f32.meanNll,
          points,
        };
        io.stderr(
          `sweep: ${points.length} configurations on ${f32.tokens} tokens of ${evalInfo.source}, float32 ppl ${f32.ppl.toFixed(4)}\n`,
        );
      }
      const modelFile = modelArg.modelPath;
      const modelSha = existsSync(modelFile) && statSync(modelFile).isFile() ? sha256(readFileSync(modelFile)) : null;
      const tokSha = v.tokenizer ? sha256(readFileSync(v.tokenizer)) : null;
      const sink = fileSink(values.out);
      let meta;
      try {
        meta = await writeModelProfile(
          {
            model,
            modelName: path.basename(modelFile),
            modelSha256: modelSha,
            tokenizer: v.tokenizer
              ? { name: path.basename(v.tokenizer), sha256: tokSha }
              : model.tokenizer
                ? { name: 'embedded', sha256: null }
                : null,
            calibration: calib,
            calibrationInfo: {
              tokens: calib.tokens,
              sequences: calib.sequences,
              seqLen: calib.seqLen,
              source: calibSeqs.source,
              textSha256: textSha,
              seed:
                v['calib-seed'] !== undefined || (v.calib === undefined && v['calib-ids'] === undefined)
                  ? intOption(v['calib-seed'], 'calib-seed', 1, 0)!
                  : null,
              meanNll: calib.meanNll,
              seconds: calib.seconds,
              engine: runtime.engine === 'native' ? 'onnxruntime-node' : 'onnxruntime-web wasm',
              threads,
              producer: `fgmp-explorer ${packageVersions()['fgmp-explorer']}`,
              versions: packageVersions(),
            },
            activationScores,
            activationTokens: calib.tokens,
            clip,
            fp8Scaling,
            randomSeed: seed,
            policies: STORED_POLICIES as readonly StoredPolicy[],
            activationStorage: actStorage,
            evaluation,
          },
          sink,
        );
      } finally {
        sink.close();
      }
      const summary = {
        out: values.out,
        bytes: sink.bytesWritten(),
        tensors: meta.tensors.length,
        blocks: meta.tensors.reduce((s, t) => s + t.rows * Math.ceil(t.cols / 16), 0),
        policies: meta.policies,
        calibration: meta.calibration,
        sweepPoints: evaluation?.points.length ?? 0,
        seconds: (performance.now() - t0) / 1000,
      };
      if (values.json) io.stdout(JSON.stringify(summary) + '\n');
      else
        io.stdout(
          `wrote ${summary.out}: ${summary.bytes} bytes, ${summary.tensors} tensors, ${summary.blocks} blocks, policies ${summary.policies.join(', ')}, ` +
            `${summary.sweepPoints} sweep points (${summary.seconds.toFixed(1)} s)\n`,
        );
      return 0;
    } finally {
      await session.dispose();
    }
  },
};

export default command;

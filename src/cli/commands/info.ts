// fgmp info MODEL [--tokenizer TOK] [--json]: what a checkpoint holds — format, config, parameter
// counts, tokenizer, and a table of tensors with their stored dtype and value statistics.
import { modelArgument, tokenizerFor } from '../defaultModel.ts';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadCheckpoint, loadTokenizerFile, type InputFile } from '../../core/model/loaders/index.ts';
import type { LoadedCheckpoint } from '../../core/model/loaders/common.ts';
import { namedTensors } from '../../core/model/loaders/common.ts';
import { parameterCount, type LlamaModel } from '../../core/model/types.ts';
import { engineOptions, engineUsage, parse, table, UsageError, type Command } from '../args.ts';
import {
  configOnlyCheckpoint,
  configParameterBreakdown,
  isConfigOnly,
  isRandomSpec,
  loadRandomModel,
  randomSpecArgument,
} from '../randomModel.ts';

const usage = `fgmp info [MODEL] [--tokenizer TOK] ${engineUsage} [--json]   (MODEL: llama2.c .bin, .gguf, model.safetensors, a Hugging Face model folder, random:SHAPE[:SEED], or omitted for the default model)`;

const HF_FOLDER_FILES =
  /^(config\.json|tokenizer\.json|tokenizer_config\.json|model\.safetensors\.index\.json|.*\.safetensors)$/;

function readInput(p: string): InputFile {
  const b = readFileSync(p);
  return { name: path.basename(p), bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
}

/** The files of MODEL: one file, or the relevant files of a folder (HF layout). */
export function modelFiles(modelPath: string): InputFile[] {
  let st;
  try {
    st = statSync(modelPath);
  } catch {
    throw new UsageError(`model not found: ${modelPath}`);
  }
  if (!st.isDirectory()) {
    const files = [readInput(modelPath)];
    // A lone model.safetensors picks up config.json and tokenizer files from its folder.
    if (modelPath.endsWith('.safetensors')) {
      const dir = path.dirname(modelPath);
      for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
        try {
          files.push(readInput(path.join(dir, f)));
        } catch {
          /* absent: the loader says what it needs */
        }
      }
    }
    return files;
  }
  const names = readdirSync(modelPath).filter((n) => HF_FOLDER_FILES.test(n));
  if (names.length === 0) throw new UsageError(`${modelPath} is a folder without config.json or .safetensors files`);
  return names.sort().map((n) => readInput(path.join(modelPath, n)));
}

export function loadModelFromArgs(modelPath: string, tokenizerPath?: string): LoadedCheckpoint {
  // random:SHAPE[:SEED] (src/cli/randomModel.ts) is a model made here, not read from a file.
  const loaded = isRandomSpec(modelPath) ? loadRandomModel(modelPath) : loadCheckpoint(modelFiles(modelPath));
  if (tokenizerPath)
    loaded.model.tokenizer = loadTokenizerFile(readInput(tokenizerPath), loaded.model.config.vocabSize);
  return loaded;
}

export interface TensorStats {
  min: number;
  max: number;
  meanAbs: number;
  nanCount: number;
}

export function tensorStats(a: Float32Array): TensorStats {
  let min = Infinity;
  let max = -Infinity;
  let sumAbs = 0;
  let nan = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v !== v) {
      nan++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sumAbs += Math.abs(v);
  }
  const n = a.length - nan;
  return { min: n ? min : NaN, max: n ? max : NaN, meanAbs: n ? sumAbs / n : NaN, nanCount: nan };
}

export function parameterBreakdown(model: LlamaModel): Record<string, number> {
  const c = model.config;
  const t = namedTensors(model);
  const sum = (pred: (name: string) => boolean) =>
    [...t].filter(([n]) => pred(n)).reduce((a, [, x]) => a + x.length, 0);
  return {
    total: parameterCount(c),
    embedding: c.vocabSize * c.dim,
    classifier: c.sharedClassifier ? 0 : c.vocabSize * c.dim,
    attention: sum((n) => /\.(q|k|v|o)$/.test(n)),
    feedForward: sum((n) => /\.(gate|up|down)$/.test(n)),
    norms: sum((n) => /Norm$/.test(n)),
  };
}

const fmt = (x: number) =>
  Number.isNaN(x)
    ? 'NaN'
    : x === 0
      ? '0'
      : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3
        ? x.toExponential(3)
        : x.toPrecision(4);

const command: Command = {
  name: 'info',
  summary: 'show a checkpoint: format, config, parameter counts, tokenizer, tensor table',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      { tokenizer: { type: 'string' }, ...engineOptions, json: { type: 'boolean' } },
      usage,
    );
    const modelArg = modelArgument(positionals, usage);
    const t0 = performance.now();
    // A config-only random shape (random:llama2-7b): config, counts and shapes, no weights and so no statistics.
    const spec = isRandomSpec(modelArg.modelPath) ? randomSpecArgument(modelArg.modelPath) : null;
    const configOnly = spec !== null && isConfigOnly(spec);
    const { model, report } = configOnly
      ? configOnlyCheckpoint(spec)
      : loadModelFromArgs(modelArg.modelPath, tokenizerFor(modelArg, values.tokenizer));
    const loadMs = performance.now() - t0;
    const arrays = configOnly ? new Map<string, Float32Array>() : namedTensors(model);
    const noStats = { min: NaN, max: NaN, meanAbs: NaN, nanCount: 0 };
    const tensors = report.tensors.map((t) => ({ ...t, ...(configOnly ? noStats : tensorStats(arrays.get(t.name)!)) }));
    const params = configOnly ? configParameterBreakdown(spec.config) : parameterBreakdown(model);
    const tok = model.tokenizer;
    const tokenizer = tok ? { vocabSize: tok.vocabSize, bosId: tok.bosId, eosId: tok.eosId } : null;

    if (values.json) {
      const clean = (x: number) => (Number.isFinite(x) ? x : null);
      io.stdout(
        JSON.stringify(
          {
            name: report.name,
            format: report.format,
            variant: report.variant,
            bytes: report.bytes,
            config: model.config,
            parameters: params,
            tokenizer,
            nanCount: report.nanCount,
            warnings: report.warnings,
            tensors: tensors.map((t) => ({ ...t, min: clean(t.min), max: clean(t.max), meanAbs: clean(t.meanAbs) })),
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }

    const c = model.config;
    const lines = [
      `${report.name}: ${report.variant}, ${report.bytes.toLocaleString('en-US')} bytes, loaded in ${loadMs.toFixed(0)} ms`,
      '',
      'config',
      table(
        ['field', 'value'],
        [
          ['dim', c.dim],
          ['hidden dim', c.hiddenDim],
          ['layers', c.nLayers],
          ['heads', c.nHeads],
          ['kv heads', c.nKvHeads],
          ['head size', c.dim / c.nHeads],
          ['vocab', c.vocabSize],
          ['max seq len', c.maxSeqLen],
          ['rope theta', c.ropeTheta],
          ['norm eps', c.normEps],
          ['shared classifier', String(c.sharedClassifier)],
        ],
      ),
      'parameters',
      table(
        ['group', 'count'],
        Object.entries(params).map(([k, v]) => [k, v.toLocaleString('en-US')]),
      ),
      `tokenizer: ${tokenizer ? `${tokenizer.vocabSize} tokens (bos ${tokenizer.bosId}, eos ${tokenizer.eosId})` : 'none (give one with --tokenizer)'}`,
      '',
      table(
        ['tensor', 'stored as', 'shape', 'dtype', 'numel', 'min', 'max', 'mean|x|', 'NaN'],
        tensors.map((t) => [
          t.name,
          t.storedName,
          t.shape.join('x'),
          t.dtype,
          t.numel.toLocaleString('en-US'),
          fmt(t.min),
          fmt(t.max),
          fmt(t.meanAbs),
          t.nanCount,
        ]),
      ),
    ];
    for (const w of report.warnings) lines.push(`warning: ${w}`);
    io.stdout(lines.join('\n') + (lines[lines.length - 1].endsWith('\n') ? '' : '\n'));
    return 0;
  },
};

export default command;

// fgmp info MODEL [--tokenizer TOK] [--json]: what a checkpoint holds — format, config, parameter
// counts, tokenizer, and a table of tensors with their stored dtype and value statistics.
import { modelArgument, tokenizerFor } from '../defaultModel.ts';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  inspectSafetensorsFiles,
  loadCheckpoint,
  loadTokenizerFile,
  type InputFile,
} from '../../core/model/loaders/index.ts';
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

const usage = `fgmp info [MODEL] [--tokenizer TOK] [--header-only] ${engineUsage} [--json]   (MODEL: llama2.c .bin, .gguf, model.safetensors, a Hugging Face model folder, random:SHAPE[:SEED], or omitted for the default model)`;

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const HF_FOLDER_FILES =
  /^(config\.json|tokenizer\.json|tokenizer_config\.json|model\.safetensors\.index\.json|.*\.safetensors)$/;

function readInput(p: string): InputFile {
  const b = readFileSync(p);
  return { name: path.basename(p), bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
}

/** The files of MODEL: one file, or the relevant files of a folder (HF layout). */
export function modelFiles(
  modelPath: string,
  headerOnly: (p: string) => boolean = () => false,
): (InputFile & { size?: number })[] {
  const read = (p: string) => (headerOnly(p) ? readHeader(p) : readInput(p));
  let st;
  try {
    st = statSync(modelPath);
  } catch {
    throw new UsageError(`model not found: ${modelPath}`);
  }
  if (!st.isDirectory()) {
    const files = [read(modelPath)];
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
  return names.sort().map((n) => read(path.join(modelPath, n)));
}

/**
 * --header-only: a Hugging Face checkpoint checked from its headers alone (config, index, tokenizer and
 * each shard's 8 + N header bytes; the shard's size from the file system), no weight read.
 */
export function headerOnlyCheckpoint(modelPath: string): LoadedCheckpoint {
  const files = modelFiles(modelPath, (p) => p.endsWith('.safetensors'));
  const { config, report, tokenizer } = inspectSafetensorsFiles(files);
  return { model: { config, tokenizer } as unknown as LlamaModel, report };
}

/** The first 8 + N bytes of a safetensors file (N its declared header length, capped at the file). */
function readHeader(p: string): InputFile & { size: number } {
  const fd = openSync(p, 'r');
  try {
    const size = fstatSync(fd).size;
    const first = Buffer.alloc(Math.min(8, size));
    readSync(fd, first, 0, first.length, 0);
    const n = first.length === 8 ? first.readBigUInt64LE(0) : 0n;
    const want = Math.min(size, 8 + Number(n > 100_000_000n ? 0n : n));
    const b = Buffer.alloc(want);
    readSync(fd, b, 0, want, 0);
    return { name: path.basename(p), bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), size };
  } finally {
    closeSync(fd);
  }
}

export function loadModelFromArgs(modelPath: string, tokenizerPath?: string): LoadedCheckpoint {
  // random:SHAPE[:SEED] (src/cli/randomModel.ts) is a model made here, not read from a file.
  const loaded = isRandomSpec(modelPath) ? loadRandomModel(modelPath) : loadCheckpoint(modelFiles(modelPath));
  if (tokenizerPath)
    loaded.model.tokenizer = loadTokenizerFile(
      readInput(tokenizerPath),
      loaded.model.config.vocabSize,
      undefined,
      loaded.report.warnings,
    );
  return loaded;
}

export interface TensorStats {
  /** Over the finite values (NaN and ±Inf are counted in nonFinite instead). */
  min: number;
  max: number;
  meanAbs: number;
  nanCount: number;
  nonFinite: { nan: number; inf: number };
}

export function tensorStats(a: Float32Array): TensorStats {
  let min = Infinity;
  let max = -Infinity;
  let sumAbs = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sumAbs += Math.abs(v);
  }
  const n = a.length - nan - inf;
  return {
    min: n ? min : NaN,
    max: n ? max : NaN,
    meanAbs: n ? sumAbs / n : NaN,
    nanCount: nan,
    nonFinite: { nan, inf },
  };
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
      {
        tokenizer: { type: 'string' },
        'header-only': { type: 'boolean' },
        ...engineOptions,
        json: { type: 'boolean' },
      },
      usage,
    );
    const modelArg = modelArgument(positionals, usage);
    const t0 = performance.now();
    // A config-only random shape (random:llama2-7b): config, counts and shapes, no weights and so no statistics.
    const spec = isRandomSpec(modelArg.modelPath) ? randomSpecArgument(modelArg.modelPath) : null;
    const headerOnly = values['header-only'] === true;
    if (headerOnly && (spec !== null || (!/\.safetensors$/.test(modelArg.modelPath) && !isFolder(modelArg.modelPath))))
      throw new UsageError(
        '--header-only reads Hugging Face safetensors checkpoints (a folder or a model.safetensors)',
      );
    if (headerOnly && values.tokenizer) throw new UsageError('--header-only takes the tokenizer.json of the folder');
    const configOnly = (spec !== null && isConfigOnly(spec)) || headerOnly;
    const { model, report } = headerOnly
      ? headerOnlyCheckpoint(modelArg.modelPath)
      : spec !== null && configOnly
        ? configOnlyCheckpoint(spec)
        : loadModelFromArgs(modelArg.modelPath, tokenizerFor(modelArg, values.tokenizer));
    const loadMs = performance.now() - t0;
    const arrays = configOnly ? new Map<string, Float32Array>() : namedTensors(model);
    const noStats = { min: NaN, max: NaN, meanAbs: NaN, nanCount: 0, nonFinite: { nan: 0, inf: 0 } };
    const tensors = report.tensors.map((t) => ({ ...t, ...(configOnly ? noStats : tensorStats(arrays.get(t.name)!)) }));
    const params = configOnly ? configParameterBreakdown(model.config) : parameterBreakdown(model);
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
            nonFinite: report.nonFinite,
            weightsRead: !configOnly,
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
        ['tensor', 'stored as', 'shape', 'dtype', 'numel', 'min', 'max', 'mean|x|', 'NaN', 'Inf'],
        tensors.map((t) => [
          t.name,
          t.storedName,
          t.shape.join('x'),
          t.dtype,
          t.numel.toLocaleString('en-US'),
          fmt(t.min),
          fmt(t.max),
          fmt(t.meanAbs),
          t.nonFinite.nan,
          t.nonFinite.inf,
        ]),
      ),
    ];
    for (const w of report.warnings) lines.push(`warning: ${w}`);
    io.stdout(lines.join('\n') + (lines[lines.length - 1].endsWith('\n') ? '' : '\n'));
    return 0;
  },
};

export default command;

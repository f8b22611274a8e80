// The model a pipeline runs on: a checkpoint from files (llama2.c, GGUF, safetensors; optional tokenizer),
// or a seeded random model of a known shape, each with the summary the app shows.
import { CheckpointError, loadCheckpoint, loadTokenizerFile, type InputFile } from '../model/loaders/index.ts';
import {
  parameterCount,
  PROJECTIONS,
  projectionShape,
  randomModel,
  STORIES15M_SHAPE,
  type LlamaModel,
} from '../model/types.ts';
import type { ModelSummary, NamedBytes, TensorRow, TextSummary } from './results.ts';
import type { RandomShape } from './vocabulary.ts';

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

type SummaryBase = Omit<ModelSummary, 'config' | 'parameters' | 'tokenizer' | 'tokenizerVocab'>;

export function modelSummary(model: LlamaModel, s: SummaryBase): ModelSummary {
  return {
    ...s,
    config: { ...model.config },
    parameters: parameterCount(model.config),
    tokenizer: model.tokenizer ? (model.source.format === 'llama2c' ? 'tokenizer file' : 'embedded') : null,
    tokenizerVocab: model.tokenizer?.vocabSize ?? null,
  };
}

/** Parses checkpoint files; refuses more than maxBytes before parsing (a browser tab cannot hold much more). */
export function loadModel(files: NamedBytes[], maxBytes = Infinity): { model: LlamaModel; summary: ModelSummary } {
  const total = files.reduce((s, f) => s + f.bytes.byteLength, 0);
  if (total > maxBytes)
    throw new CheckpointError(
      `the files hold ${mib(total)} MiB; the explorer runs models up to ${mib(maxBytes)} MiB in the browser`,
    );
  const { model, report } = loadCheckpoint(files as InputFile[]);
  return {
    model,
    summary: modelSummary(model, {
      name: report.name,
      format: report.format,
      variant: report.variant,
      bytes: report.bytes,
      tensors: report.tensors.map((t) => ({ ...t, nonFinite: { ...t.nonFinite } })),
      nanCount: report.nanCount,
      nonFinite: { ...report.nonFinite },
      warnings: [...report.warnings],
    }),
  };
}

/** A deterministic random model of a known shape (no tokenizer, no text: policies that need no Fisher). */
export function loadRandomModel(shape: RandomShape, seed: number): { model: LlamaModel; summary: ModelSummary } {
  if (shape !== 'stories15M') throw new Error(`unknown random shape ${shape}`);
  const model = randomModel(STORIES15M_SHAPE, seed);
  model.source.name = `random ${shape} (seed ${seed})`;
  return {
    model,
    summary: modelSummary(model, {
      name: model.source.name,
      format: 'random',
      variant: `${shape} shape, normal init`,
      bytes: parameterCount(model.config) * 4,
      tensors: [...namedTensorShapes(model)],
      nanCount: 0,
      nonFinite: { nan: 0, inf: 0 },
      warnings: [],
    }),
  };
}

/**
 * Adds or replaces the tokenizer of a model (in place). Returns the loader's warnings (a vocabulary cut to
 * the embedding, …) for the model summary.
 */
export function attachTokenizer(model: LlamaModel, file: NamedBytes): string[] {
  const warnings: string[] = [];
  model.tokenizer = loadTokenizerFile(file as InputFile, model.config.vocabSize, undefined, warnings);
  return warnings;
}

/** A text file as text (CRLF read as LF), with its size in characters and tokens (counted on a prefix). */
export function readText(
  model: LlamaModel | null,
  name: string,
  bytes: Uint8Array,
): { text: string; summary: TextSummary } {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\r\n/g, '\n');
  if (text.trim().length === 0) throw new Error(`${name} holds no text`);
  const tok = model?.tokenizer;
  // Tokens counted on a prefix: the pipeline only ever encodes as much as it uses.
  const summary = {
    name,
    characters: text.length,
    tokens: tok ? tok.encode(text.slice(0, 200_000)).length : 0,
    tokensCounted: Math.min(text.length, 200_000),
  };
  return { text, summary };
}

function* namedTensorShapes(model: LlamaModel): Generator<TensorRow> {
  const c = model.config;
  yield {
    name: 'tokenEmbedding',
    storedName: 'token_embedding',
    shape: [c.vocabSize, c.dim],
    dtype: 'F32',
    numel: c.vocabSize * c.dim,
    nanCount: 0,
    nonFinite: { nan: 0, inf: 0 },
  };
  for (let l = 0; l < c.nLayers; l++)
    for (const p of PROJECTIONS) {
      const s = projectionShape(c, p);
      yield {
        name: `layers.${l}.${p}`,
        storedName: `layers.${l}.${p}`,
        shape: s,
        dtype: 'F32',
        numel: s[0] * s[1],
        nanCount: 0,
        nonFinite: { nan: 0, inf: 0 },
      };
    }
}

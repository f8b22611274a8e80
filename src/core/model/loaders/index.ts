// One entry point for every checkpoint format: give it the files (as the browser gets them from a
// drop or picker, or the CLI from disk) and it sniffs the format from magic bytes and names.

import type { Tokenizer } from '../types';
import { CheckpointError, type LoadedCheckpoint } from './common';
import { isGguf, loadGguf } from './gguf';
import { isLlama2cVersioned, loadLlama2c } from './llama2c';
import { inspectSafetensors, isSafetensors, loadSafetensors, type SafetensorsHeaderInfo } from './safetensors';
import { parseLlama2cTokenizer } from '../../tokenizer/llama2c';
import { HfTokenizer } from '../../tokenizer/hf';
import { fitTokenizer } from '../../tokenizer/fit';
import { parseJsonObject } from './json';

export { CheckpointError } from './common';
export type { LoadReport, LoadedCheckpoint, TensorReport, CheckpointFormat } from './common';
export { parseLlama2c, loadLlama2c } from './llama2c';
export { loadGguf } from './gguf';
export { loadSafetensors } from './safetensors';

export interface InputFile {
  name: string;
  bytes: Uint8Array;
}

function baseName(name: string): string {
  return name.split(/[\\/]/).pop() ?? name;
}

/** What the files look like, for error messages. */
function describe(files: InputFile[]): string {
  return files.map((f) => `${f.name} (${f.bytes.byteLength.toLocaleString('en-US')} bytes)`).join(', ');
}

/** What loadCheckpoint accepts (ends "cannot tell the format" messages). */
export const EXPECTED_FORMATS =
  'expected one of: a llama2.c checkpoint (.bin, legacy v0 or "ak42" v1/v2) optionally with a llama2.c tokenizer file; ' +
  'a GGUF file (magic "GGUF"); or a Hugging Face model.safetensors (or shards with model.safetensors.index.json) with config.json and optionally tokenizer.json';

/**
 * Loads a checkpoint from its files. llama2.c checkpoints may come with a tokenizer file
 * (tokenizer.bin / tok512.bin, recognised by name or as the second .bin); safetensors needs
 * config.json and takes tokenizer.json (+ tokenizer_config.json) when present.
 */
export function loadCheckpoint(files: InputFile[]): LoadedCheckpoint {
  if (files.length === 0) throw new CheckpointError(`no files given: ${EXPECTED_FORMATS}`);
  const byName = new Map(files.map((f) => [baseName(f.name), f]));

  const gguf = files.filter((f) => isGguf(f.bytes));
  if (gguf.length > 1)
    throw new CheckpointError(`several GGUF files given (${describe(gguf)}); sharded GGUF is not supported`);
  if (gguf.length === 1) return loadGguf(gguf[0].bytes, gguf[0].name);

  const shards = files.filter((f) => baseName(f.name).endsWith('.safetensors') || isSafetensors(f.bytes));
  if (shards.length > 0) {
    const config = byName.get('config.json');
    if (!config) throw new CheckpointError(`safetensors weights (${describe(shards)}) need config.json beside them`);
    const index = byName.get('model.safetensors.index.json');
    const tokenizerJson = byName.get('tokenizer.json');
    const tokenizerConfig = byName.get('tokenizer_config.json');
    return loadSafetensors({
      shards: shards.map((f) => ({ name: baseName(f.name), bytes: f.bytes })),
      config: parseJson(config),
      index: index ? parseJson(index) : undefined,
      tokenizer: tokenizerJson ? hfTokenizer(tokenizerJson, tokenizerConfig) : undefined,
    });
  }

  if (files.length > 2) throw new CheckpointError(`cannot tell the format of ${describe(files)}: ${EXPECTED_FORMATS}`);
  // llama2.c: the checkpoint is the file that is not named like a tokenizer (or the larger one).
  const isTokenizerName = (f: InputFile) => /tok|vocab/i.test(baseName(f.name));
  const sorted = [...files].sort(
    (a, b) => Number(isTokenizerName(a)) - Number(isTokenizerName(b)) || b.bytes.byteLength - a.bytes.byteLength,
  );
  const [ckpt, tokFile] = sorted;
  let loaded: LoadedCheckpoint;
  try {
    loaded = loadLlama2c(ckpt.bytes, ckpt.name);
  } catch (e) {
    if (
      e instanceof CheckpointError &&
      !isLlama2cVersioned(ckpt.bytes) &&
      (/out of range|-byte header/.test(e.message) || /\.json$/i.test(ckpt.name))
    ) {
      throw new CheckpointError(
        `cannot tell the format of ${describe(files)} (as a llama2.c checkpoint: ${e.message}); ${EXPECTED_FORMATS}`,
      );
    }
    throw e;
  }
  if (tokFile)
    loaded.model.tokenizer = loadTokenizerFile(
      tokFile,
      loaded.model.config.vocabSize,
      undefined,
      loaded.report.warnings,
    );
  return loaded;
}

/**
 * A tokenizer file on its own: llama2.c binary, or HF tokenizer.json, fitted to a model of
 * `vocabSize` tokens (special ids inside it; a larger vocabulary cut or guarded, said in `warnings`).
 */
export function loadTokenizerFile(
  file: InputFile,
  vocabSize: number,
  tokenizerConfig?: InputFile,
  warnings?: string[],
): Tokenizer {
  let tok: Tokenizer;
  if (baseName(file.name).endsWith('.json') || file.bytes[0] === 0x7b /* { */) {
    tok = hfTokenizer(file, tokenizerConfig);
  } else {
    try {
      tok = parseLlama2cTokenizer(file.bytes, vocabSize);
    } catch (e) {
      throw new CheckpointError(`tokenizer ${file.name}: ${(e as Error).message}`);
    }
  }
  try {
    const fit = fitTokenizer(tok, vocabSize, `tokenizer ${baseName(file.name)}`);
    if (fit.warning) warnings?.push(fit.warning);
    return fit.tokenizer;
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
}

function hfTokenizer(file: InputFile, config?: InputFile): HfTokenizer {
  return new HfTokenizer(parseJson(file), config ? parseJson(config) : {}, {
    file: baseName(file.name),
    configFile: config ? baseName(config.name) : undefined,
  });
}

function parseJson(f: InputFile): Record<string, unknown> {
  return parseJsonObject(f.bytes, baseName(f.name));
}

/**
 * Header-only check of a Hugging Face checkpoint: config.json, the index, tokenizer files and every
 * shard's header are validated exactly as loadCheckpoint does, but a shard may hold only its first
 * 8 + N header bytes (`size` = the file's size), so no weight is read or allocated.
 */
export function inspectSafetensorsFiles(files: (InputFile & { size?: number })[]): SafetensorsHeaderInfo {
  const byName = new Map(files.map((f) => [baseName(f.name), f]));
  const shards = files.filter((f) => baseName(f.name).endsWith('.safetensors'));
  if (shards.length === 0) throw new CheckpointError(`no .safetensors files among ${describe(files)}`);
  const config = byName.get('config.json');
  if (!config) throw new CheckpointError(`safetensors weights (${describe(shards)}) need config.json beside them`);
  const index = byName.get('model.safetensors.index.json');
  const tokenizerJson = byName.get('tokenizer.json');
  return inspectSafetensors({
    shards: shards.map((f) => ({ name: baseName(f.name), bytes: f.bytes, size: f.size })),
    config: parseJson(config),
    index: index ? parseJson(index) : undefined,
    tokenizer: tokenizerJson ? hfTokenizer(tokenizerJson, byName.get('tokenizer_config.json')) : undefined,
  });
}

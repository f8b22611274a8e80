// Small models the tests share: one tiny config (overridden per test), a tiny llama2.c file on disk, and the
// real stories260K checkpoint with its tokenizer from ../shared/data.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCheckpoint } from '../../src/core/model/loaders/index';
import { randomModel, type LlamaConfig, type LlamaModel } from '../../src/core/model/types';
import { writeLlama2c } from '../../src/core/model/writers/llama2c';
import { readShared } from './sharedData';

const TINY: LlamaConfig = {
  dim: 32,
  hiddenDim: 40,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 40,
  maxSeqLen: 32,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

/** A tiny grouped-query config: dim 32, 2 layers, 4 heads / 2 KV heads, vocab 40, context 32; overridable. */
export const tinyConfig = (over: Partial<LlamaConfig> = {}): LlamaConfig => ({ ...TINY, ...over });

/** A random-weight llama2.c checkpoint of `config` written to a fresh temporary folder; returns its path. */
export function writeTinyCheckpoint(config: LlamaConfig = TINY, seed = 5, scale = 0.2, name = 'tiny.bin'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-tiny-'));
  const file = path.join(dir, name);
  writeFileSync(file, writeLlama2c(randomModel(config, seed, scale)));
  return file;
}

/** stories260K with tok512 (callers check hasSharedData first). */
export function loadStories260K(): LlamaModel {
  return loadCheckpoint([
    { name: 'stories260K.bin', bytes: readShared('models/stories260K.bin') },
    { name: 'tok512.bin', bytes: readShared('models/tok512.bin') },
  ]).model;
}

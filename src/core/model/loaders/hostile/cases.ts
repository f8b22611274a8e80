// Shared pieces of the hostile corpus: the case type, the small model every case is built from, and
// helpers. Each format's cases live in their own module (llama2cCases, ggufCases, safetensorsCases).

import { randomModel, type LlamaConfig, type LlamaModel } from '../../types';

export type HostileFormat = 'llama2c' | 'gguf' | 'safetensors' | 'tokenizer.bin' | 'tokenizer.json';
export type HostileKind =
  | 'truncation'
  | 'lying-header'
  | 'bad-json'
  | 'overlap'
  | 'deep-nesting'
  | 'huge-count'
  | 'non-finite'
  | 'wrong-type'
  | 'out-of-range';

export interface HostileFile {
  name: string;
  bytes: Uint8Array;
}

export interface HostileCase {
  /** Unique, usable as a folder name. */
  id: string;
  format: HostileFormat;
  kind: HostileKind;
  /** The model's files (one file, or a Hugging Face folder). */
  files: HostileFile[];
  /** Given separately (CLI --tokenizer); loadCheckpoint also finds a tokenizer.bin beside a .bin. */
  tokenizer?: HostileFile;
  /** Exact message of the load error. */
  error?: string;
  /** Exact text of one warning of a successful load. */
  warning?: string;
}

export const bytesOf = (n: number) => `${n.toLocaleString('en-US')} bytes`;
export const utf8 = new TextEncoder();

export const HOSTILE_CONFIG: LlamaConfig = {
  dim: 8,
  hiddenDim: 16,
  nLayers: 1,
  nHeads: 2,
  nKvHeads: 1,
  vocabSize: 8,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

/** A fresh random model of the same config with some weights edited. */
export function withWeights(m: LlamaModel, edit: (m: LlamaModel) => void): LlamaModel {
  const copy = randomModel(m.config, 7);
  edit(copy);
  return copy;
}

export type Expect = { error?: string; warning?: string };

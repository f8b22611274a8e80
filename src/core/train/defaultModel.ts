// The recipe of the embedded default model (sotu-llama): architecture, tokenizer size, training
// hyperparameters and the model card's generation settings. scripts/train-default.ts follows it;
// the tests of the shipped checkpoint read the same constants.

import { DEFAULT_MODEL } from '../data/index';
import type { LlamaConfig } from '../model/types';
import type { TrainConfig } from './trainer';

export const DEFAULT_MODEL_CONFIG: LlamaConfig = {
  dim: 128,
  // Not a multiple of 16 on purpose (like stories260K's 172): the down projection's rows end in a
  // short block, which the FGMP views must handle.
  hiddenDim: 344,
  nLayers: 4,
  nHeads: 8,
  nKvHeads: 4,
  vocabSize: DEFAULT_MODEL.vocabSize,
  maxSeqLen: 256,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model: DEFAULT_MODEL_CONFIG,
  seed: 1790,
  // 360 × 8 × 255 = 734,400 tokens: about 8 to 15 minutes on the project's shared 2-core machine.
  steps: 360,
  batchSize: 8,
  windowTokens: DEFAULT_MODEL_CONFIG.maxSeqLen - 1,
  maxLr: 2e-3,
  minLr: 2e-4,
  warmupSteps: 20,
  adamw: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
  clipNorm: 1,
  evalEvery: 40,
};

/** BPE settings of the default tokenizer (trained on the training addresses only). */
export const DEFAULT_TOKENIZER_OPTIONS = { vocabSize: DEFAULT_MODEL.vocabSize, minCharCount: 20 };

export interface CardGeneration {
  prompt: string;
  /** New tokens after the prompt. */
  steps: number;
  temperature: number;
  seed: number;
}

/** Generations shown in the model card; the greedy ones are checked by the tests. */
export const CARD_GENERATIONS: CardGeneration[] = [
  { prompt: 'Fellow-Citizens of the Senate and House of Representatives:', steps: 64, temperature: 0, seed: 0 },
  { prompt: 'The state of the Union', steps: 64, temperature: 0, seed: 0 },
  { prompt: 'Our people', steps: 48, temperature: 0, seed: 0 },
  { prompt: 'Fellow-Citizens of the Senate and House of Representatives:', steps: 96, temperature: 0.8, seed: 1 },
  { prompt: 'The state of the Union', steps: 96, temperature: 0.8, seed: 2 },
  { prompt: 'In the coming year', steps: 96, temperature: 1, seed: 3 },
];

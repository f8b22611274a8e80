// The training loop: seeded batches, loss and gradients from a GradientSource, global-norm
// clipping, AdamW with warmup + cosine learning rate, periodic validation loss. Everything the next
// update depends on (weights, moments, step, RNG state) is in TrainerState, which checkpoint.ts
// serialises, so a resumed run continues bit for bit.

import type { LlamaConfig, LlamaModel } from '../model/types';
import { AdamW, clipGlobalNorm, type AdamWConfig } from './adamw';
import { randomBatch } from './batches';
import type { GradientSource } from './gradientSource';
import { initialModel, parametersOf } from './params';
import { Rng } from './rng';
import { learningRate } from './schedule';

export interface TrainConfig {
  model: LlamaConfig;
  seed: number;
  steps: number;
  batchSize: number;
  /** Stream tokens per sequence (BOS is added in front, so sequences have windowTokens + 1 ids). */
  windowTokens: number;
  maxLr: number;
  minLr: number;
  warmupSteps: number;
  adamw: AdamWConfig;
  /** Global gradient-norm clip (0 = none). */
  clipNorm: number;
  /** Validation loss every this many steps and after the last (0 = only after the last). */
  evalEvery: number;
}

export interface TrainerState {
  model: LlamaModel;
  optimizer: AdamW;
  /** Steps completed. */
  step: number;
  /** Draws the training windows. */
  rng: Rng;
}

export interface StepLog {
  step: number;
  lr: number;
  loss: number;
  /** Before clipping. */
  gradNorm: number;
  valLoss?: number;
  /** Wall-clock seconds of this step (not part of the deterministic state). */
  seconds: number;
}

export function validateTrainConfig(c: TrainConfig): void {
  const positiveInts: (keyof TrainConfig)[] = ['steps', 'batchSize', 'windowTokens'];
  for (const k of positiveInts)
    if (!Number.isInteger(c[k]) || (c[k] as number) < 1)
      throw new Error(`train config: ${k} must be a positive integer, got ${c[k]}`);
  if (c.windowTokens + 1 > c.model.maxSeqLen)
    throw new Error(
      `train config: windows of ${c.windowTokens} tokens + BOS exceed the model context ${c.model.maxSeqLen}`,
    );
  if (!(c.maxLr > 0) || !(c.minLr >= 0) || c.minLr > c.maxLr)
    throw new Error(`train config: need 0 <= minLr <= maxLr, maxLr > 0 (got ${c.minLr}, ${c.maxLr})`);
  if (!Number.isInteger(c.warmupSteps) || c.warmupSteps < 0)
    throw new Error(`train config: warmupSteps must be a non-negative integer`);
}

/** A fresh state: model initialised from the seed, zero moments, data RNG from a derived seed. */
export function initialState(config: TrainConfig): TrainerState {
  validateTrainConfig(config);
  const model = initialModel(config.model, config.seed);
  return {
    model,
    optimizer: new AdamW(parametersOf(model), config.adamw),
    step: 0,
    rng: new Rng((config.seed ^ 0x5bd1e995) >>> 0),
  };
}

export class Trainer {
  constructor(
    readonly config: TrainConfig,
    readonly state: TrainerState,
    private readonly source: GradientSource,
    private readonly trainStream: Int32Array,
    private readonly validation: readonly Int32Array[] = [],
  ) {
    validateTrainConfig(config);
  }

  get done(): boolean {
    return this.state.step >= this.config.steps;
  }

  async validationLoss(): Promise<number> {
    if (this.validation.length === 0) return NaN;
    return this.source.loss(this.state.model, this.validation);
  }

  /** One optimizer step (and the validation loss when it is due). */
  async step(): Promise<StepLog> {
    const t0 = performance.now();
    const { config: c, state } = this;
    const batch = randomBatch(this.trainStream, c.batchSize, c.windowTokens, state.rng);
    const { loss, gradients } = await this.source.lossAndGradients(state.model, batch);
    const grads = state.optimizer.params.map((p) => {
      const g = gradients.get(p.name);
      if (!g) throw new Error(`the gradient source returned no gradient for ${p.name}`);
      return g;
    });
    if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${state.step}`);
    const gradNorm = clipGlobalNorm(grads, c.clipNorm);
    const lr = learningRate(state.step, {
      maxLr: c.maxLr,
      minLr: c.minLr,
      warmupSteps: c.warmupSteps,
      totalSteps: c.steps,
    });
    state.optimizer.update(grads, lr);
    state.step++;
    const log: StepLog = { step: state.step, lr, loss, gradNorm, seconds: 0 };
    const evalDue = (c.evalEvery > 0 && state.step % c.evalEvery === 0) || state.step === c.steps;
    if (evalDue && this.validation.length > 0) log.valLoss = await this.validationLoss();
    log.seconds = (performance.now() - t0) / 1000;
    return log;
  }

  /** Steps until `untilStep` (default: the configured total), calling onLog after each. */
  async run(onLog?: (log: StepLog) => void | Promise<void>, untilStep = this.config.steps): Promise<StepLog[]> {
    const logs: StepLog[] = [];
    while (this.state.step < Math.min(untilStep, this.config.steps)) {
      const log = await this.step();
      logs.push(log);
      await onLog?.(log);
    }
    return logs;
  }
}

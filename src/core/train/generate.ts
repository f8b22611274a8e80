// Text generation for the model card and tests, on the reference engine (deterministic): greedy
// (temperature 0: argmax, first index on ties) or sampled (softmax of logits / temperature,
// inverse CDF with the seeded Rng). Stops early at BOS or EOS, as run.c stops at BOS.

import { ReferenceRun, type Precision } from '../model/reference';
import type { LlamaModel } from '../model/types';
import { Rng } from './rng';

export interface GenerationOptions {
  temperature?: number;
  seed?: number;
  precision?: Precision;
}

/** The prompt followed by up to `steps` generated ids (never beyond the model's context). */
export function generateTokens(
  model: LlamaModel,
  prompt: readonly number[],
  steps: number,
  opts: GenerationOptions = {},
): number[] {
  const temperature = opts.temperature ?? 0;
  if (!(temperature >= 0)) throw new Error(`temperature must be >= 0, got ${temperature}`);
  if (prompt.length === 0) throw new Error('generation needs a prompt (at least BOS)');
  const capacity = Math.min(model.config.maxSeqLen, prompt.length + steps);
  const run = new ReferenceRun(model, capacity, opts.precision ?? 'float64');
  const rng = new Rng(opts.seed ?? 1);
  const V = model.config.vocabSize;
  const tokens = [...prompt];
  run.advance(prompt);
  while (tokens.length < capacity) {
    const row = (run.length - 1) * V;
    const logits = run.logits.subarray(row, row + V);
    let next = 0;
    if (temperature === 0) {
      for (let i = 1; i < V; i++) if (logits[i] > logits[next]) next = i;
    } else {
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, logits[i]);
      const p = new Float64Array(V);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
      let r = rng.uniform() * sum;
      next = V - 1;
      for (let i = 0; i < V; i++) {
        r -= p[i];
        if (r < 0) {
          next = i;
          break;
        }
      }
    }
    tokens.push(next);
    if (next === 1 || next === 2 || tokens.length >= capacity) break;
    run.advance([next]);
  }
  return tokens;
}

// Training and evaluation sequences cut from one token stream. Every sequence is BOS followed by
// `windowTokens` consecutive tokens of the stream, so all of the window's tokens are predicted, the
// first from BOS alone (the validation method of the model card uses the same shape).

import type { Rng } from './rng';

export const BOS_ID = 1;

export function withBos(stream: Int32Array, start: number, windowTokens: number, bos = BOS_ID): Int32Array {
  if (start < 0 || start + windowTokens > stream.length)
    throw new Error(`window ${start}..${start + windowTokens} is outside the stream of ${stream.length} tokens`);
  const s = new Int32Array(windowTokens + 1);
  s[0] = bos;
  s.set(stream.subarray(start, start + windowTokens), 1);
  return s;
}

/** A training batch: window starts drawn uniformly from the stream with the seeded RNG. */
export function randomBatch(stream: Int32Array, batchSize: number, windowTokens: number, rng: Rng): Int32Array[] {
  const positions = stream.length - windowTokens + 1;
  if (positions < 1)
    throw new Error(`the training stream has ${stream.length} tokens, fewer than one window of ${windowTokens}`);
  const out: Int32Array[] = [];
  for (let b = 0; b < batchSize; b++) out.push(withBos(stream, rng.int(positions), windowTokens));
  return out;
}

/**
 * `count` windows spread evenly over the stream (first at 0, last ending at the stream's end), so
 * a fixed number of evaluation tokens samples the whole text (all eras of the addresses).
 */
export function evenlySpacedWindows(stream: Int32Array, count: number, windowTokens: number): Int32Array[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`window count must be a positive integer, got ${count}`);
  const last = stream.length - windowTokens;
  if (last < 0) throw new Error(`the stream has ${stream.length} tokens, fewer than one window of ${windowTokens}`);
  const out: Int32Array[] = [];
  for (let i = 0; i < count; i++)
    out.push(withBos(stream, count === 1 ? 0 : Math.floor((i * last) / (count - 1)), windowTokens));
  return out;
}

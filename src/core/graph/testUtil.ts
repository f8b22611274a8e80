// Helpers shared by the graph and eval tests (not used by production code).
import { xorshift32 } from '../random';

/** max |a − b| / max |b|: the error relative to the tensor's scale (elementwise relative error is meaningless near 0). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Deterministic pseudo-random token ids. */
export function randomIds(n: number, vocab: number, seed: number): number[] {
  const next = xorshift32(seed);
  return Array.from({ length: n }, () => next() % vocab);
}

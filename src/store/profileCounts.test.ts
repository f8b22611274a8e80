import { describe, expect, it } from 'vitest';
import { sortedScores, topBlocksMask } from './profileCounts';

/** Reference: ids sorted by score descending, ties by ascending id; the first fp8 are FP8. */
function reference(scores: number[], fp8: number): number[] {
  const ids = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const m = new Array(scores.length).fill(0);
  ids.slice(0, fp8).forEach((i) => (m[i] = 1));
  return m;
}

describe('topBlocksMask', () => {
  it('keeps the fp8 highest scores, ties split by ascending block id, at every count', () => {
    // Many ties (scores from a small set) so the tie order matters.
    let x = 12345;
    const scores = Array.from({ length: 97 }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31), (x % 7) / 4));
    const s = Float64Array.from(scores);
    const sorted = sortedScores(s);
    for (let fp8 = 0; fp8 <= scores.length + 2; fp8++)
      expect([...topBlocksMask(s, sorted, fp8)]).toEqual(reference(scores, Math.min(fp8, scores.length)));
  });
});

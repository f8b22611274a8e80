import { describe, expect, it } from 'vitest';
import { slidingWindows } from './windows';

describe('slidingWindows', () => {
  const stream = [10, 11, 12, 13, 14, 15, 16];

  it('with BOS and stride = window: every token predicted once, the first from BOS alone', () => {
    const w = slidingWindows(stream, { window: 3, bos: 1 });
    expect(w.map((x) => x.tokens)).toEqual([[1, 10, 11], [1, 13, 14], [1]]);
    expect(w.map((x) => x.targets)).toEqual([[10, 11, 12], [13, 14, 15], [16]]);
    expect(w.every((x) => x.mask.every((m) => m === 1))).toBe(true);
    expect(w.reduce((s, x) => s + x.scored, 0)).toBe(7);
  });

  it('with BOS and overlapping windows: earlier targets are context only', () => {
    const w = slidingWindows(stream, { window: 4, stride: 2, bos: 1 });
    expect(w.map((x) => x.start)).toEqual([0, 2, 4]);
    expect(w.map((x) => x.targets)).toEqual([
      [10, 11, 12, 13],
      [12, 13, 14, 15],
      [14, 15, 16],
    ]);
    expect(w.map((x) => Array.from(x.mask))).toEqual([
      [1, 1, 1, 1],
      [0, 0, 1, 1],
      [0, 0, 1],
    ]);
    expect(w.reduce((s, x) => s + x.scored, 0)).toBe(7);
  });

  it('without BOS: the first token is context, n − 1 predictions', () => {
    const w = slidingWindows(stream, { window: 4, bos: null });
    expect(w.map((x) => x.tokens)).toEqual([
      [10, 11, 12, 13],
      [14, 15],
    ]);
    expect(w.map((x) => x.targets)).toEqual([
      [11, 12, 13, 14],
      [15, 16],
    ]);
    expect(w.reduce((s, x) => s + x.scored, 0)).toBe(6);
  });

  it('rejects a stride larger than the window', () => {
    expect(() => slidingWindows(stream, { window: 2, stride: 3, bos: 1 })).toThrow(/stride must be an integer in 1..2/);
  });
});

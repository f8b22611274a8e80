import { describe, expect, it } from 'vitest';
import { KlAccumulator, quantile } from './kl';

describe('KL statistics against the float32 model', () => {
  it('the unquantized model against itself: KL 0, top-1 1, Δp 0', () => {
    const V = 5;
    const logits = Float32Array.from([0.1, 2, -1, 0.5, 3, 4, 1, 0, -2, 0.25]);
    const acc = new KlAccumulator(V);
    acc.add(logits, logits, [4, 0]);
    const r = acc.result();
    expect(r).toEqual({ kl: 0, klMedian: 0, klP99: 0, top1: 1, dpMean: 0, dpRms: 0, positions: 2 });
  });

  it('hand-worked two-token vocabulary', () => {
    // p = softmax(0, 0) = (1/2, 1/2); q = softmax(ln 3, 0) = (3/4, 1/4).
    // KL = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3). argmax p = 0 (first of a tie), argmax q = 0: agree.
    // Correct token 1: Δp = 1/4 − 1/2 = −1/4.
    const acc = new KlAccumulator(2);
    acc.add([0, 0], [Math.log(3), 0], [1]);
    const r = acc.result();
    expect(r.kl).toBeCloseTo(0.5 * Math.log(4 / 3), 7);
    expect(r.top1).toBe(1);
    expect(r.dpMean).toBeCloseTo(-0.25, 7);
    expect(r.dpRms).toBeCloseTo(0.25, 7);
  });

  it('top-1 disagreement, masks, and the median / 99th percentile over positions', () => {
    const acc = new KlAccumulator(2);
    // Position 0 agrees (KL 0); position 1 flips the argmax; position 2 is masked out.
    acc.add([1, 0, 1, 0, 5, -5], [1, 0, 0, 1, -5, 5], [0, 0, 0], [1, 1, 0]);
    const r = acc.result();
    expect(r.positions).toBe(2);
    expect(r.top1).toBe(0.5);
    // p = (e/(1+e), 1/(1+e)), q swapped: KL = (p0 − p1) · (ln p0 − ln p1) = tanh(1/2) · 1.
    const kl1 = Math.tanh(0.5);
    expect(r.kl).toBeCloseTo(kl1 / 2, 7);
    expect(r.klMedian).toBeCloseTo(kl1 / 2, 7);
    expect(r.klP99).toBeCloseTo(0.99 * kl1, 7);
  });

  it('quantile is numpy-linear', () => {
    const s = Float64Array.from([1, 2, 3, 4]);
    expect(quantile(s, 0.5)).toBe(2.5);
    expect(quantile(s, 0.99)).toBeCloseTo(3.97, 12);
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 1)).toBe(4);
  });

  it('rejects mismatched sizes, targets outside the vocabulary, and empty results', () => {
    const acc = new KlAccumulator(3);
    expect(() => acc.add([0, 0, 0], [0, 0], [0])).toThrow(/must hold 1 × 3/);
    expect(() => acc.add([0, 0, 0], [0, 0, 0], [3])).toThrow(/outside the vocabulary/);
    expect(() => new KlAccumulator(3).result()).toThrow(/no scored positions/);
  });
});

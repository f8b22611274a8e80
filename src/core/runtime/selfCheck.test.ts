import { describe, expect, it } from 'vitest';
import { compareRuns, runSelfCheck, selfCheckBatch, SELF_CHECK_CONFIG, type Run } from './selfCheck';

const run = (nll: number[], logits: number[], grads: Record<string, number[]>, fbNll = nll): Run => ({
  nll: Float32Array.from(nll),
  logits: Float32Array.from(logits),
  fbNll: Float32Array.from(fbNll),
  grads: new Map(Object.entries(grads).map(([k, v]) => [k, Float32Array.from(v)])),
});

describe('WebGPU self-check', () => {
  it('compares NLL (both graphs), logits and every gradient tensor against the wasm run', () => {
    const ref = run([1, 2], [2, -4], { 'fisher.L0.q': [1, 2], 'fisher.L0.k': [4] });
    // Hand-computed: |ΔNLL| 0.5; logits 0.5 / max|logit| 4; worst tensor 0.5 / 2.
    const other = run([1, 2.5], [2, -3.5], { 'fisher.L0.q': [1, 2.5], 'fisher.L0.k': [4] });
    expect(compareRuns(ref, other)).toEqual({ maxAbsNllDiff: 0.5, maxRelLogitDiff: 0.125, worstRelGradDiff: 0.25 });
    expect(compareRuns(ref, ref)).toEqual({ maxAbsNllDiff: 0, maxRelLogitDiff: 0, worstRelGradDiff: 0 });
    // The forward+backward graph's NLL counts too.
    expect(
      compareRuns(ref, run([1, 2], [2, -4], { 'fisher.L0.q': [1, 2], 'fisher.L0.k': [4] }, [1, 2.25])).maxAbsNllDiff,
    ).toBe(0.25);
  });

  it('a missing, extra, short or NaN output fails instead of passing', () => {
    const ref = run([1], [1], { a: [1], b: [2] });
    expect(compareRuns(ref, run([1], [1], { a: [1] })).worstRelGradDiff).toBe(Infinity);
    expect(compareRuns(ref, run([1], [1], { a: [1], b: [2], c: [0] })).worstRelGradDiff).toBe(Infinity);
    expect(compareRuns(ref, run([], [1], { a: [1], b: [2] })).maxAbsNllDiff).toBe(Infinity);
    expect(compareRuns(ref, run([NaN], [1], { a: [1], b: [2] })).maxAbsNllDiff).toBeNaN();
    expect(compareRuns(ref, run([1], [NaN], { a: [1], b: [2] })).maxRelLogitDiff).toBeNaN();
    // A NaN tensor first, a good one after: the NaN is kept.
    expect(compareRuns(ref, run([1], [1], { a: [NaN], b: [2] })).worstRelGradDiff).toBeNaN();
  });

  it('feeds rows whose targets are the next tokens, inside the vocabulary', () => {
    const b = selfCheckBatch();
    expect([b.batch, b.seq, b.tokens.length, b.targets.length]).toEqual([2, 16, 32, 32]);
    for (let r = 0; r < 2; r++)
      for (let i = 0; i + 1 < 16; i++) expect(b.targets[r * 16 + i]).toBe(b.tokens[r * 16 + i + 1]);
    expect(
      [...Array.from(b.tokens), ...Array.from(b.targets)].every((t) => t >= 0 && t < SELF_CHECK_CONFIG.vocabSize),
    ).toBe(true);
  });

  it('wasm against itself gives exactly zero on every figure (the harness runs both graphs for real)', async () => {
    const f = await runSelfCheck(1, 'wasm');
    expect([f.maxAbsNllDiff, f.maxRelLogitDiff, f.worstRelGradDiff]).toEqual([0, 0, 0]);
    expect(f.seconds).toBeGreaterThan(0);
  });
});

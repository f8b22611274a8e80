// The histogram binning (exact bin edges from the bit pattern) and the stated bound of histogram budget
// answers against the exact ranking, on a synthetic large case with ties and NaNs.
import { describe, expect, it } from 'vitest';
import { answerBudget, rankGlobally } from '../fgmp/policy.ts';
import { PROJECTIONS } from '../model/types.ts';
import { tauForShare } from '../actquant/tau.ts';
import {
  columnLowerEdge,
  histogramColumn,
  histogramColumns as histogramColumnsOf,
  HistogramIndex,
  scoreHistogram,
} from './histogram.ts';
import { defaultHistogramSpec } from './format.ts';
import { rng, syntheticScores } from './testUtil.ts';

const spec = defaultHistogramSpec();

describe('histogram bins', () => {
  it('puts every score between its bin edges, bins span a ratio <= 1 + 2^-m', () => {
    const r = rng(3);
    for (let i = 0; i < 20000; i++) {
      const s = 2 ** (-100 + 132 * r()) * (1 + r());
      const c = histogramColumn(s, spec);
      expect(c).toBeGreaterThanOrEqual(1);
      expect(c).toBeLessThanOrEqual(spec.bins + 1);
      if (c <= spec.bins) {
        const lo = columnLowerEdge(c, spec);
        const hi = columnLowerEdge(c + 1, spec);
        expect(lo).toBeLessThanOrEqual(s);
        expect(s).toBeLessThan(hi);
        expect(hi / lo).toBeLessThanOrEqual(1 + 2 ** -spec.mantissaBits);
      }
    }
  });

  it('hand-worked keys: 1.0, 1.03125, 2^-100, edge cases', () => {
    // 1.0 = exponent 1023, mantissa 0: key 1023·32; keyMin = 923·32, so column 1 + 100·32.
    expect(histogramColumn(1, spec)).toBe(1 + 100 * 32);
    expect(histogramColumn(1 + 1 / 32, spec)).toBe(2 + 100 * 32);
    expect(histogramColumn(1 + 1 / 32 - 2 ** -40, spec)).toBe(1 + 100 * 32);
    expect(histogramColumn(2 ** -100, spec)).toBe(1);
    expect(histogramColumn(2 ** -101, spec)).toBe(0);
    expect(histogramColumn(0, spec)).toBe(0);
    expect(histogramColumn(-0, spec)).toBe(0);
    expect(histogramColumn(2 ** 32, spec)).toBe(spec.bins + 1);
    expect(histogramColumn(Infinity, spec)).toBe(spec.bins + 1);
    expect(histogramColumn(NaN, spec)).toBe(spec.bins + 2);
    expect(columnLowerEdge(1 + 100 * 32, spec)).toBe(1);
    expect(columnLowerEdge(2 + 100 * 32, spec)).toBe(1.03125);
  });

  it('the bulk histogram equals per-score binning', () => {
    const s = syntheticScores(50000, 4, { tieShare: 0.2, nanShare: 0.01 });
    s[0] = 0;
    s[1] = Infinity;
    s[2] = 1e-300;
    const h = scoreHistogram(s, spec);
    const ref = new Int32Array(histogramColumnsOf(spec));
    for (const v of s) ref[histogramColumn(v, spec)]++;
    expect(Array.from(h)).toEqual(Array.from(ref));
  });
});

describe('budget answers from histograms: the stated bound', () => {
  // 60 tensors of different sizes, ~1.2 M blocks, log-normal scores with ties and NaNs.
  const sizes = Array.from({ length: 60 }, (_, i) => 4000 + ((i * 7919) % 37) * 1000);
  const scored = sizes.map((n, i) => ({
    layer: Math.floor(i / 7),
    proj: PROJECTIONS[i % 7],
    rows: n,
    cols: 16,
    scores: syntheticScores(n, i, { tieShare: 0.1, nanShare: 0.0005 }),
  }));
  const ranking = rankGlobally(scored);
  const rows = new Int32Array(sizes.length * histogramColumnsOf(spec));
  scored.forEach((t, i) => rows.set(scoreHistogram(t.scores, spec), i * histogramColumnsOf(spec)));
  const index = new HistogramIndex(rows, sizes.length, spec);

  it('Σ fp8 = k exactly and |fp8_t − exact_t| <= the tensor’s blocks in the boundary bin', { timeout: 120_000 }, () => {
    let maxErrShare = 0;
    for (const p of [0, 0.0001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.999, 1]) {
      const exact = answerBudget(ranking, p);
      const h = index.answerBudget(p);
      expect(h.k).toBe(exact.k);
      expect(h.fp8Counts.reduce((a, b) => a + b, 0)).toBe(exact.k);
      for (let t = 0; t < sizes.length; t++) {
        const d = Math.abs(h.fp8Counts[t] - exact.fp8Counts[t]);
        expect(d).toBeLessThanOrEqual(h.slack[t]);
        maxErrShare = Math.max(maxErrShare, d / sizes[t]);
      }
      // The exact threshold lies in the boundary bin.
      if (exact.k > 0 && Number.isFinite(exact.threshold) && exact.threshold > 0)
        expect(histogramColumn(exact.threshold, spec)).toBe(h.boundary);
    }
    // Bins are 3 % wide: the per-tensor share error stays small on this distribution.
    expect(maxErrShare).toBeLessThan(0.01);
  });

  it('activation budgets from a histogram ask the live τ rule’s count; the live τ is not above the boundary bin', () => {
    const acts = [0, 1, 2].map((i) => Float32Array.from(syntheticScores(30000, 900 + i, { tieShare: 0.3 })));
    const arow = new Int32Array(3 * histogramColumnsOf(spec));
    acts.forEach((a, i) => arow.set(scoreHistogram(a, spec), i * histogramColumnsOf(spec)));
    const ai = new HistogramIndex(arow, 3, spec);
    for (const p of [0.1, 0.3]) {
      const live = tauForShare(acts, p);
      const h = ai.answerBudget(p);
      expect(h.k).toBe(live.requested);
      let above = 0;
      for (const a of acts) for (const v of a) if (v > live.tau) above++;
      expect(above).toBe(live.fp8);
      // live τ is the highest score left in NVFP4: never in a bin ranked above the boundary bin.
      expect(histogramColumn(live.tau, spec)).toBeLessThanOrEqual(h.boundary);
    }
  });
});

// crossEntropyBackward (reference/ops.ts) against finite differences of the mean rowNll in float64, with
// unscored rows, a dominant logit and a target that is not the largest logit.
import { describe, expect, it } from 'vitest';
import { crossEntropyBackward, rowNll } from './ops';

const V = 7;
const targets = [3, -1, 0, 6, 2];
const rows = targets.length;
// Deterministic logits on a few scales; row 2 has one dominant logit (probabilities near 0 and 1).
const logits = Float64Array.from({ length: rows * V }, (_, i) => Math.sin(1.3 * i + 0.7) * (1 + (i % 3)));
logits[2 * V + 4] = 9;

const meanNll = (l: Float64Array) => {
  let sum = 0;
  let n = 0;
  targets.forEach((t, r) => {
    if (t < 0) return;
    sum += rowNll(l, r * V, V, t);
    n++;
  });
  return sum / n;
};

// Richardson extrapolation of central differences at h and h/2 (truncation error O(h^4)), as gradcheck.test.ts.
const H = 2 ** -10;
function fd(i: number): number {
  const central = (h: number) => {
    const l = Float64Array.from(logits);
    l[i] = logits[i] + h;
    const up = meanNll(l);
    l[i] = logits[i] - h;
    return (up - meanNll(l)) / (2 * h);
  };
  return (4 * central(H / 2) - central(H)) / 3;
}

describe('reference crossEntropyBackward', () => {
  it('equals finite differences of the mean NLL over the scored rows (float64), unscored rows untouched', () => {
    const count = targets.filter((t) => t >= 0).length;
    const d = new Float64Array(rows * V).fill(NaN);
    crossEntropyBackward(d, logits, targets, V, count);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < V; j++) {
        const i = r * V + j;
        if (targets[r] < 0) {
          expect(Number.isNaN(d[i]), `row ${r} is not scored and must not be written`).toBe(true);
          continue;
        }
        const numeric = fd(i);
        expect(Math.abs(d[i] - numeric), `dlogits[${r}, ${j}]: ${d[i]} vs ${numeric}`).toBeLessThan(1e-10);
      }
  });

  it('each scored row sums to zero and its target entry is (p − 1) / count', () => {
    const d = new Float64Array(rows * V);
    crossEntropyBackward(d, logits, targets, V, 4);
    targets.forEach((t, r) => {
      if (t < 0) return;
      const row = d.subarray(r * V, (r + 1) * V);
      expect(Math.abs(row.reduce((a, b) => a + b, 0))).toBeLessThan(1e-16);
      const p = Math.exp(-rowNll(logits, r * V, V, t));
      expect(row[t]).toBeCloseTo((p - 1) / 4, 15);
    });
  });
});

// Quality beyond perplexity, as llama.cpp's `llama-perplexity --kl-divergence` reports it: for every scored
// position, the quantized model's next-token distribution q against the float32 model's p.
//   KL(p‖q) = Σ_v p_v (log p_v − log q_v)          (mean, median, 99th percentile over positions)
//   top-1   = share of positions where argmax q = argmax p
//   Δp      = q(correct) − p(correct)               (mean and RMS)
// Everything in float64 from float32 logits; nothing is stored but one KL value per position.

export interface KlStats {
  /** Mean KL divergence (nats). */
  kl: number;
  klMedian: number;
  klP99: number;
  /** Share of positions whose most likely token agrees. */
  top1: number;
  /** Mean and RMS of the change in the correct token's probability. */
  dpMean: number;
  dpRms: number;
  positions: number;
}

/** log-softmax of one row into out (float64). */
function logSoftmax(logits: ArrayLike<number>, offset: number, vocab: number, out: Float64Array): number {
  let max = -Infinity;
  let arg = 0;
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v];
    if (x > max) {
      max = x;
      arg = v;
    }
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
  const lse = max + Math.log(sum);
  for (let v = 0; v < vocab; v++) out[v] = logits[offset + v] - lse;
  return arg;
}

/** Accumulates KL statistics over batches of positions. */
export class KlAccumulator {
  private kls: number[] = [];
  private agree = 0;
  private dpSum = 0;
  private dpSq = 0;
  private readonly lp: Float64Array;
  private readonly lq: Float64Array;

  constructor(readonly vocab: number) {
    if (!Number.isInteger(vocab) || vocab < 1)
      throw new Error(`vocabulary size must be a positive integer, got ${vocab}`);
    this.lp = new Float64Array(vocab);
    this.lq = new Float64Array(vocab);
  }

  /**
   * Adds positions: reference and quantized logits [n · vocab], the correct next token of each, and an
   * optional mask (1 = scored) so that unscored positions of a window are skipped.
   */
  add(
    reference: ArrayLike<number>,
    quantized: ArrayLike<number>,
    targets: ArrayLike<number>,
    mask?: ArrayLike<number>,
  ): void {
    const V = this.vocab;
    const n = targets.length;
    if (reference.length !== n * V || quantized.length !== n * V)
      throw new Error(
        `logits must hold ${n} × ${V} values (reference ${reference.length}, quantized ${quantized.length})`,
      );
    for (let i = 0; i < n; i++) {
      if (mask && !mask[i]) continue;
      const t = targets[i];
      if (!(Number.isInteger(t) && t >= 0 && t < V))
        throw new Error(`target ${t} at position ${i} is outside the vocabulary (0..${V - 1})`);
      const ap = logSoftmax(reference, i * V, V, this.lp);
      const aq = logSoftmax(quantized, i * V, V, this.lq);
      let kl = 0;
      for (let v = 0; v < V; v++) {
        const p = Math.exp(this.lp[v]);
        if (p > 0) kl += p * (this.lp[v] - this.lq[v]);
      }
      // Rounding can leave a tiny negative for identical distributions; KL is never below 0.
      this.kls.push(Math.max(0, kl));
      if (ap === aq) this.agree++;
      const dp = Math.exp(this.lq[t]) - Math.exp(this.lp[t]);
      this.dpSum += dp;
      this.dpSq += dp * dp;
    }
  }

  result(): KlStats {
    const n = this.kls.length;
    if (n === 0) throw new Error('no scored positions: KL statistics need at least one');
    const sorted = Float64Array.from(this.kls).sort();
    return {
      kl: this.kls.reduce((s, x) => s + x, 0) / n,
      klMedian: quantile(sorted, 0.5),
      klP99: quantile(sorted, 0.99),
      top1: this.agree / n,
      dpMean: this.dpSum / n,
      dpRms: Math.sqrt(this.dpSq / n),
      positions: n,
    };
  }
}

/** Linear-interpolated quantile of sorted values (numpy's default, "linear"). */
export function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

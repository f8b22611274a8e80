// AdamW (Loshchilov & Hutter; PyTorch's torch.optim.AdamW): decoupled weight decay, bias-corrected
// moments. For each parameter p with gradient g at step t (from 1):
//   p ← p − lr·λ·p          (only where decay applies)
//   m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²
//   p ← p − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
// Arithmetic in float64 per element, stored in float32: deterministic.

import type { Parameter } from './params';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export class AdamW {
  /** Completed updates. */
  t = 0;
  readonly m: Float32Array[];
  readonly v: Float32Array[];

  constructor(
    readonly params: readonly Parameter[],
    readonly config: AdamWConfig = DEFAULT_ADAMW,
  ) {
    this.m = params.map((p) => new Float32Array(p.values.length));
    this.v = params.map((p) => new Float32Array(p.values.length));
  }

  /** One update with gradients in the same order as the parameters. */
  update(grads: readonly Float32Array[], lr: number): void {
    if (grads.length !== this.params.length)
      throw new Error(`AdamW: ${grads.length} gradients for ${this.params.length} parameters`);
    const { beta1, beta2, eps, weightDecay } = this.config;
    this.t++;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    this.params.forEach((param, i) => {
      const p = param.values;
      const g = grads[i];
      if (g.length !== p.length)
        throw new Error(`AdamW: gradient of ${param.name} has ${g.length} values, the parameter ${p.length}`);
      const m = this.m[i];
      const v = this.v[i];
      const decay = param.decay ? 1 - lr * weightDecay : 1;
      for (let j = 0; j < p.length; j++) {
        const gj = g[j];
        const mj = beta1 * m[j] + (1 - beta1) * gj;
        const vj = beta2 * v[j] + (1 - beta2) * gj * gj;
        m[j] = mj;
        v[j] = vj;
        p[j] = p[j] * decay - (lr * (mj / c1)) / (Math.sqrt(vj / c2) + eps);
      }
    });
  }
}

/** √(Σ g²) over all gradients, in float64. */
export function globalNorm(grads: readonly Float32Array[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

/** Scales the gradients in place so their global norm is at most maxNorm; returns the norm before. */
export function clipGlobalNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalNorm(grads);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  return norm;
}

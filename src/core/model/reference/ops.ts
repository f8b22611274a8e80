// Plain kernels of the reference Llama forward and backward. Every kernel works on row-major [rows, width]
// blocks and is generic over the working precision: the arrays it writes are Float64Array (the float64 oracle,
// used by finite-difference checks) or Float32Array (the float32 path, close to llama2.c's run.c). Sums run in
// JavaScript doubles and are rounded once when stored, so the float32 path rounds where run.c stores a value.

export type RefArray = Float32Array | Float64Array;
export type Precision = 'float32' | 'float64';
export type RefArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

export function arrayConstructor(precision: Precision): RefArrayConstructor {
  if (precision === 'float32') return Float32Array;
  if (precision === 'float64') return Float64Array;
  throw new Error(`unknown precision '${String(precision)}': use 'float32' or 'float64'`);
}

type Readable = ArrayLike<number>;

/** y[t, r] = Σ_c W[r, c] · x[t, c]  (W row-major [outDim, inDim], y = W x per row). */
export function linear(y: RefArray, x: Readable, w: Readable, rows: number, inDim: number, outDim: number): void {
  for (let t = 0; t < rows; t++) {
    const xo = t * inDim;
    const yo = t * outDim;
    for (let r = 0; r < outDim; r++) {
      const wo = r * inDim;
      let s = 0;
      for (let c = 0; c < inDim; c++) s += w[wo + c] * x[xo + c];
      y[yo + r] = s;
    }
  }
}

/** dx[t, c] = Σ_r W[r, c] · dy[t, r]  (Wᵀ dy; overwrites dx). */
export function linearInputGrad(
  dx: RefArray,
  dy: Readable,
  w: Readable,
  rows: number,
  inDim: number,
  outDim: number,
): void {
  const acc = new Float64Array(inDim);
  for (let t = 0; t < rows; t++) {
    acc.fill(0);
    for (let r = 0; r < outDim; r++) {
      const g = dy[t * outDim + r];
      if (g === 0) continue;
      const wo = r * inDim;
      for (let c = 0; c < inDim; c++) acc[c] += g * w[wo + c];
    }
    dx.set(acc, t * inDim);
  }
}

/** dW[r, c] += Σ_t dy[t, r] · x[t, c]  (dyᵀ x, accumulated). */
export function linearWeightGrad(
  dw: RefArray,
  dy: Readable,
  x: Readable,
  rows: number,
  inDim: number,
  outDim: number,
): void {
  const acc = new Float64Array(inDim);
  for (let r = 0; r < outDim; r++) {
    acc.fill(0);
    for (let t = 0; t < rows; t++) {
      const g = dy[t * outDim + r];
      if (g === 0) continue;
      const xo = t * inDim;
      for (let c = 0; c < inDim; c++) acc[c] += g * x[xo + c];
    }
    const wo = r * inDim;
    for (let c = 0; c < inDim; c++) dw[wo + c] += acc[c];
  }
}

/** RMSNorm per row: out = w ⊙ x / sqrt(mean(x²) + eps); keeps 1/rms per row for the backward. */
export function rmsnorm(
  out: RefArray,
  invRms: RefArray,
  x: Readable,
  w: Readable,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let t = 0; t < rows; t++) {
    const o = t * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
    invRms[t] = 1 / Math.sqrt(ss / dim + eps);
    const r = invRms[t];
    for (let i = 0; i < dim; i++) out[o + i] = w[i] * (r * x[o + i]);
  }
}

/**
 * Backward of rmsnorm. With r = (mean(x²)+eps)^-1/2 and y = w ⊙ x · r:
 * dx_j += r·w_j·dy_j − x_j·r³/dim · Σ_i w_i·dy_i·x_i ;  dw_i += Σ_t dy_i·x_i·r.
 */
export function rmsnormBackward(
  dx: RefArray,
  dw: RefArray,
  dy: Readable,
  x: Readable,
  w: Readable,
  invRms: Readable,
  rows: number,
  dim: number,
): void {
  const dwAcc = new Float64Array(dim);
  for (let t = 0; t < rows; t++) {
    const o = t * dim;
    const r = invRms[t];
    let dot = 0;
    for (let i = 0; i < dim; i++) {
      dot += w[i] * dy[o + i] * x[o + i];
      dwAcc[i] += dy[o + i] * x[o + i] * r;
    }
    const k = (r * r * r * dot) / dim;
    for (let i = 0; i < dim; i++) dx[o + i] += r * w[i] * dy[o + i] - x[o + i] * k;
  }
  for (let i = 0; i < dim; i++) dw[i] += dwAcc[i];
}

/**
 * RoPE angle tables [positions, headSize/2] as in run.c: pair j of a head (elements 2j, 2j+1) rotates by
 * pos · invFreq[j] (model/rope.ts: theta^(−2j/headSize), rope_scaling applied). The float32 path computes the
 * angle in float32 like run.c (pos * freq, then cosf, sinf); the float64 path in double.
 */
export function ropeTables(
  positions: number,
  invFreq: ArrayLike<number>,
  precision: Precision,
): { cos: RefArray; sin: RefArray } {
  const half = invFreq.length;
  const F = arrayConstructor(precision);
  const cos = new F(positions * half);
  const sin = new F(positions * half);
  const round = precision === 'float32' ? Math.fround : (v: number) => v;
  for (let j = 0; j < half; j++) {
    const freq = invFreq[j];
    for (let pos = 0; pos < positions; pos++) {
      const angle = round(pos * freq);
      cos[pos * half + j] = Math.cos(angle);
      sin[pos * half + j] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** Rotates interleaved pairs (i, i+1) of every head in place; row t sits at position startPos + t. */
export function ropeApply(
  v: RefArray,
  rows: number,
  width: number,
  headSize: number,
  cos: Readable,
  sin: Readable,
  startPos: number,
): void {
  const half = headSize / 2;
  for (let t = 0; t < rows; t++) {
    const tab = (startPos + t) * half;
    const o = t * width;
    for (let i = 0; i < width; i += 2) {
      const j = (i % headSize) / 2;
      const c = cos[tab + j];
      const s = sin[tab + j];
      const v0 = v[o + i];
      const v1 = v[o + i + 1];
      v[o + i] = v0 * c - v1 * s;
      v[o + i + 1] = v0 * s + v1 * c;
    }
  }
}

/** Backward of ropeApply: the transpose of a rotation is the rotation by the opposite angle. */
export function ropeBackward(
  d: RefArray,
  rows: number,
  width: number,
  headSize: number,
  cos: Readable,
  sin: Readable,
  startPos: number,
): void {
  const half = headSize / 2;
  for (let t = 0; t < rows; t++) {
    const tab = (startPos + t) * half;
    const o = t * width;
    for (let i = 0; i < width; i += 2) {
      const j = (i % headSize) / 2;
      const c = cos[tab + j];
      const s = sin[tab + j];
      const d0 = d[o + i];
      const d1 = d[o + i + 1];
      d[o + i] = d0 * c + d1 * s;
      d[o + i + 1] = -d0 * s + d1 * c;
    }
  }
}

export interface AttentionShape {
  nHeads: number;
  nKvHeads: number;
  headSize: number;
  /** Rows of the probability buffer: probs is [nHeads, capacity, capacity]. */
  capacity: number;
}

/** The key/value head that query head h reads (grouped-query attention). */
export const kvHeadOf = (h: number, s: AttentionShape): number => Math.floor(h / (s.nHeads / s.nKvHeads));

/**
 * Causal attention for query rows at positions startPos .. startPos+rows−1. q is [rows, dim] (those rows
 * only); keys and values are [capacity, kvDim] at absolute positions and must hold positions 0 .. the last
 * query. Softmax probabilities go to probs[h, pos, 0..pos] (kept for the backward); out is [rows, dim].
 */
export function attention(
  out: RefArray,
  probs: RefArray,
  q: Readable,
  keys: Readable,
  values: Readable,
  rows: number,
  startPos: number,
  s: AttentionShape,
): void {
  const { nHeads, headSize, capacity } = s;
  const dim = nHeads * headSize;
  const kvDim = s.nKvHeads * headSize;
  const scale = 1 / Math.sqrt(headSize);
  const scores = new Float64Array(startPos + rows);
  const acc = new Float64Array(headSize);
  for (let t = 0; t < rows; t++) {
    const pos = startPos + t;
    for (let h = 0; h < nHeads; h++) {
      const qo = t * dim + h * headSize;
      const ko = kvHeadOf(h, s) * headSize;
      let max = -Infinity;
      for (let p = 0; p <= pos; p++) {
        let dot = 0;
        for (let i = 0; i < headSize; i++) dot += q[qo + i] * keys[p * kvDim + ko + i];
        scores[p] = dot * scale;
        if (scores[p] > max) max = scores[p];
      }
      let sum = 0;
      for (let p = 0; p <= pos; p++) {
        scores[p] = Math.exp(scores[p] - max);
        sum += scores[p];
      }
      const po = (h * capacity + pos) * capacity;
      acc.fill(0);
      for (let p = 0; p <= pos; p++) {
        probs[po + p] = scores[p] / sum;
        const a = probs[po + p];
        for (let i = 0; i < headSize; i++) acc[i] += a * values[p * kvDim + ko + i];
      }
      out.set(acc, qo);
    }
  }
}

/**
 * Backward of attention over a whole sequence (positions 0..rows−1): from dOut [rows, dim] accumulates
 * dq [rows, dim], dk and dv [rows, kvDim] (gradients with respect to the rotated q and k).
 * With P = softmax(S), S = q·k/√headSize:  dP = dOut·v,  dS = P ⊙ (dP − Σ P ⊙ dP).
 */
export function attentionBackward(
  dq: RefArray,
  dk: RefArray,
  dv: RefArray,
  dOut: Readable,
  probs: Readable,
  q: Readable,
  keys: Readable,
  values: Readable,
  rows: number,
  s: AttentionShape,
): void {
  const { nHeads, headSize, capacity } = s;
  const dim = nHeads * headSize;
  const kvDim = s.nKvHeads * headSize;
  const scale = 1 / Math.sqrt(headSize);
  const dScores = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    for (let h = 0; h < nHeads; h++) {
      const qo = t * dim + h * headSize;
      const ko = kvHeadOf(h, s) * headSize;
      const po = (h * capacity + t) * capacity;
      let weighted = 0;
      for (let p = 0; p <= t; p++) {
        let dp = 0;
        for (let i = 0; i < headSize; i++) dp += dOut[qo + i] * values[p * kvDim + ko + i];
        dScores[p] = dp;
        weighted += probs[po + p] * dp;
        const a = probs[po + p];
        for (let i = 0; i < headSize; i++) dv[p * kvDim + ko + i] += a * dOut[qo + i];
      }
      for (let p = 0; p <= t; p++) {
        const ds = probs[po + p] * (dScores[p] - weighted) * scale;
        if (ds === 0) continue;
        for (let i = 0; i < headSize; i++) {
          dq[qo + i] += ds * keys[p * kvDim + ko + i];
          dk[p * kvDim + ko + i] += ds * q[qo + i];
        }
      }
    }
  }
}

/** SiLU-gated product silu(g) ⊙ u, with silu(g) = g·σ(g). */
export function swiglu(out: RefArray, gate: Readable, up: Readable, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}

/** Backward of swiglu: du = da·silu(g), dg = da·u·σ(g)·(1 + g·(1 − σ(g))). */
export function swigluBackward(
  dGate: RefArray,
  dUp: RefArray,
  dAct: Readable,
  gate: Readable,
  up: Readable,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const sig = 1 / (1 + Math.exp(-g));
    dUp[i] = dAct[i] * g * sig;
    dGate[i] = dAct[i] * up[i] * sig * (1 + g * (1 - sig));
  }
}

/** Natural-log softmax cross-entropy of one logits row: logsumexp(row) − row[target]. */
export function rowNll(logits: Readable, offset: number, n: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (logits[offset + j] > max) max = logits[offset + j];
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(logits[offset + j] - max);
  return max + Math.log(sum) - logits[offset + target];
}

/**
 * Backward of the mean of rowNll over the scored rows (targets[t] < 0: not scored, its row left as is):
 * dlogits[t] = (softmax(logits[t]) − onehot(targets[t])) / count, count = the number of scored rows.
 */
export function crossEntropyBackward(
  dLogits: RefArray,
  logits: Readable,
  targets: ArrayLike<number>,
  vocab: number,
  count: number,
): void {
  for (let t = 0; t < targets.length; t++) {
    if (targets[t] < 0) continue;
    const o = t * vocab;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) if (logits[o + j] > max) max = logits[o + j];
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[o + j] - max);
    for (let j = 0; j < vocab; j++) dLogits[o + j] = Math.exp(logits[o + j] - max) / sum / count;
    dLogits[o + targets[t]] -= 1 / count;
  }
}

/** Index of the largest value (the first one on ties, like run.c's argmax). */
export function argmax(a: Readable, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[offset + j] > a[offset + best]) best = j;
  return best;
}

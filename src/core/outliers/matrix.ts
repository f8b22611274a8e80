// Row-major matrix helpers for the outlier methods: activations X [tokens, channels], weights
// W [outputs, channels] (rows = output features, as in llama2.c), products Y = X·Wᵀ in float64.

/** The shape of one linear layer's product: X [tokens, channels] · Wᵀ, W [outputs, channels]. */
export interface LinearShape {
  tokens: number;
  channels: number;
  outputs: number;
}

/** y = x · wᵀ for row-major x [tokens, k] and w [out, k], accumulated in float64. */
export function matmulTransposed(
  x: Float32Array,
  w: Float32Array,
  tokens: number,
  k: number,
  out: number,
): Float64Array {
  const y = new Float64Array(tokens * out);
  for (let t = 0; t < tokens; t++) {
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[t * k + i] * w[o * k + i];
      y[t * out + o] = s;
    }
  }
  return y;
}

/** Per column (input channel): max over rows of |m[r, c]|. */
export function channelAbsMax(m: Float32Array, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < m.length; i++) out[i % cols] = Math.max(out[i % cols], Math.abs(m[i]));
  return out;
}

/** A copy with only the listed columns kept (the others zero), or with them zeroed when `invert`. */
export function selectColumns(m: Float32Array, cols: number, keep: readonly number[], invert = false): Float32Array {
  const set = new Set(keep);
  const out = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = set.has(i % cols) !== invert ? m[i] : 0;
  return out;
}

export function checkShape(x: Float32Array, w: Float32Array, s: LinearShape): void {
  if (x.length !== s.tokens * s.channels)
    throw new RangeError(`activations have ${x.length} values, expected ${s.tokens} × ${s.channels}`);
  if (w.length !== s.outputs * s.channels)
    throw new RangeError(`weights have ${w.length} values, expected ${s.outputs} × ${s.channels}`);
}

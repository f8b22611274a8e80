// The mixed-precision activation quantization unit (DESIGN.md §3 "Activations on the fly"), as the exact
// float32 rule that the ONNX subgraph in graph.ts computes. Every line below is one IEEE float32 operation
// (Math.fround after each); the graph does the same operations except where fewer ops give the same bits
// (saturation as Min before rounding, the sign put back by Sign(x)·: graph.ts says why each is exact), and
// the tests compare the two bit for bit.
//
// For one token x[0..in) of a linear layer's input and its 16-channel blocks (the last one shorter when
// in % 16 != 0; it is padded with zeros, which change neither the maxima nor the score):
//   finite amax:  non-finite elements (NaN, ±Inf) are left out of every amax, so they never spread;
//   NVFP4:  ts = tokenAmax / 2688 (6·448); blockScale = E4M3(blockAmax / 6 / ts); s = blockScale · ts;
//           Q_lo = E2M1(x / s) · s                      (s = 0, i.e. an all-zero block: Q_lo = 0)
//   FP8:    s8 = tokenAmax / 448;  Q_hi = E4M3(x / s8) · s8   (s8 = 0: Q_hi = 0)
//   score:  S = Σ_c f_c (Q_lo − Q_hi)², summed as a fixed binary tree over the 16 lanes
//           (lane j + lane j+8, then j + j+4, j + j+2, j + j+1)
//   choice: FP8 when S > τ, else NVFP4.
// Rounding (E4M3 and E2M1, round-to-nearest-even, saturating): onnxruntime-web's wasm Cast to float8 needs
// opset 19 while the model graphs are opset 17 (reductions changed in 18), so the unit rounds with
// plain float32 arithmetic that is exactly RNE (checked exhaustively against the formats core):
//   |v| below the smallest normal: (v + M) − M with M = 1.5·2^(23 + quantum exponent) (float add is RNE);
//   otherwise Veltkamp's split c = v·(2^k + 1), hi = c − (c − v) keeps 24 − k significant bits, RNE;
//   |v| ≥ max saturates to ±max (so ±Inf gives ±max); NaN stays NaN.
// NaN policy: a NaN element gives NaN out (its block's score is NaN, so it is never chosen as FP8);
// the other elements of its token are quantized as if it were absent.

const f = Math.fround;

export const ACT_BLOCK = 16;

/** Constants of one minifloat rounding by arithmetic. */
export interface ArithRounding {
  /** Largest finite value; |v| >= max saturates. */
  max: number;
  /** Smallest normal; below it the quantum is fixed. */
  minNormal: number;
  /** 1.5·2^(23 + log2 quantum of the subnormal range). */
  magic: number;
  /** 2^(24 − significant bits) + 1 (Veltkamp splitter). */
  splitter: number;
}

export const E4M3_ARITH: ArithRounding = { max: 448, minNormal: 2 ** -6, magic: 1.5 * 2 ** 14, splitter: 2 ** 20 + 1 };
export const E2M1_ARITH: ArithRounding = { max: 6, minNormal: 1, magic: 1.5 * 2 ** 22, splitter: 2 ** 22 + 1 };

/** Magnitude rounding of a >= 0 (or NaN), as the graph computes it. */
export function roundMagnitude(a: number, r: ArithRounding): number {
  const sub = f(f(a + r.magic) - r.magic);
  const c = f(a * r.splitter);
  const d = f(c - a);
  const hi = f(c - d);
  const rounded = a < r.minNormal ? sub : hi;
  return a >= r.max ? r.max : rounded;
}

/** Signed rounding: magnitude rounded, sign put back (negative values keep a −0). */
export function roundSigned(v: number, r: ArithRounding): number {
  const m = roundMagnitude(Math.abs(v), r);
  return v < 0 ? -m : m;
}

export const roundE4M3Arith = (v: number): number => roundSigned(v, E4M3_ARITH);
export const roundE2M1Arith = (v: number): number => roundSigned(v, E2M1_ARITH);

export interface ActQuantInput {
  /** Row-major [tokens, inFeatures]. */
  x: Float32Array;
  tokens: number;
  inFeatures: number;
  /** Per-channel activation Fisher, length inFeatures (or padded to whole blocks with zeros). */
  fisher: Float32Array;
  /** FP8 when the block score is > tau (float32). */
  tau: number;
}

export interface ActQuantResult {
  /** Mixed fake-quantized activations [tokens, inFeatures]. */
  out: Float32Array;
  /** NVFP4 version [tokens, inFeatures]. */
  qLo: Float32Array;
  /** FP8 version [tokens, inFeatures]. */
  qHi: Float32Array;
  /** Block scores [tokens, blocks]. */
  scores: Float32Array;
  /** 1 = FP8, [tokens, blocks]. */
  mask: Uint8Array;
  blocksPerToken: number;
}

export const actBlocksPerToken = (inFeatures: number): number => Math.ceil(inFeatures / ACT_BLOCK);

function checkInput(i: ActQuantInput): number {
  const { tokens, inFeatures } = i;
  if (!Number.isInteger(tokens) || tokens < 0 || !Number.isInteger(inFeatures) || inFeatures < 1)
    throw new Error(`activation unit: invalid shape [${tokens}, ${inFeatures}]`);
  if (i.x.length !== tokens * inFeatures)
    throw new Error(`activation unit: x has ${i.x.length} values, expected ${tokens}×${inFeatures}`);
  const nb = actBlocksPerToken(inFeatures);
  if (i.fisher.length !== inFeatures && i.fisher.length !== nb * ACT_BLOCK)
    throw new Error(`activation unit: Fisher has ${i.fisher.length} channels, expected ${inFeatures}`);
  return nb;
}

/** The unit's rule on a whole [tokens, in] matrix (TypeScript reference of the graph). */
export function quantizeActivations(input: ActQuantInput): ActQuantResult {
  const nb = checkInput(input);
  const { x, tokens, inFeatures: n, fisher } = input;
  const tau = f(input.tau);
  const P = nb * ACT_BLOCK;
  const out = new Float32Array(tokens * n);
  const qLo = new Float32Array(tokens * n);
  const qHi = new Float32Array(tokens * n);
  const scores = new Float32Array(tokens * nb);
  const mask = new Uint8Array(tokens * nb);
  const ql = new Float32Array(P);
  const qh = new Float32Array(P);
  const w = new Float32Array(ACT_BLOCK);
  const bamax = new Float64Array(nb);
  for (let t = 0; t < tokens; t++) {
    const row = t * n;
    let tamax = 0;
    bamax.fill(0);
    for (let c = 0; c < n; c++) {
      const a = Math.abs(x[row + c]);
      const af = a < Infinity ? a : 0;
      const b = (c / ACT_BLOCK) | 0;
      if (af > bamax[b]) bamax[b] = af;
      if (af > tamax) tamax = af;
    }
    const ts = f(tamax / 2688);
    const tsSafe = ts === 0 ? 1 : ts;
    const s8 = f(tamax / 448);
    const s8Safe = s8 === 0 ? 1 : s8;
    for (let b = 0; b < nb; b++) {
      const braw = f(f(bamax[b] / 6) / tsSafe);
      const bs = roundMagnitude(braw, E4M3_ARITH);
      const sLo = f(bs * ts);
      const sLoSafe = sLo === 0 ? 1 : sLo;
      for (let j = 0; j < ACT_BLOCK; j++) {
        const c = b * ACT_BLOCK + j;
        const v = c < n ? x[row + c] : 0;
        const lo = f(roundSigned(f(v / sLoSafe), E2M1_ARITH) * sLo);
        const hi = f(roundSigned(f(v / s8Safe), E4M3_ARITH) * s8);
        ql[c] = lo;
        qh[c] = hi;
        const d = f(lo - hi);
        w[j] = f(f(d * d) * (c < fisher.length ? fisher[c] : 0));
      }
      for (let half = ACT_BLOCK / 2; half >= 1; half >>= 1) for (let j = 0; j < half; j++) w[j] = f(w[j] + w[j + half]);
      const s = w[0];
      scores[t * nb + b] = s;
      mask[t * nb + b] = s > tau ? 1 : 0;
    }
    for (let c = 0; c < n; c++) {
      qLo[row + c] = ql[c];
      qHi[row + c] = qh[c];
      // As the graph's Where(S > τ, Q_hi, Q_lo): onnxruntime-web returns +0 for a selected first-branch −0.
      out[row + c] = mask[t * nb + ((c / ACT_BLOCK) | 0)] ? (qh[c] === 0 ? 0 : qh[c]) : ql[c];
    }
  }
  return { out, qLo, qHi, scores, mask, blocksPerToken: nb };
}

/** Fisher padded with zeros to whole 16-channel blocks (the graph's per-site Fisher input). */
export function padFisher(fisher: ArrayLike<number>, inFeatures: number): Float32Array {
  if (fisher.length !== inFeatures)
    throw new Error(`activation Fisher has ${fisher.length} channels, expected ${inFeatures}`);
  const p = new Float32Array(actBlocksPerToken(inFeatures) * ACT_BLOCK);
  for (let i = 0; i < inFeatures; i++) p[i] = fisher[i];
  return p;
}

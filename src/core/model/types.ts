// Shared model types: every loader produces these, every engine (reference, ONNX graph) consumes them.
// Matrices are row-major [out, in] (y = W x), as in llama2.c.
import { boxMuller, unitOpen, xorshift32 } from '../random';

export interface LlamaConfig {
  /** Model width (embedding size). */
  dim: number;
  /** Hidden size of the SwiGLU feed-forward block. */
  hiddenDim: number;
  nLayers: number;
  /** Query heads. headSize = dim / nHeads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention when < nHeads). kvDim = headSize * nKvHeads. */
  nKvHeads: number;
  vocabSize: number;
  /** Context length the model was trained with. */
  maxSeqLen: number;
  /** RoPE base (10000 for llama2.c checkpoints). */
  ropeTheta: number;
  /** RMSNorm epsilon (1e-5 for llama2.c checkpoints). */
  normEps: number;
  /** True when the classifier (lm head) is the token embedding matrix. */
  sharedClassifier: boolean;
  /** Hugging Face `rope_scaling` (absent: plain RoPE). src/core/model/rope.ts turns it into frequencies. */
  ropeScaling?: RopeScaling;
}

/**
 * RoPE scaling as transformers implements it (modeling_rope_utils.py): `linear` divides positions by
 * factor; `dynamic` (NTK) raises the base once the sequence exceeds originalMaxPositions; `llama3`
 * divides the low frequencies by factor and blends the band between low/high frequency factors.
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'dynamic'; factor: number; originalMaxPositions: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/** The seven linear projections of a transformer block, in the order the app lists them. */
export const PROJECTIONS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export interface LayerWeights {
  /** RMSNorm gain before attention [dim]. */
  attnNorm: Float32Array;
  /** [dim, dim] */
  q: Float32Array;
  /** [kvDim, dim] */
  k: Float32Array;
  /** [kvDim, dim] */
  v: Float32Array;
  /** [dim, dim] */
  o: Float32Array;
  /** RMSNorm gain before the feed-forward block [dim]. */
  ffnNorm: Float32Array;
  /** w1 in llama2.c [hiddenDim, dim] */
  gate: Float32Array;
  /** w3 in llama2.c [hiddenDim, dim] */
  up: Float32Array;
  /** w2 in llama2.c [dim, hiddenDim] */
  down: Float32Array;
}

export interface LlamaWeights {
  /** [vocabSize, dim] */
  tokenEmbedding: Float32Array;
  layers: LayerWeights[];
  /** [dim] */
  finalNorm: Float32Array;
  /** [vocabSize, dim]; the same array object as tokenEmbedding when config.sharedClassifier. */
  classifier: Float32Array;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Text to ids; BOS/EOS are added only when asked. */
  encode(text: string, options?: { bos?: boolean; eos?: boolean }): number[];
  /** Ids to text (BOS/EOS dropped, byte-fallback tokens joined into UTF-8). */
  decode(ids: readonly number[]): string;
  /** The token's string form as stored in the vocabulary (for tables and hovers). */
  piece(id: number): string;
}

export interface LlamaModel {
  config: LlamaConfig;
  weights: LlamaWeights;
  /** Present when the checkpoint format carries one (GGUF, HF) or one was loaded beside it. */
  tokenizer?: Tokenizer;
  /** Where it came from, for the UI, URLs and model cards. */
  source: { format: 'llama2c' | 'gguf' | 'safetensors' | 'random'; name: string; bytes?: number };
}

export const headSize = (c: LlamaConfig): number => c.dim / c.nHeads;
export const kvDim = (c: LlamaConfig): number => (c.dim / c.nHeads) * c.nKvHeads;

/** [rows, cols] of a projection's weight matrix. */
export function projectionShape(c: LlamaConfig, p: Projection): [number, number] {
  switch (p) {
    case 'q':
    case 'o':
      return [c.dim, c.dim];
    case 'k':
    case 'v':
      return [kvDim(c), c.dim];
    case 'gate':
    case 'up':
      return [c.hiddenDim, c.dim];
    case 'down':
      return [c.dim, c.hiddenDim];
  }
}

/** Parameters counted once (a shared classifier is not counted twice). */
export function parameterCount(c: LlamaConfig): number {
  let perLayer = 2 * c.dim;
  for (const p of PROJECTIONS) {
    const [r, k] = projectionShape(c, p);
    perLayer += r * k;
  }
  return c.vocabSize * c.dim * (c.sharedClassifier ? 1 : 2) + c.nLayers * perLayer + c.dim;
}

/** RoPE bases and RMSNorm epsilons outside these bounds are corrupt files, not models. */
export const ROPE_THETA_RANGE = [1, 1e12] as const;
export const NORM_EPS_RANGE = [1e-12, 0.1] as const;

const inRange = (v: number, [lo, hi]: readonly [number, number]) => Number.isFinite(v) && v >= lo && v <= hi;

/** Throws a clear error when the config is not a valid Llama shape (every number finite and in a sane range). */
export function validateConfig(c: LlamaConfig): void {
  const ints: (keyof LlamaConfig)[] = ['dim', 'hiddenDim', 'nLayers', 'nHeads', 'nKvHeads', 'vocabSize', 'maxSeqLen'];
  for (const key of ints) {
    const v = c[key] as number;
    if (!Number.isInteger(v) || v <= 0 || v > 1 << 24) throw new Error(`invalid model config: ${key} = ${v}`);
  }
  if (c.dim % c.nHeads !== 0)
    throw new Error(`invalid model config: dim ${c.dim} is not a multiple of nHeads ${c.nHeads}`);
  if (c.nHeads % c.nKvHeads !== 0)
    throw new Error(`invalid model config: nHeads ${c.nHeads} is not a multiple of nKvHeads ${c.nKvHeads}`);
  if ((c.dim / c.nHeads) % 2 !== 0)
    throw new Error(`invalid model config: head size ${c.dim / c.nHeads} is odd (RoPE needs pairs)`);
  if (!inRange(c.ropeTheta, ROPE_THETA_RANGE))
    throw new Error(`invalid model config: ropeTheta = ${c.ropeTheta} is outside ${ROPE_THETA_RANGE.join('..')}`);
  if (!inRange(c.normEps, NORM_EPS_RANGE))
    throw new Error(`invalid model config: normEps = ${c.normEps} is outside ${NORM_EPS_RANGE.join('..')}`);
  if (typeof c.sharedClassifier !== 'boolean')
    throw new Error('invalid model config: sharedClassifier must be a boolean');
  if (c.ropeScaling !== undefined) validateRopeScaling(c.ropeScaling);
}

/** transformers' checks (modeling_rope_utils _validate_*), as errors: a bad value would change every logit. */
export function validateRopeScaling(r: RopeScaling): void {
  const bad = (what: string) => {
    throw new Error(`invalid model config: ropeScaling (${r.type}) ${what}`);
  };
  if (!inRange(r.factor, [1, 1e6])) bad(`factor = ${r.factor} is outside 1..1000000`);
  if (r.type === 'linear') return;
  if (r.type !== 'dynamic' && r.type !== 'llama3') bad(`type is not linear, dynamic or llama3`);
  // transformers only warns when originalMaxPositions >= maxSeqLen; scaled-down test models do that.
  if (!Number.isInteger(r.originalMaxPositions) || r.originalMaxPositions <= 0 || r.originalMaxPositions > 1 << 24)
    bad(`originalMaxPositions = ${r.originalMaxPositions} is not an integer in 1..${1 << 24}`);
  if (r.type === 'llama3') {
    if (!inRange(r.lowFreqFactor, [1e-6, 1e6])) bad(`lowFreqFactor = ${r.lowFreqFactor} is not a positive number`);
    if (!inRange(r.highFreqFactor, [1e-6, 1e6]) || !(r.highFreqFactor > r.lowFreqFactor))
      bad(`highFreqFactor = ${r.highFreqFactor} must be a positive number above lowFreqFactor ${r.lowFreqFactor}`);
  }
}

/** Deterministic random model (xorshift32-based normal init), for tests and benches of a given shape. */
export function randomModel(config: LlamaConfig, seed = 1, scale = 0.05): LlamaModel {
  validateConfig(config);
  const normal = boxMuller(unitOpen(xorshift32(seed)));
  const mat = (n: number, sd = scale) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = normal() * sd;
    return a;
  };
  const gain = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = 1 + 0.1 * normal();
    return a;
  };
  const tokenEmbedding = mat(config.vocabSize * config.dim, 1 / Math.sqrt(config.dim) + scale);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const w = {} as LayerWeights;
    w.attnNorm = gain(config.dim);
    for (const p of PROJECTIONS) {
      const [r, k] = projectionShape(config, p);
      w[p] = mat(r * k, 1 / Math.sqrt(k));
    }
    w.ffnNorm = gain(config.dim);
    layers.push(w);
  }
  const finalNorm = gain(config.dim);
  const classifier = config.sharedClassifier
    ? tokenEmbedding
    : mat(config.vocabSize * config.dim, 1 / Math.sqrt(config.dim));
  return {
    config,
    weights: { tokenEmbedding, layers, finalNorm, classifier },
    source: { format: 'random', name: `random-seed${seed}` },
  };
}

/** The stories15M shape used by benches (vocab 32000, seq 256). */
export const STORIES15M_SHAPE: LlamaConfig = {
  dim: 288,
  hiddenDim: 768,
  nLayers: 6,
  nHeads: 6,
  nKvHeads: 6,
  vocabSize: 32000,
  maxSeqLen: 256,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

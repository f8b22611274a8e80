// Named model shapes: the configs of real Llama checkpoints, for random-weight models of the same size
// (`random:SHAPE[:SEED]` wherever a MODEL is accepted; benches; tests). Sources:
//  - stories*: karpathy/llama2.c README table (dim, layers, heads, context) and model.py's hidden size rule
//    (hidden = 4·dim, ×2/3, rounded up to a multiple of 32); stories260K: the checkpoint's own header
//    (../shared/data/models/stories260K.bin); shared classifier, norm eps 1e-5, RoPE theta 10000;
//  - smollm-135m: HuggingFaceTB/SmolLM-135M config.json (576 wide, 30 layers, 9 heads / 3 KV heads, tied);
//  - llama2-7b: meta-llama/Llama-2-7b-hf config.json (4096 wide, 32 layers, 11008 hidden, untied).
import { parameterCount, randomModel, type LlamaConfig, type LlamaModel } from './types.ts';

const llama2c = (dim: number, hiddenDim: number, nLayers: number, nHeads: number, maxSeqLen: number): LlamaConfig => ({
  dim,
  hiddenDim,
  nLayers,
  nHeads,
  nKvHeads: nHeads,
  vocabSize: 32000,
  maxSeqLen,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
});

export const MODEL_SHAPES = {
  stories260K: { ...llama2c(64, 172, 5, 8, 512), nKvHeads: 4, vocabSize: 512 },
  stories15M: llama2c(288, 768, 6, 6, 256),
  stories42M: llama2c(512, 1376, 8, 8, 1024),
  stories110M: llama2c(768, 2048, 12, 12, 1024),
  'smollm-135m': {
    dim: 576,
    hiddenDim: 1536,
    nLayers: 30,
    nHeads: 9,
    nKvHeads: 3,
    vocabSize: 49152,
    maxSeqLen: 2048,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: true,
  },
  'llama2-7b': {
    dim: 4096,
    hiddenDim: 11008,
    nLayers: 32,
    nHeads: 32,
    nKvHeads: 32,
    vocabSize: 32000,
    maxSeqLen: 4096,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: false,
  },
} as const satisfies Record<string, LlamaConfig>;

export type ShapeName = keyof typeof MODEL_SHAPES;
export const SHAPE_NAMES = Object.keys(MODEL_SHAPES) as ShapeName[];

/** Shapes whose float32 weights are too big to materialise here (26 GB for llama2-7b): config only. */
export const CONFIG_ONLY_SHAPES: readonly ShapeName[] = ['llama2-7b'];

export function shapeConfig(name: string): LlamaConfig {
  if (!Object.hasOwn(MODEL_SHAPES, name))
    throw new Error(`unknown model shape "${name}" (known: ${SHAPE_NAMES.join(', ')})`);
  return { ...MODEL_SHAPES[name as ShapeName] };
}

export interface RandomSpec {
  shape: ShapeName;
  seed: number;
  config: LlamaConfig;
}

export const isRandomSpec = (s: string): boolean => s.startsWith('random:');

/** Parses `random:SHAPE[:SEED]` (seed a non-negative integer, default 1). */
export function parseRandomSpec(s: string): RandomSpec {
  const parts = s.split(':');
  if (parts[0] !== 'random' || parts.length < 2 || parts.length > 3)
    throw new Error(`expected random:SHAPE[:SEED], got "${s}" (shapes: ${SHAPE_NAMES.join(', ')})`);
  const config = shapeConfig(parts[1]);
  const seed = parts.length === 3 ? Number(parts[2]) : 1;
  if (parts.length === 3 && (!/^\d+$/.test(parts[2]) || !Number.isSafeInteger(seed)))
    throw new Error(`the seed of "${s}" must be a non-negative integer, got "${parts[2]}"`);
  return { shape: parts[1] as ShapeName, seed, config };
}

/** Bytes of the float32 weights of a config. */
export const float32Bytes = (c: LlamaConfig): number => 4 * parameterCount(c);

/**
 * A random-weight model of a named shape (randomModel's deterministic init). Refuses config-only shapes, whose
 * weights would not fit in memory.
 */
export function randomShapeModel(spec: RandomSpec | string): LlamaModel {
  const s = typeof spec === 'string' ? parseRandomSpec(spec) : spec;
  if (CONFIG_ONLY_SHAPES.includes(s.shape))
    throw new Error(
      `random:${s.shape} has ${(float32Bytes(s.config) / 1e9).toFixed(1)} GB of float32 weights: only commands that need no weights (e.g. info) accept it`,
    );
  return randomModel(s.config, s.seed);
}

// Systematic names of graph inputs (weights) and outputs (NLL, logits, linear inputs, Fisher, gradient sums).
import { PROJECTIONS, type LlamaConfig, type LlamaModel, type LlamaWeights, type Projection } from '../model/types.ts';

/** Per-layer parameters: the seven projections and the two norm gains. */
export const LAYER_PARAMS = ['attnNorm', 'q', 'k', 'v', 'o', 'ffnNorm', 'gate', 'up', 'down'] as const;
export type LayerParam = (typeof LAYER_PARAMS)[number];
export type GlobalParam = 'tokenEmbedding' | 'finalNorm' | 'classifier';

/** Graph input name of a layer parameter, e.g. "L0.q". */
export const layerWeightName = (layer: number, p: LayerParam): string => `L${layer}.${p}`;

/** Every weight input of the graphs, in a fixed order (the classifier only when not shared). */
export function weightInputNames(c: LlamaConfig): string[] {
  const names = ['tokenEmbedding'];
  for (let l = 0; l < c.nLayers; l++) for (const p of LAYER_PARAMS) names.push(layerWeightName(l, p));
  names.push('finalNorm');
  if (!c.sharedClassifier) names.push('classifier');
  return names;
}

/** The weight array behind a graph input name. */
export function weightByName(w: LlamaWeights, name: string): Float32Array {
  if (name === 'tokenEmbedding' || name === 'finalNorm' || name === 'classifier') return w[name];
  const m = /^L(\d+)\.(\w+)$/.exec(name);
  if (!m || !(LAYER_PARAMS as readonly string[]).includes(m[2]) || !w.layers[+m[1]])
    throw new Error(`unknown weight name "${name}"`);
  return w.layers[+m[1]][m[2] as LayerParam];
}

/** Shape [rows, cols] (or [n]) of a weight input. */
export function weightShape(c: LlamaConfig, name: string): number[] {
  if (name === 'tokenEmbedding' || name === 'classifier') return [c.vocabSize, c.dim];
  if (name === 'finalNorm') return [c.dim];
  const p = name.split('.')[1] as LayerParam;
  if (p === 'attnNorm' || p === 'ffnNorm') return [c.dim];
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  if (p === 'k' || p === 'v') return [kv, c.dim];
  if (p === 'gate' || p === 'up') return [c.hiddenDim, c.dim];
  if (p === 'down') return [c.dim, c.hiddenDim];
  return [c.dim, c.dim];
}

/** Σ_s g_s² of a linear weight, [out, in]. */
export const fisherName = (layer: number, p: Projection): string => `fisher.L${layer}.${p}`;
/** Σ_s g_s of any parameter (graph input name after "gradsum."); a shared classifier's gradient is folded into tokenEmbedding. */
export const gradSumName = (weight: string): string => `gradsum.${weight}`;
/** Σ over tokens of (W_p^T dY_p)² per input channel of projection p, [in]. */
export const actFisherName = (layer: number, p: Projection): string => `actfisher.L${layer}.${p}`;
/** The input of projection p (after any activation transform), [batch, seq, in]. */
export const linearInputName = (layer: number, p: Projection): string => `input.L${layer}.${p}`;

/** Input features of projection p. */
export const projectionInFeatures = (c: LlamaConfig, p: Projection): number => (p === 'down' ? c.hiddenDim : c.dim);

export const ALL_PROJECTIONS = PROJECTIONS;

/** Convenience: weights of a model keyed by graph input name. */
export function weightFeeds(model: LlamaModel): Map<string, Float32Array> {
  return new Map(weightInputNames(model.config).map((n) => [n, weightByName(model.weights, n)]));
}

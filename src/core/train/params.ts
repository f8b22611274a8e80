// The trainable parameters of a Llama model, named as the ONNX graphs name their weight inputs
// (tokenEmbedding, L0.q, ..., finalNorm, classifier when not shared), and their initialisation.

import { weightByName, weightInputNames } from '../graph/names';
import {
  PROJECTIONS,
  projectionShape,
  validateConfig,
  type LayerWeights,
  type LlamaConfig,
  type LlamaModel,
} from '../model/types';
import { Rng } from './rng';

export interface Parameter {
  name: string;
  values: Float32Array;
  /** Weight decay applies to matrices (embedding, projections, classifier), not to norm gains. */
  decay: boolean;
}

export function parametersOf(model: LlamaModel): Parameter[] {
  return weightInputNames(model.config).map((name) => ({
    name,
    values: weightByName(model.weights, name),
    decay: !/Norm$/.test(name),
  }));
}

/**
 * A fresh model as llama2.c's model.py initialises one: every matrix N(0, 0.02²), the residual
 * output projections (o and down) N(0, (0.02/√(2·layers))²), norm gains 1. Deterministic in `seed`.
 */
export function initialModel(config: LlamaConfig, seed: number, name = 'untrained'): LlamaModel {
  validateConfig(config);
  const rng = new Rng(seed);
  const normal = (n: number, sd: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal() * sd;
    return a;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  const std = 0.02;
  const residualStd = std / Math.sqrt(2 * config.nLayers);
  const tokenEmbedding = normal(config.vocabSize * config.dim, std);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const layer = { attnNorm: ones(config.dim), ffnNorm: ones(config.dim) } as LayerWeights;
    for (const p of PROJECTIONS) {
      const [rows, cols] = projectionShape(config, p);
      layer[p] = normal(rows * cols, p === 'o' || p === 'down' ? residualStd : std);
    }
    layers.push(layer);
  }
  const finalNorm = ones(config.dim);
  const classifier = config.sharedClassifier ? tokenEmbedding : normal(config.vocabSize * config.dim, std);
  return { config, weights: { tokenEmbedding, layers, finalNorm, classifier }, source: { format: 'random', name } };
}

/** A deep copy (the shared classifier stays shared). */
export function cloneModel(model: LlamaModel): LlamaModel {
  const w = model.weights;
  const tokenEmbedding = w.tokenEmbedding.slice();
  return {
    config: { ...model.config },
    weights: {
      tokenEmbedding,
      layers: w.layers.map(
        (l) =>
          Object.fromEntries(
            Object.entries(l).map(([k, v]) => [k, (v as Float32Array).slice()]),
          ) as unknown as LayerWeights,
      ),
      finalNorm: w.finalNorm.slice(),
      classifier: model.config.sharedClassifier ? tokenEmbedding : w.classifier.slice(),
    },
    source: { ...model.source },
  };
}

// MODEL = random:SHAPE[:SEED]: a random-weight llama of a named shape (src/core/model/shapes.ts) instead of a
// file. Commands that run the model get its weights; `info` also describes config-only shapes (llama2-7b),
// whose weights are never made.
import type { LoadedCheckpoint, LoadReport } from '../core/model/loaders/common.ts';
import type { LlamaModel } from '../core/model/types.ts';
import { CONFIG_ONLY_SHAPES, parseRandomSpec, randomShapeModel, type RandomSpec } from '../core/model/shapes.ts';
import { PROJECTIONS, parameterCount, projectionShape, type LlamaConfig } from '../core/model/types.ts';
import { UsageError } from './args.ts';

export { isRandomSpec } from '../core/model/shapes.ts';

export function randomSpecArgument(modelPath: string): RandomSpec {
  try {
    return parseRandomSpec(modelPath);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Whether the spec names a shape whose weights are never materialised (only `info` accepts it). */
export const isConfigOnly = (spec: RandomSpec): boolean => CONFIG_ONLY_SHAPES.includes(spec.shape);

/** The report `info` prints for a random model (format "random": no file was read). */
export function randomReport(spec: RandomSpec, tensors: LoadReport['tensors']): LoadReport {
  return {
    format: 'random' as unknown as LoadReport['format'],
    variant: `random weights, ${spec.shape} shape, seed ${spec.seed}`,
    name: `random:${spec.shape}:${spec.seed}`,
    bytes: 4 * parameterCount(spec.config),
    tensors,
    nanCount: 0,
    nonFinite: { nan: 0, inf: 0 },
    warnings: [],
  };
}

/** The random model of `random:SHAPE[:SEED]`, as a loaded checkpoint (refuses config-only shapes). */
export function loadRandomModel(modelPath: string): LoadedCheckpoint {
  const spec = randomSpecArgument(modelPath);
  let model;
  try {
    model = randomShapeModel(spec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const tensors = configTensors(spec.config).map((t) => ({
    ...t,
    storedName: t.name,
    dtype: 'F32',
    nanCount: 0,
    nonFinite: { nan: 0, inf: 0 },
  }));
  return { model, report: randomReport(spec, tensors) };
}

/** Canonical tensor names and shapes of a config, without weights (for config-only shapes). */
export function configTensors(c: LlamaConfig): { name: string; shape: number[]; numel: number }[] {
  const out: { name: string; shape: number[] }[] = [{ name: 'tokenEmbedding', shape: [c.vocabSize, c.dim] }];
  for (let l = 0; l < c.nLayers; l++) {
    out.push({ name: `layers.${l}.attnNorm`, shape: [c.dim] });
    // namedTensors' order: attnNorm, q, k, v, o, ffnNorm, gate, up, down.
    for (const p of PROJECTIONS.slice(0, 4)) out.push({ name: `layers.${l}.${p}`, shape: projectionShape(c, p) });
    out.push({ name: `layers.${l}.ffnNorm`, shape: [c.dim] });
    for (const p of PROJECTIONS.slice(4)) out.push({ name: `layers.${l}.${p}`, shape: projectionShape(c, p) });
  }
  out.push({ name: 'finalNorm', shape: [c.dim] });
  if (!c.sharedClassifier) out.push({ name: 'classifier', shape: [c.vocabSize, c.dim] });
  return out.map((t) => ({ ...t, numel: t.shape.reduce((a, b) => a * b, 1) }));
}

/** Parameter groups of a config, computed from shapes alone (info's breakdown without weights). */
export function configParameterBreakdown(c: LlamaConfig): Record<string, number> {
  const t = configTensors(c);
  const sum = (re: RegExp) => t.filter((x) => re.test(x.name)).reduce((a, x) => a + x.numel, 0);
  return {
    total: parameterCount(c),
    embedding: c.vocabSize * c.dim,
    classifier: c.sharedClassifier ? 0 : c.vocabSize * c.dim,
    attention: sum(/\.(q|k|v|o)$/),
    feedForward: sum(/\.(gate|up|down)$/),
    norms: sum(/Norm$/),
  };
}

/**
 * `info` on a config-only shape: the config and a tensor table without weights (dtype "none"). The model
 * object carries the config alone; nothing may read its weights.
 */
export function configOnlyCheckpoint(spec: RandomSpec): LoadedCheckpoint {
  const tensors = configTensors(spec.config).map((t) => ({
    ...t,
    storedName: t.name,
    dtype: 'none',
    nanCount: 0,
    nonFinite: { nan: 0, inf: 0 },
  }));
  return { model: { config: spec.config } as unknown as LlamaModel, report: randomReport(spec, tensors) };
}

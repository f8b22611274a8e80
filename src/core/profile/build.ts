// A profile from a calibrated model, built from the core's primitives: prepareWeights (NVFP4 with the
// chosen clipping, FP8) and scoreTensors (the policies' block scores) one layer at a time, the calibration's
// activation Fisher, and the calibration activation block scores (the unit's rule on the float32 model).
// The scores are exactly what the live pipeline ranks, so a profile's answers equal live answers.
import { CLIP_GRID, prepareWeights, scoreTensors, type ClipMode } from '../fgmp/index.ts';
import { parameterCount, type LlamaModel } from '../model/types.ts';
import {
  blocksPerRow,
  defaultHistogramSpec,
  STORED_POLICIES,
  tensorTable,
  type CalibrationInfo,
  type EvaluationInfo,
  type ProfileMeta,
  type HistogramSpec,
  type StoredPolicy,
} from './format.ts';
import { histogramColumnUnbounded } from './histogram.ts';
import { ProfileWriter, type ByteSink, type WriterOptions } from './writer.ts';

/** What calibrate() returns that a profile needs (CalibrationResult has these fields). */
export interface CalibrationFisher {
  /** Per-element weight Fisher keyed "L{layer}.{proj}". */
  weightFisher: ReadonlyMap<string, Float32Array>;
  /** Per-channel activation Fisher keyed "L{layer}.{proj}". */
  activationFisher: Map<string, Float32Array>;
}

export interface ProfileBuildInput {
  model: LlamaModel;
  modelName: string;
  modelSha256: string | null;
  tokenizer: { name: string; sha256: string | null } | null;
  calibration: CalibrationFisher;
  calibrationInfo: CalibrationInfo;
  /** Calibration activation block scores keyed "L{layer}.{proj}", [M, bpr] (FgmpSession.calibrationScores()). */
  activationScores: Map<string, Float32Array>;
  /** Calibration positions M. */
  activationTokens: number;
  clip: ClipMode;
  fp8Scaling: 'tensor' | 'row';
  /** Seed of the random baseline (the live session's seed; default 0). */
  randomSeed?: number;
  policies?: readonly StoredPolicy[];
  /** 'full' stores every activation score (exact τ); 'histogram' only their histograms. */
  activationStorage?: 'full' | 'histogram';
  evaluation?: EvaluationInfo | null;
  onProgress?: (done: number, total: number) => void;
}

const key = (layer: number, proj: string) => `L${layer}.${proj}`;

/** The metadata of a profile of this model and calibration. */
export function buildMeta(i: ProfileBuildInput): ProfileMeta {
  const c = i.model.config;
  return {
    version: 1,
    model: { name: i.modelName, sha256: i.modelSha256, parameters: parameterCount(c), config: { ...c } },
    tokenizer: i.tokenizer,
    tensors: tensorTable(c),
    quantization: {
      blockSize: 16,
      clip: i.clip,
      clipGrid: [...CLIP_GRID],
      fp8Scaling: i.fp8Scaling,
      randomSeed: i.randomSeed ?? 0,
    },
    policies: [...(i.policies ?? STORED_POLICIES)],
    histogram: defaultHistogramSpec(),
    calibration: i.calibrationInfo,
    activations: { tokens: i.activationTokens, scores: i.activationStorage ?? 'full' },
    evaluation: i.evaluation ?? null,
  };
}

/** Index into the grid of each block's chosen ratio (the ratios are float32 copies of grid values). */
export function clipIndices(ratios: Float32Array, grid: readonly number[]): Uint8Array {
  const g32 = grid.map((a) => Math.fround(a));
  const out = new Uint8Array(ratios.length);
  for (let b = 0; b < ratios.length; b++) {
    const j = g32.indexOf(ratios[b]);
    if (j < 0) throw new Error(`clip ratio ${ratios[b]} of block ${b} is not on the clip grid`);
    out[b] = j;
  }
  return out;
}

/**
 * The narrowest binning (default resolution) that holds every positive finite score: fewer empty columns in
 * the shipped histograms. Falls back to the default range when there is no positive finite score.
 */
export function tightHistogramSpec(arrays: Iterable<ArrayLike<number>>): HistogramSpec {
  const d = defaultHistogramSpec();
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays)
    for (let k = 0; k < a.length; k++) {
      const v = a[k];
      if (v > 0 && v < Infinity) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  if (!(lo <= hi)) return d;
  // Column 1 + key − keyMin for a key; keys from the bit pattern, as histogramColumn computes them.
  const keyOf = (v: number) => d.keyMin + histogramColumnUnbounded(v, d) - 1;
  const keyMin = keyOf(lo);
  return { mantissaBits: d.mantissaBits, keyMin, bins: keyOf(hi) - keyMin + 1 };
}

/** Writes the profile: every tensor quantized and scored (only scores and clip indices kept), then streamed. */
export async function writeModelProfile(
  i: ProfileBuildInput,
  sink: ByteSink,
  options: WriterOptions = {},
): Promise<ProfileMeta> {
  const base = buildMeta(i);
  const c = i.model.config;
  const total = base.tensors.length;
  const tensors: {
    clip: Uint8Array;
    scores: Partial<Record<StoredPolicy, Float64Array>>;
    actFisher: Float32Array;
    actScores: Float32Array;
  }[] = [];
  for (let layer = 0; layer < c.nLayers; layer++) {
    const prepared = prepareWeights(c, i.model.weights, {
      clip: i.clip,
      fp8Scale: i.fp8Scaling,
      layers: [layer],
      fisher: (l, p) => i.calibration.weightFisher.get(key(l, p)),
    });
    const scored = new Map(
      base.policies.map((p) => [p, scoreTensors(prepared, p, { seed: base.quantization.randomSeed })]),
    );
    for (let j = 0; j < prepared.length; j++) {
      const t = prepared[j];
      const actFisher = i.calibration.activationFisher.get(key(t.layer, t.proj));
      const actScores = i.activationScores.get(key(t.layer, t.proj));
      if (!actFisher) throw new Error(`calibration lacks the activation Fisher of layer ${t.layer} ${t.proj}`);
      if (!actScores) throw new Error(`no calibration activation scores for layer ${t.layer} ${t.proj}`);
      if (actScores.length !== i.activationTokens * blocksPerRow(t.cols))
        throw new Error(
          `activation scores of layer ${t.layer} ${t.proj}: ${actScores.length} values for ${i.activationTokens} positions`,
        );
      const scores: Partial<Record<StoredPolicy, Float64Array>> = {};
      for (const p of base.policies) scores[p] = scored.get(p)![j].scores as Float64Array;
      tensors.push({ clip: clipIndices(t.quant.clipRatio, base.quantization.clipGrid), scores, actFisher, actScores });
    }
  }
  const meta: ProfileMeta = {
    ...base,
    histogram: tightHistogramSpec(tensors.flatMap((t) => [...Object.values(t.scores), t.actScores])),
  };
  const writer = await ProfileWriter.begin(meta, sink, options);
  for (const [k, t] of tensors.entries()) {
    await writer.writeTensor(t);
    i.onProgress?.(k + 1, total);
  }
  await writer.finish();
  return meta;
}

// The FGMP profile format, version 1 (docs/profile-format.md): constants, tensor names and the metadata
// types. A profile is a safetensors file; everything structured lives in `__metadata__` as JSON strings.
import { PROJECTIONS, type LlamaConfig, type Projection } from '../model/types.ts';
import { BLOCK_SIZE } from '../fgmp/blocks.ts';
import type { ClipMode } from '../fgmp/quantize.ts';

export const PROFILE_FORMAT = 'fgmp-profile';
export const PROFILE_VERSION = 1;

/** Policies whose per-block scores a profile may store (random is recomputed from its seed; uniform uses fgmp). */
export const STORED_POLICIES = ['fgmp', 'unweighted', 'error', 'magnitude'] as const;
export type StoredPolicy = (typeof STORED_POLICIES)[number];

/** Metadata keys. */
export const META = {
  format: 'fgmp.format',
  version: 'fgmp.version',
  model: 'fgmp.model',
  tokenizer: 'fgmp.tokenizer',
  tensors: 'fgmp.tensors',
  quantization: 'fgmp.quantization',
  policies: 'fgmp.policies',
  histogram: 'fgmp.histogram',
  calibration: 'fgmp.calibration',
  activations: 'fgmp.activations',
  evaluation: 'fgmp.evaluation',
} as const;

export const weightScoreName = (layer: number, proj: Projection, policy: StoredPolicy): string =>
  `weight.L${layer}.${proj}.score.${policy}`;
export const weightClipName = (layer: number, proj: Projection): string => `weight.L${layer}.${proj}.clip`;
export const weightHistName = (policy: StoredPolicy): string => `weight.hist.${policy}`;
export const actFisherTensorName = (layer: number, proj: Projection): string => `act.L${layer}.${proj}.fisher`;
export const actScoresTensorName = (layer: number, proj: Projection): string => `act.L${layer}.${proj}.scores`;
export const ACT_HIST_NAME = 'act.hist';

export interface ProfileTensor {
  layer: number;
  proj: Projection;
  rows: number;
  cols: number;
}

export interface ModelInfo {
  name: string;
  sha256: string | null;
  parameters: number;
  config: LlamaConfig;
}

export interface QuantizationInfo {
  blockSize: number;
  clip: ClipMode;
  clipGrid: number[];
  fp8Scaling: 'tensor' | 'row';
  randomSeed: number;
}

export interface HistogramSpec {
  /** Top mantissa bits kept in a bin key (bins span a score ratio ≤ 1 + 2^-m). */
  mantissaBits: number;
  /** Key of the lowest regular bin. */
  keyMin: number;
  /** Regular bins; a row has bins + 3 columns (underflow, regular…, overflow, NaN). */
  bins: number;
}

export interface CalibrationInfo {
  tokens: number;
  sequences: number;
  seqLen: number;
  source: string;
  textSha256: string | null;
  seed: number | null;
  meanNll: number;
  seconds: number;
  engine: string;
  threads: number | null;
  producer: string;
  versions: Record<string, string>;
}

export interface ActivationsInfo {
  /** Calibration positions M (sequences × seqLen). */
  tokens: number;
  scores: 'full' | 'histogram';
}

/** One configuration of the evaluation sweep: the object `fgmp run --json` prints (required fields typed). */
export interface SweepPoint {
  policy: string;
  budget: number;
  actBudget: number | null;
  clip: ClipMode;
  ppl: number;
  meanNll: number;
  [field: string]: unknown;
}

export interface EvaluationInfo {
  source: string;
  textSha256: string | null;
  seed: number | null;
  tokens: number;
  positions: number;
  float32Ppl: number;
  float32MeanNll: number;
  points: SweepPoint[];
}

export interface ProfileMeta {
  version: number;
  model: ModelInfo;
  tokenizer: { name: string; sha256: string | null } | null;
  tensors: ProfileTensor[];
  quantization: QuantizationInfo;
  policies: StoredPolicy[];
  histogram: HistogramSpec;
  calibration: CalibrationInfo;
  activations: ActivationsInfo;
  evaluation: EvaluationInfo | null;
}

/** The default binning: m = 5 (ratio ≤ 1 + 1/32 per bin), 2^-100 .. 2^32. */
export function defaultHistogramSpec(): HistogramSpec {
  const m = 5;
  return { mantissaBits: m, keyMin: (1023 - 100) << m, bins: 132 << m };
}

/** Blocks per row (16-element blocks along each output row, the last one shorter). */
export const blocksPerRow = (cols: number): number => Math.ceil(cols / BLOCK_SIZE);

/** The tensor table a config implies, canonical order (layer, PROJECTIONS). */
export function tensorTable(c: LlamaConfig): ProfileTensor[] {
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const shape: Record<Projection, [number, number]> = {
    q: [c.dim, c.dim],
    k: [kv, c.dim],
    v: [kv, c.dim],
    o: [c.dim, c.dim],
    gate: [c.hiddenDim, c.dim],
    up: [c.hiddenDim, c.dim],
    down: [c.dim, c.hiddenDim],
  };
  const out: ProfileTensor[] = [];
  for (let layer = 0; layer < c.nLayers; layer++)
    for (const proj of PROJECTIONS) out.push({ layer, proj, rows: shape[proj][0], cols: shape[proj][1] });
  return out;
}

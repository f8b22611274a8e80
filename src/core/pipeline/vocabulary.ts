// The pipeline's one vocabulary: every layer (CLI, worker, store, views, share URL) names a policy, a
// clipping mode, an FP8 scaling, a data source and a tensor with these types. Spellings that differ (the
// share URL's "per-tensor"/"per-channel") are translated once, in src/core/url/shareState.ts.
import type { Projection } from '../model/types.ts';

export { POLICY_KINDS, CLIP_MODES, type PolicyKind, type ClipMode } from '../fgmp/index.ts';

/** FP8 weight scale granularity: one scale per tensor or one per output row. */
export type Fp8Scaling = 'tensor' | 'row';
export const FP8_SCALINGS: readonly Fp8Scaling[] = ['tensor', 'row'];

/** Shapes a random model can take (trying the instrument at a real size without a file). */
export const RANDOM_SHAPES = ['stories15M'] as const;
export type RandomShape = (typeof RANDOM_SHAPES)[number];

/** Activation threshold τ: one for the model or one per layer. */
export type TauGranularity = 'global' | 'layer';

/**
 * Where calibration or evaluation tokens come from: a text (the model's tokenizer encodes it), the model's
 * own seeded samples, or (evaluation only) the calibration text's tail after the part calibration used.
 */
export type DataSource =
  | { kind: 'text'; text: string; name: string }
  | { kind: 'samples'; seed: number }
  | { kind: 'held-out' }
  /** Token id sequences, each calibrated or scored as its own sequence: inputs s[0:n−1], targets s[1:n]. */
  | { kind: 'ids'; sequences: readonly (readonly number[])[]; name: string };

export function describeSource(s: DataSource): string {
  return s.kind === 'text' || s.kind === 'ids'
    ? s.name
    : s.kind === 'samples'
      ? `model samples (seed ${s.seed})`
      : 'the calibration text after its calibration part';
}

/**
 * The evaluation seed held apart from a calibration seed: the CLI's default 2 (`fgmp run` without
 * --eval-seed), or 3 when calibration took 2 (then `fgmp run --calib-seed 2 --eval-seed 3`).
 */
export const heldApartSeed = (calibrationSeed: number): number => (calibrationSeed === 2 ? 3 : 2);

/** The one tensor key: "L{layer}.{proj}" (Fisher maps, activation shares, per-tensor figures). */
export const tensorKey = (layer: number, proj: Projection): string => `L${layer}.${proj}`;

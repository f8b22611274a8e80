// RoPE inverse frequencies, with Hugging Face `rope_scaling` applied exactly as transformers'
// modeling_rope_utils.py does (_compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
// _compute_dynamic_ntk_parameters, _compute_llama3_parameters). Pair j of a head (elements 2j, 2j+1, run.c's
// interleaved layout) rotates by position · invFreq[j]. One module for the reference forward and the graph builder.
// None of these three types rescales cos/sin (transformers' attention_factor is 1.0 for all of them).
import type { LlamaConfig, RopeScaling } from './types';

/** Rounding applied after each step: the identity (float64) or Math.fround (float32, like run.c's powf). */
export type Rounding = (v: number) => number;
const exact: Rounding = (v) => v;

/** 1 / theta^(2j/headSize) for j = 0 .. headSize/2 − 1 (run.c and transformers' default RoPE). */
export function baseInverseFrequencies(headSize: number, theta: number, round: Rounding = exact): Float64Array {
  const inv = new Float64Array(headSize / 2);
  for (let j = 0; j < inv.length; j++) inv[j] = round(1 / round(Math.pow(round(theta), round((2 * j) / headSize))));
  return inv;
}

/** Throws a clear error for a rope_scaling that the formulas below cannot use. */
export function validateRopeScaling(s: RopeScaling): void {
  if (!(s.factor > 0) || !Number.isFinite(s.factor))
    throw new Error(`rope scaling '${s.type}': factor must be a positive number, got ${s.factor}`);
  if (s.type === 'dynamic' || s.type === 'llama3') {
    if (!(s.originalMaxPositions > 0))
      throw new Error(`rope scaling '${s.type}': originalMaxPositions must be positive, got ${s.originalMaxPositions}`);
  }
  if (s.type === 'llama3' && !(s.highFreqFactor > s.lowFreqFactor && s.lowFreqFactor > 0))
    throw new Error(
      `rope scaling 'llama3': needs 0 < lowFreqFactor < highFreqFactor, got ${s.lowFreqFactor} and ${s.highFreqFactor}`,
    );
  if (!['linear', 'dynamic', 'llama3'].includes(s.type))
    throw new Error(`rope scaling type '${(s as { type: string }).type}' is not supported (linear, dynamic, llama3)`);
}

/**
 * Dynamic NTK: the base once a sequence of seqLen positions exceeds originalMaxPositions (transformers uses
 * max(seqLen, max_position_embeddings), so shorter sequences keep the plain base):
 * base' = base · ((factor · seq / orig) − (factor − 1))^(d / (d − 2)).
 */
export function dynamicNtkBase(theta: number, headSize: number, factor: number, orig: number, seqLen: number): number {
  if (seqLen <= orig) return theta; // the formula gives theta · 1^(d/(d−2)) there
  const seq = seqLen;
  return theta * Math.pow((factor * seq) / orig - (factor - 1), headSize / (headSize - 2));
}

/** llama3 (Llama 3.1): low frequencies divided by factor, high ones kept, the band between blended by wavelength. */
function llama3(inv: Float64Array, s: Extract<RopeScaling, { type: 'llama3' }>, round: Rounding): Float64Array {
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f;
    if (wavelen > lowFreqWavelen) return round(f / s.factor);
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return round(((1 - smooth) * f) / s.factor + smooth * f);
  });
}

/**
 * Inverse frequency of every rotated pair. `seqLen` (positions of the sequence being run) matters only to
 * 'dynamic' (default: originalMaxPositions, i.e. the plain base, as transformers at init). Linear scaling divides
 * the positions by factor, i.e. the frequencies. `round` = Math.fround gives the float32 path (each step rounded).
 */
export function ropeInverseFrequencies(
  headSize: number,
  theta: number,
  scaling?: RopeScaling,
  seqLen?: number,
  round: Rounding = exact,
): Float64Array {
  if (!scaling) return baseInverseFrequencies(headSize, theta, round);
  validateRopeScaling(scaling);
  switch (scaling.type) {
    case 'linear':
      return baseInverseFrequencies(headSize, theta, round).map((f) => round(f / scaling.factor));
    case 'dynamic': {
      const seq = seqLen ?? scaling.originalMaxPositions;
      const base = dynamicNtkBase(theta, headSize, scaling.factor, scaling.originalMaxPositions, seq);
      return baseInverseFrequencies(headSize, base, round);
    }
    case 'llama3':
      return llama3(baseInverseFrequencies(headSize, theta, round), scaling, round);
  }
}

/** The same for a model config (head size dim / nHeads, its theta and rope_scaling) on a run of seqLen positions. */
export function configInverseFrequencies(c: LlamaConfig, seqLen?: number, round: Rounding = exact): Float64Array {
  return ropeInverseFrequencies(c.dim / c.nHeads, c.ropeTheta, c.ropeScaling, seqLen, round);
}

/**
 * True when the frequencies depend on the sequence length (dynamic NTK past originalMaxPositions): the graph
 * then computes its tables from the run's length instead of storing them.
 */
export const ropeDependsOnLength = (c: LlamaConfig): boolean =>
  c.ropeScaling?.type === 'dynamic' && c.maxSeqLen > c.ropeScaling.originalMaxPositions;

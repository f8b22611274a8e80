// Synthetic profiles for tests and the 7B-shaped generator: seeded scores with a heavy-tailed (log-normal)
// distribution, ties and optional NaNs, written through the real writer.
import type { LlamaConfig } from '../model/types.ts';
import { CLIP_GRID } from '../fgmp/quantize.ts';
import {
  blocksPerRow,
  defaultHistogramSpec,
  STORED_POLICIES,
  tensorTable,
  type ProfileMeta,
  type StoredPolicy,
} from './format.ts';
import { ProfileWriter, type ByteSink, type TensorData, type WriterOptions } from './writer.ts';

/** mulberry32: a small seeded generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticMeta(
  config: LlamaConfig,
  activationTokens: number,
  opts: { policies?: StoredPolicy[]; activations?: 'full' | 'histogram' } = {},
): ProfileMeta {
  return {
    version: 1,
    model: { name: 'synthetic', sha256: null, parameters: 0, config },
    tokenizer: null,
    tensors: tensorTable(config),
    quantization: { blockSize: 16, clip: 'fisher', clipGrid: [...CLIP_GRID], fp8Scaling: 'tensor', randomSeed: 0 },
    policies: opts.policies ?? [...STORED_POLICIES],
    histogram: defaultHistogramSpec(),
    calibration: {
      tokens: activationTokens,
      sequences: 1,
      seqLen: activationTokens,
      source: 'synthetic',
      textSha256: null,
      seed: 1,
      meanNll: 0,
      seconds: 0,
      engine: 'none',
      threads: null,
      producer: 'test',
      versions: {},
    },
    activations: { tokens: activationTokens, scores: opts.activations ?? 'full' },
    evaluation: null,
  };
}

export interface SyntheticOptions {
  seed?: number;
  /** Share of scores snapped to a coarse grid (ties). */
  tieShare?: number;
  /** Share of NaN scores. */
  nanShare?: number;
}

/**
 * Seeded log-normal scores: each tensor gets its own scale (so per-tensor shares differ, as in FGMP), a
 * share of values snapped to a coarse grid (ties across tensors) and a few NaNs.
 */
export function syntheticScores(
  n: number,
  tensorIndex: number,
  o: SyntheticOptions = {},
  out = new Float64Array(n),
): Float64Array {
  const r = rng((o.seed ?? 1) * 7919 + tensorIndex * 104729);
  const mu = -30 + 6 * Math.sin(tensorIndex * 1.7);
  const tie = o.tieShare ?? 0.05;
  const nan = o.nanShare ?? 0;
  for (let i = 0; i < n; i++) {
    // Box-Muller with one uniform pair per value.
    const u = r() || 1e-12;
    const v = r();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    let s = Math.exp(mu + 2.5 * z);
    const w = r();
    if (w < tie) s = 2 ** Math.round(Math.log2(s));
    else if (w > 1 - nan) s = NaN;
    out[i] = s;
  }
  return out;
}

/** Writes a synthetic profile of a config through the real writer. */
export async function writeSyntheticProfile(
  meta: ProfileMeta,
  sink: ByteSink,
  o: SyntheticOptions = {},
  wo: WriterOptions = {},
): Promise<void> {
  const w = await ProfileWriter.begin(meta, sink, wo);
  const M = meta.activations.tokens;
  const r = rng(o.seed ?? 1);
  for (const [i, t] of meta.tensors.entries()) {
    const n = t.rows * blocksPerRow(t.cols);
    const clip = new Uint8Array(n);
    for (let b = 0; b < n; b++) clip[b] = Math.floor(r() * meta.quantization.clipGrid.length);
    const scores: TensorData['scores'] = {};
    meta.policies.forEach((p, k) => (scores[p] = syntheticScores(n, i + 1000 * k, o)));
    const actFisher = new Float32Array(t.cols);
    for (let c = 0; c < t.cols; c++) actFisher[c] = r();
    const actScores = Float32Array.from(syntheticScores(M * blocksPerRow(t.cols), i + 5000, { ...o, nanShare: 0 }));
    await w.writeTensor({ clip, scores, actFisher, actScores });
  }
  await w.finish();
}

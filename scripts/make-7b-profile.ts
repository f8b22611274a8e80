// Generates a Llama-2-7B-shaped FGMP profile (32 layers × 7 projections, 404,750,336 weight blocks) with a
// seeded synthetic score distribution, for the scale targets of issue 11 (open, budget answer, one tensor by
// Range). Not committed: write it outside git.
//   npx tsx scripts/make-7b-profile.ts [--out FILE] [--seed N] [--layers N] [--policies fgmp,magnitude] [--dtype F32|F64]
// Scores: per tensor a log-normal with its own median (so per-tensor shares differ, as FGMP's do), 5 % snapped
// to powers of two (ties across tensors). Activation scores: histograms only (M = 512 × 512 calibration
// positions, as the paper calibrates), synthesized bin by bin from a log-normal.
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSink } from '../src/cli/profileFile';
import { CLIP_GRID } from '../src/core/fgmp/quantize';
import { parameterCount, type LlamaConfig } from '../src/core/model/types';
import {
  blocksPerRow,
  columnLowerEdge,
  defaultHistogramSpec,
  histogramColumns,
  ProfileWriter,
  tensorTable,
  type HistogramSpec,
  type ProfileMeta,
  type StoredPolicy,
} from '../src/core/profile/index';
import { shapeConfig } from '../src/core/model/shapes';

/** Llama-2-7B's published config (src/core/model/shapes.ts). */
export const LLAMA2_7B: LlamaConfig = shapeConfig('llama2-7b');

export const DEFAULT_7B_PATH = path.join(tmpdir(), 'fgmp-llama2-7b-shape.profile.safetensors');

/** xorshift32 → [0, 1). */
function uniform(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** Median (log2) and spread of tensor t's synthetic scores. */
const tensorLaw = (t: number, policy: number) => ({
  mu: -40 + 8 * Math.sin(t * 0.37 + policy) + 3 * Math.cos(t * 1.9),
  sigma: 3 + Math.sin(t * 0.11),
});

function fillScores(out: Float32Array | Float64Array, t: number, policy: number, seed: number): void {
  const u = uniform(seed * 2654435761 + t * 40503 + policy * 97);
  const { mu, sigma } = tensorLaw(t, policy);
  // Approximate normal: Irwin–Hall sum of four uniforms, scaled to unit variance.
  for (let i = 0; i < out.length; i++) {
    const z = (u() + u() + u() + u() - 2) * 1.7320508075688772;
    let e = mu + sigma * z;
    if (u() < 0.05) e = Math.round(e);
    out[i] = 2 ** e;
  }
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Counts of `total` log-normal scores (log2 median mu, spread sigma) per histogram column, summing to total. */
export function lognormalHistogram(total: number, mu: number, sigma: number, spec: HistogramSpec): Float64Array {
  const C = histogramColumns(spec);
  const row = new Float64Array(C);
  const cdf = (col: number) => phi((Math.log2(columnLowerEdge(col, spec)) - mu) / sigma);
  let given = 0;
  let best = 1;
  for (let c = 1; c <= spec.bins; c++) {
    const p = cdf(c + 1) - cdf(c);
    row[c] = Math.floor(total * p);
    given += row[c];
    if (row[c] > row[best]) best = c;
  }
  row[best] += total - given;
  return row;
}

export interface Make7bOptions {
  seed?: number;
  /** Fewer layers for a quick run (default 32). */
  layers?: number;
  policies?: StoredPolicy[];
  dtype?: 'F32' | 'F64';
  onTensor?: (done: number, total: number) => void;
}

export async function make7bProfile(
  out: string,
  o: Make7bOptions = {},
): Promise<{ bytes: number; blocks: number; seconds: number; meta: ProfileMeta }> {
  const seed = o.seed ?? 1;
  const config = { ...LLAMA2_7B, nLayers: o.layers ?? LLAMA2_7B.nLayers };
  const M = 512 * 512;
  const spec = defaultHistogramSpec();
  const meta: ProfileMeta = {
    version: 1,
    model: {
      name: `synthetic Llama-2-7B shape (seed ${seed})`,
      sha256: null,
      parameters: parameterCount(config),
      config,
    },
    tokenizer: null,
    tensors: tensorTable(config),
    quantization: { blockSize: 16, clip: 'fisher', clipGrid: [...CLIP_GRID], fp8Scaling: 'tensor', randomSeed: 0 },
    policies: o.policies ?? ['fgmp'],
    histogram: spec,
    calibration: {
      tokens: M,
      sequences: 512,
      seqLen: 512,
      source: `synthetic scores (scripts/make-7b-profile.ts, seed ${seed})`,
      textSha256: null,
      seed,
      meanNll: NaN,
      seconds: 0,
      engine: 'none (synthetic)',
      threads: null,
      producer: 'scripts/make-7b-profile.ts',
      versions: { node: process.versions.node },
    },
    activations: { tokens: M, scores: 'histogram' },
    evaluation: null,
  };
  const t0 = performance.now();
  const sink = fileSink(out);
  try {
    const w = await ProfileWriter.begin(meta, sink, { scoreDtype: o.dtype ?? 'F32' });
    const u = uniform(seed);
    for (const [i, t] of meta.tensors.entries()) {
      const n = t.rows * blocksPerRow(t.cols);
      const clip = new Uint8Array(n);
      for (let b = 0; b < n; b++) clip[b] = (u() * u() * CLIP_GRID.length) | 0;
      const scores: Partial<Record<StoredPolicy, Float32Array | Float64Array>> = {};
      meta.policies.forEach((p, k) => {
        const a = (o.dtype ?? 'F32') === 'F32' ? new Float32Array(n) : new Float64Array(n);
        fillScores(a, i, k, seed);
        scores[p] = a;
      });
      const actFisher = new Float32Array(t.cols);
      for (let c = 0; c < t.cols; c++) actFisher[c] = 2 ** (-30 + 10 * u());
      const law = tensorLaw(i, 7);
      await w.writeTensor({
        clip,
        scores,
        actFisher,
        actHistogram: lognormalHistogram(M * blocksPerRow(t.cols), law.mu + 10, law.sigma, spec),
      });
      o.onTensor?.(i + 1, meta.tensors.length);
    }
    await w.finish();
  } finally {
    sink.close();
  }
  const blocks = meta.tensors.reduce((s, t) => s + t.rows * blocksPerRow(t.cols), 0);
  return { bytes: statSync(out).size, blocks, seconds: (performance.now() - t0) / 1000, meta };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = flag('out') ?? DEFAULT_7B_PATH;
  const r = await make7bProfile(out, {
    seed: Number(flag('seed') ?? 1),
    layers: flag('layers') ? Number(flag('layers')) : undefined,
    policies: flag('policies') ? (flag('policies')!.split(',') as StoredPolicy[]) : undefined,
    dtype: (flag('dtype') as 'F32' | 'F64' | undefined) ?? 'F32',
    onTensor: (d, n) => {
      if (d % 28 === 0 || d === n) process.stderr.write(`  ${d}/${n} tensors\n`);
    },
  });
  console.log(`wrote ${out}: ${(r.bytes / 2 ** 30).toFixed(2)} GiB, ${r.blocks} blocks, ${r.seconds.toFixed(1)} s`);
}

// Text generation with run.c semantics (karpathy/llama2.c): `steps` counts positions including the
// prompt's BOS; prompt tokens are forced, then tokens are chosen by argmax (temperature 0) or sampled with
// run.c's xorshift64* generator, temperature and optional top-p; generation stops at BOS (id 1 delimits
// sequences) or after `steps` positions. No KV cache: each step runs the forward graph over the prefix,
// which is fast enough for the small models this app targets.
import type { ForwardOptions, LlamaEngine } from '../runtime/engine.ts';

/** run.c's random_u32 / random_f32 (xorshift64*), bit-exact. */
export class RunCRng {
  private state: bigint;
  constructor(seed: number | bigint) {
    this.state = BigInt.asUintN(64, BigInt(seed));
    if (this.state === 0n) throw new Error('rng seed must be non-zero');
  }
  nextU32(): number {
    let s = this.state;
    s ^= s >> 12n;
    s = BigInt.asUintN(64, s ^ (s << 25n));
    s ^= s >> 27n;
    this.state = s;
    return Number(BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn) >> 32n);
  }
  nextF32(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
}

/** Softmax then inverse-CDF or top-p sampling in float32, as run.c's sample() does. */
export function sampleRunC(logits: Float32Array, temperature: number, topp: number, rng: RunCRng): number {
  const n = logits.length;
  const p = new Float32Array(n);
  for (let i = 0; i < n; i++) p[i] = logits[i] / temperature;
  let max = p[0];
  for (let i = 1; i < n; i++) if (p[i] > max) max = p[i];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = Math.fround(Math.exp(p[i] - max));
    sum = Math.fround(sum + p[i]);
  }
  for (let i = 0; i < n; i++) p[i] = p[i] / sum;
  const coin = rng.nextF32();
  if (topp <= 0 || topp >= 1) {
    let cdf = 0;
    for (let i = 0; i < n; i++) {
      cdf = Math.fround(cdf + p[i]);
      if (coin < cdf) return i;
    }
    return n - 1;
  }
  // Top-p: candidates with p ≥ (1 − topp)/(n − 1), sorted descending, truncated where the mass exceeds topp.
  const cutoff = Math.fround((1 - topp) / (n - 1));
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (p[i] >= cutoff) idx.push(i);
  idx.sort((a, b) => p[b] - p[a] || a - b);
  let mass = 0;
  let last = idx.length - 1;
  for (let i = 0; i < idx.length; i++) {
    mass = Math.fround(mass + p[idx[i]]);
    if (mass > topp) {
      last = i;
      break;
    }
  }
  const r = Math.fround(coin * mass);
  let cdf = 0;
  for (let i = 0; i <= last; i++) {
    cdf = Math.fround(cdf + p[idx[i]]);
    if (r < cdf) return idx[i];
  }
  return idx[last];
}

export interface GenerateOptions {
  /** 0 = greedy argmax (default). */
  temperature?: number;
  /** Top-p for sampling (run.c's default 0.9; ≥ 1 disables it). */
  topp?: number;
  /** xorshift64* seed (run.c default: time; here 1 unless given, for determinism). */
  seed?: number;
  /** Stop when this id is produced (run.c: BOS = 1); null never stops early. */
  stopToken?: number | null;
  forward?: Pick<ForwardOptions, 'weights' | 'variant'>;
  signal?: AbortSignal;
  /** Called with each new id (prompt tokens after the first included, as run.c prints them). */
  onToken?: (id: number, position: number) => void;
}

/** Returns all ids: prompt[0] then up to `steps` more (the rest of the prompt, then generated ones). */
export async function generate(
  engine: LlamaEngine,
  prompt: readonly number[],
  steps: number,
  opts: GenerateOptions = {},
): Promise<number[]> {
  if (prompt.length === 0) throw new Error('generate needs at least one prompt token (e.g. BOS)');
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const V = engine.config.vocabSize;
  const total = Math.min(steps, engine.config.maxSeqLen);
  const temperature = opts.temperature ?? 0;
  if (!(temperature >= 0)) throw new Error(`temperature must be >= 0, got ${temperature}`);
  const rng = new RunCRng(opts.seed ?? 1);
  const stop = opts.stopToken === undefined ? 1 : opts.stopToken;
  const tokens = [prompt[0]];
  // As run.c: the step at position pos (0-based) produces the id at pos + 1, so `steps` ids follow the first.
  for (let pos = 0; pos < total; pos++) {
    opts.signal?.throwIfAborted();
    let next: number;
    if (pos + 1 < prompt.length) next = prompt[pos + 1];
    else {
      const T = tokens.length;
      const out = await engine.forward(
        { batch: 1, seq: T, tokens, targets: new Array(T).fill(0) },
        { ...opts.forward, logits: true, signal: opts.signal },
      );
      const row = out.logits!.subarray((T - 1) * V, T * V);
      if (temperature === 0) {
        next = 0;
        for (let i = 1; i < V; i++) if (row[i] > row[next]) next = i;
      } else next = sampleRunC(row, temperature, opts.topp ?? 0.9, rng);
    }
    if (next === stop) break;
    tokens.push(next);
    opts.onToken?.(next, pos + 1);
  }
  return tokens;
}

// Perplexity over token streams with sliding windows, batched through the ONNX forward graph.
// Deterministic: windows are batched in a fixed order and NLL is summed in float64 in stream order.
import type { ForwardOptions, LlamaEngine } from '../runtime/engine.ts';
import { slidingWindows, type Window } from './windows.ts';

export interface EvalProgress {
  /** Scored predictions done so far. */
  tokensDone: number;
  tokensTotal: number;
  tokensPerSecond: number;
  /** Estimated seconds left at the current rate (NaN before the first batch). */
  secondsLeft: number;
}

export interface PerplexityOptions {
  /** Positions per window (default: context − 1 with BOS, as in PROVENANCE.md; context without). */
  window?: number;
  /** Tokens between window starts (default: the window). */
  stride?: number;
  /** BOS id at position 0 of each window (default 1, llama2.c), or null for none. */
  bos?: number | null;
  /** Windows per ORT run (default: as many as fit about 2,048 positions). */
  batchSize?: number;
  /** Forwarded to the engine (replacement weights, activation-quantization variant). */
  forward?: Pick<ForwardOptions, 'weights' | 'variant'>;
  signal?: AbortSignal;
  onProgress?: (p: EvalProgress) => void;
}

export interface PerplexityResult {
  /** Predictions scored. */
  tokens: number;
  meanNll: number;
  ppl: number;
  sumNll: number;
  windows: number;
  seconds: number;
}

/** Scores pre-built windows (any mix of lengths), in batches of equal length. */
export async function scoreWindows(
  engine: LlamaEngine,
  windows: Window[],
  opts: PerplexityOptions = {},
): Promise<PerplexityResult> {
  const total = windows.reduce((s, w) => s + w.scored, 0);
  if (total === 0) throw new Error('nothing to score: the text needs at least one token to predict');
  const maxLen = Math.max(...windows.map((w) => w.tokens.length));
  const batchSize = opts.batchSize ?? Math.max(1, Math.floor(2048 / maxLen));
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const nllPerWindow = new Float64Array(windows.length);
  // Group windows of equal length (keeps their order within a group) so each ORT run is one dense batch.
  const groups = new Map<number, number[]>();
  windows.forEach((w, i) => {
    const g = groups.get(w.tokens.length) ?? [];
    g.push(i);
    groups.set(w.tokens.length, g);
  });
  const t0 = performance.now();
  let done = 0;
  for (const [len, idx] of groups) {
    for (let k = 0; k < idx.length; k += batchSize) {
      opts.signal?.throwIfAborted();
      const part = idx.slice(k, k + batchSize);
      const tokens = new Int32Array(part.length * len);
      const targets = new Int32Array(part.length * len);
      part.forEach((wi, b) => {
        tokens.set(windows[wi].tokens, b * len);
        targets.set(windows[wi].targets, b * len);
      });
      const out = await engine.forward(
        { batch: part.length, seq: len, tokens, targets },
        { ...opts.forward, signal: opts.signal },
      );
      part.forEach((wi, b) => {
        const w = windows[wi];
        let s = 0;
        for (let i = 0; i < len; i++) if (w.mask[i]) s += out.nll[b * len + i];
        nllPerWindow[wi] = s;
        done += w.scored;
      });
      if (opts.onProgress) {
        const seconds = (performance.now() - t0) / 1000;
        const rate = done / Math.max(seconds, 1e-9);
        opts.onProgress({
          tokensDone: done,
          tokensTotal: total,
          tokensPerSecond: rate,
          secondsLeft: (total - done) / rate,
        });
      }
    }
  }
  let sumNll = 0;
  for (const s of nllPerWindow) sumNll += s;
  const meanNll = sumNll / total;
  return {
    tokens: total,
    meanNll,
    ppl: Math.exp(meanNll),
    sumNll,
    windows: windows.length,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Perplexity of one token stream (e.g. an encoded text without BOS) with sliding windows. */
export async function perplexity(
  engine: LlamaEngine,
  stream: ArrayLike<number>,
  opts: PerplexityOptions = {},
): Promise<PerplexityResult> {
  const bos = opts.bos === undefined ? 1 : opts.bos;
  const ctx = engine.config.maxSeqLen;
  const window = opts.window ?? (bos === null ? ctx : ctx - 1);
  if (window > ctx) throw new Error(`window ${window} exceeds the model's context ${ctx}`);
  if (stream.length === 0) throw new Error('nothing to score: the token stream is empty');
  return scoreWindows(engine, slidingWindows(stream, { window, stride: opts.stride, bos }), opts);
}

/**
 * Independent sequences (e.g. lines of a tokens file): every next-token prediction of each, context from its
 * first token (no BOS added); sequences longer than the context slide with the given stride.
 */
export async function sequencesPerplexity(
  engine: LlamaEngine,
  sequences: readonly (readonly number[])[],
  opts: Omit<PerplexityOptions, 'bos'> = {},
): Promise<PerplexityResult> {
  const window = opts.window ?? engine.config.maxSeqLen;
  const windows = sequences.flatMap((s) =>
    s.length < 2 ? [] : slidingWindows(s, { window, stride: opts.stride, bos: null }),
  );
  return scoreWindows(engine, windows, opts);
}

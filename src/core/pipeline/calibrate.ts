// Fisher calibration (DESIGN.md §3): runs the forward+backward graph over calibration sequences and keeps
//  - the weight Fisher of every linear projection, per element: F = Σ_s (∂L_s/∂w)² over sequences s, with
//    L_s the mean next-token NLL of sequence s (the graph's fisher.L*.proj outputs, summed over batches);
//  - the activation Fisher of every linear input, per channel: f(c) = mean over calibration tokens of
//    (∂L/∂x_{t,c})² (the graph's actfisher.L*.proj sums divided by the token count).
// Calibration sequences come from text (the model's tokenizer) or, data-free, from the model's own samples
// with a fixed seed; they are always a different stream from the evaluation tokens.
import { fisherName, actFisherName } from '../graph/names.ts';
import { PROJECTIONS, projectionShape, type LlamaConfig, type LlamaModel, type Tokenizer } from '../model/types.ts';
import type { LlamaEngine } from '../runtime/engine.ts';
import { slidingWindows } from '../eval/windows.ts';
import { generateTokens } from '../train/generate.ts';
import { tokenProgress, type Progress } from './results.ts';
import { tensorKey } from './vocabulary.ts';
import { release } from '../memory.ts';

export type { Progress } from './results.ts';

/** Default calibration size for small models (the paper uses 512 × 512 on Llama-2-7B). */
export const DEFAULT_CALIBRATION = { sequences: 64, seqLen: 256 } as const;

/** Equal-length sequences, row-major [count, seqLen]: position 0 is BOS, every position is scored. */
export interface TokenSequences {
  count: number;
  seqLen: number;
  tokens: Int32Array;
  targets: Int32Array;
  /** Where they came from, for reports. */
  source: string;
  /**
   * Ragged sequences padded to seqLen: 1 where a position is a real prediction (absent: all are). Padding sits
   * after each sequence's end, so causal attention keeps it out of every real position.
   */
  lossMask?: Float32Array;
}

/** Predictions the sequences hold (the padding excluded). */
export function scoredPositions(data: TokenSequences): number {
  if (!data.lossMask) return data.count * data.seqLen;
  let n = 0;
  for (let i = 0; i < data.lossMask.length; i++) n += data.lossMask[i];
  return n;
}

/**
 * Token id sequences as calibration sequences: each of n ids gives inputs s[0:n−1] and targets s[1:n], padded
 * to the longest with lossMask 0 (the graph's loss is the mean over a sequence's scored tokens, as DESIGN §3).
 */
export function idSequences(
  sequences: readonly (readonly number[])[],
  vocabSize: number,
  maxSeqLen: number,
  source: string,
): TokenSequences {
  if (sequences.length === 0) throw new Error(`${source} holds no sequences`);
  sequences.forEach((s, i) => {
    if (s.length < 2)
      throw new Error(
        `${source}: sequence ${i + 1} has ${s.length} id(s); a sequence needs at least 2 (one prediction)`,
      );
    if (s.length - 1 > maxSeqLen)
      throw new Error(
        `${source}: sequence ${i + 1} has ${s.length} ids, more than the model's context ${maxSeqLen} + 1`,
      );
    for (const id of s)
      if (!(Number.isInteger(id) && id >= 0 && id < vocabSize))
        throw new Error(`${source}: sequence ${i + 1} holds id ${id}, outside the vocabulary (0..${vocabSize - 1})`);
  });
  const seqLen = Math.max(...sequences.map((s) => s.length - 1));
  const count = sequences.length;
  const tokens = new Int32Array(count * seqLen);
  const targets = new Int32Array(count * seqLen);
  const lossMask = new Float32Array(count * seqLen);
  sequences.forEach((s, i) => {
    for (let t = 0; t < s.length - 1; t++) {
      tokens[i * seqLen + t] = s[t];
      targets[i * seqLen + t] = s[t + 1];
      lossMask[i * seqLen + t] = 1;
    }
  });
  const ragged = sequences.some((s) => s.length - 1 !== seqLen);
  return { count, seqLen, tokens, targets, source, ...(ragged ? { lossMask } : {}) };
}

/** Non-overlapping windows of a token stream: [BOS, s_a … s_{a+L−2}] predicting s_a … s_{a+L−1}. */
export function sequencesFromStream(
  stream: ArrayLike<number>,
  count: number,
  seqLen: number,
  bos: number,
  source: string,
): TokenSequences {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`number of sequences must be a positive integer, got ${count}`);
  if (!Number.isInteger(seqLen) || seqLen < 2)
    throw new Error(`sequence length must be an integer >= 2, got ${seqLen}`);
  const windows = slidingWindows(stream, { window: seqLen, bos }).filter((w) => w.tokens.length === seqLen);
  if (windows.length < count)
    throw new Error(
      `${source} gives only ${windows.length} sequences of ${seqLen} tokens (${stream.length} tokens), ${count} asked`,
    );
  const tokens = new Int32Array(count * seqLen);
  const targets = new Int32Array(count * seqLen);
  for (let s = 0; s < count; s++) {
    tokens.set(windows[s].tokens, s * seqLen);
    targets.set(windows[s].targets, s * seqLen);
  }
  return { count, seqLen, tokens, targets, source };
}

/**
 * Encodes the beginning of a text (as one stream, no BOS: windows add it) until it holds at least
 * `minTokens` ids; encodes growing prefixes cut at a line end so long files are not tokenized whole.
 */
export function encodeTextPrefix(tokenizer: Tokenizer, text: string, minTokens: number): number[] {
  let bytes = Math.max(4096, minTokens * 6);
  for (;;) {
    let prefix = text;
    if (bytes < text.length) {
      const cut = text.lastIndexOf('\n', bytes);
      prefix = text.slice(0, cut > 0 ? cut : bytes);
    }
    const ids = tokenizer.encode(prefix);
    if (ids.length >= minTokens || prefix.length === text.length) return ids;
    bytes *= 2;
  }
}

/** Calibration (or evaluation) sequences from text with the model's tokenizer. */
export function textSequences(
  tokenizer: Tokenizer,
  text: string,
  count: number,
  seqLen: number,
  source = 'text',
): TokenSequences {
  const stream = encodeTextPrefix(tokenizer, text, count * seqLen + 1);
  return sequencesFromStream(stream, count, seqLen, tokenizer.bosId, source);
}

/**
 * Data-free sequences: the model samples stories itself (temperature 1, seeded, reference engine); stories
 * are joined into one stream (each sample starts at BOS and ends at the model's BOS/EOS) and cut into windows.
 */
export function sampledStream(
  model: LlamaModel,
  tokens: number,
  seed: number,
  bos = 1,
  /** Called after each sample with the tokens so far (progress; it may throw to stop). */
  onSample?: (tokens: number) => void,
): number[] {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const stream: number[] = [];
  for (let k = 0; stream.length < tokens; k++) {
    const sample = generateTokens(model, [bos], model.config.maxSeqLen - 1, {
      temperature: 1,
      seed: seed * 100003 + k,
      precision: 'float32',
    });
    // Drop the leading BOS (windows put their own) and a closing BOS/EOS.
    const body = sample.slice(1).filter((t, i, a) => !(i === a.length - 1 && (t === 1 || t === 2)));
    if (body.length === 0) continue;
    stream.push(...body);
    onSample?.(Math.min(stream.length, tokens));
  }
  return stream;
}

export function sampledSequences(
  model: LlamaModel,
  count: number,
  seqLen: number,
  seed: number,
  onSample?: (tokens: number) => void,
): TokenSequences {
  return sequencesFromStream(
    sampledStream(model, count * seqLen, seed, 1, onSample),
    count,
    seqLen,
    1,
    `model samples (seed ${seed})`,
  );
}

export interface CalibrationEstimate {
  sequences: number;
  seqLen: number;
  tokens: number;
  /** Bytes of the weight Fisher (float32 per linear weight) plus the activation Fisher. */
  fisherBytes: number;
  /** Floating-point operations of the forward+backward passes (about). */
  flops: number;
  /** flops / the assumed throughput. */
  estimatedSeconds: number;
}

/** Throughput assumed for the estimate: forward+backward graph on onnxruntime-web wasm, 1 thread (bench/pipeline.bench.ts measured 5–18 GFLOP/s on stories260K and 16–29 on the stories15M shape, depending on machine load). */
export const ASSUMED_GFLOPS = 8;

/** What a calibration will cost, before it starts. */
export function estimateCalibration(
  config: LlamaConfig,
  sequences: number,
  seqLen: number,
  gflops = ASSUMED_GFLOPS,
): CalibrationEstimate {
  let linear = 0;
  let actChannels = 0;
  for (const p of PROJECTIONS) {
    const [r, c] = projectionShape(config, p);
    linear += r * c;
    actChannels += c;
  }
  linear *= config.nLayers;
  actChannels *= config.nLayers;
  const tokens = sequences * seqLen;
  // Per token: forward 2·(linear + classifier) + attention 4·T·dim per layer; backward twice that; the
  // per-sequence weight gradients (for F) another 2·linear.
  const perToken = 2 * (linear + config.vocabSize * config.dim) + 4 * seqLen * config.dim * config.nLayers;
  const flops = tokens * (3 * perToken + 2 * linear);
  return {
    sequences,
    seqLen,
    tokens,
    fisherBytes: 4 * (linear + actChannels),
    flops,
    estimatedSeconds: flops / (gflops * 1e9),
  };
}

export interface CalibrationResult {
  config: LlamaConfig;
  /**
   * Per-element weight Fisher, keyed "L{layer}.{proj}" ([out, in] row-major): a Map as calibrate() gives it,
   * or read back from storage (spill.ts) once the explorer's worker has written a large one out.
   */
  weightFisher: ReadonlyMap<string, Float32Array>;
  /** Per-channel activation Fisher of each linear input, keyed "L{layer}.{proj}" ([in]). */
  activationFisher: Map<string, Float32Array>;
  sequences: number;
  seqLen: number;
  tokens: number;
  /** Mean NLL of the float32 model on the calibration tokens. */
  meanNll: number;
  seconds: number;
  source: string;
}

export { tensorKey };

export interface CalibrateOptions {
  /** Sequences per forward+backward run (default: calibrationBatchSize). */
  batchSize?: number;
  /**
   * How the weight Fisher is summed over batches (default 'auto'): 'float64' sums in float64 and rounds once;
   * 'float32' sums in place in the float32 arrays the first batch returned (no second per-element copy).
   * 'auto' takes float32 where it is bit-identical to float64 (at most 2 batches) or where float64 sums would
   * exceed FISHER_FLOAT64_MAX_BYTES.
   */
  accumulate?: 'auto' | 'float32' | 'float64';
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/**
 * Activation memory of the forward+backward graph per position, about (bytes): per layer the tape the backward
 * reads (8 values of dim, 2 of the KV width, 5 of the hidden size, one row of attention probabilities per
 * head) and the classifier's probabilities, weighted probabilities and logit gradients (3 × vocab).
 */
export function fwdBwdBytesPerPosition(c: LlamaConfig, seqLen: number): number {
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  return 4 * (c.nLayers * (8 * c.dim + 2 * kv + 5 * c.hiddenDim + c.nHeads * seqLen) + 3 * c.vocabSize);
}

/**
 * Activations one calibration run may hold (onnxruntime-web's wasm heap keeps its peak for the worker's life).
 * stories260K and the default model keep their 8 × 256 batches; the stories110M shape runs one sequence at a time.
 */
export const CALIBRATION_ACTIVATION_BYTES = 512 * 2 ** 20;
/** Above this, per-element float64 sums (8 bytes per linear weight) give way to float32 ones ('auto'). */
export const FISHER_FLOAT64_MAX_BYTES = 256 * 2 ** 20;

/** Sequences per run: about 2,048 positions, fewer where their activations would exceed CALIBRATION_ACTIVATION_BYTES. */
export function calibrationBatchSize(c: LlamaConfig, seqLen: number): number {
  const byMemory = Math.floor(CALIBRATION_ACTIVATION_BYTES / (fwdBwdBytesPerPosition(c, seqLen) * seqLen));
  return Math.max(1, Math.min(Math.floor(2048 / seqLen), byMemory));
}

/** Whether the weight Fisher is summed in float32 (see CalibrateOptions.accumulate). */
export function fisherInFloat32(
  c: LlamaConfig,
  batches: number,
  mode: CalibrateOptions['accumulate'] = 'auto',
): boolean {
  if (mode === 'float32' || mode === 'float64') return mode === 'float32';
  let linear = 0;
  for (const p of PROJECTIONS) {
    const [r, k] = projectionShape(c, p);
    linear += r * k;
  }
  // Two float32 terms: their float64 sum rounded to float32 is their float32 sum (53 ≥ 2·24 + 2 bits: double
  // rounding is innocuous), so up to 2 batches float32 is bit-identical.
  return batches <= 2 || 8 * linear * c.nLayers > FISHER_FLOAT64_MAX_BYTES;
}

/**
 * Runs calibration over the sequences; deterministic (fixed batch order). The weight Fisher of each batch is
 * added tensor by tensor into one per-element sum (float64, or float32 in place: fisherInFloat32).
 */
export async function calibrate(
  engine: LlamaEngine,
  data: TokenSequences,
  opts: CalibrateOptions = {},
): Promise<CalibrationResult> {
  const c = engine.config;
  const { count, seqLen } = data;
  if (seqLen > c.maxSeqLen)
    throw new Error(`calibration sequence length ${seqLen} exceeds the model's context ${c.maxSeqLen}`);
  const batchSize = opts.batchSize ?? calibrationBatchSize(c, seqLen);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const inFloat32 = fisherInFloat32(c, Math.ceil(count / batchSize), opts.accumulate);
  const wSum = new Map<string, Float64Array | Float32Array>();
  const aSum = new Map<string, Float64Array>();
  for (let l = 0; l < c.nLayers; l++)
    for (const p of PROJECTIONS) {
      const [r, k] = projectionShape(c, p);
      if (!inFloat32) wSum.set(tensorKey(l, p), new Float64Array(r * k));
      aSum.set(tensorKey(l, p), new Float64Array(k));
    }
  const total = count * seqLen;
  const t0 = performance.now();
  let done = 0;
  let nllSum = 0;
  for (let s = 0; s < count; s += batchSize) {
    opts.signal?.throwIfAborted();
    const b = Math.min(batchSize, count - s);
    const res = await engine.forwardBackward(
      {
        batch: b,
        seq: seqLen,
        tokens: data.tokens.subarray(s * seqLen, (s + b) * seqLen),
        targets: data.targets.subarray(s * seqLen, (s + b) * seqLen),
        lossMask: data.lossMask?.subarray(s * seqLen, (s + b) * seqLen),
      },
      { graph: { fisher: true, actFisher: true, gradSum: false }, signal: opts.signal },
    );
    for (let l = 0; l < c.nLayers; l++)
      for (const p of PROJECTIONS) {
        const key = tensorKey(l, p);
        const fw = res.outputs.get(fisherName(l, p))!;
        // Each batch's output is let go as soon as it is summed, so one per-element copy is alive at a time.
        res.outputs.delete(fisherName(l, p));
        const acc = wSum.get(key);
        if (!acc) wSum.set(key, fw);
        else {
          for (let i = 0; i < acc.length; i++) acc[i] += fw[i];
          release(fw);
        }
        const fa = res.outputs.get(actFisherName(l, p))!;
        const accA = aSum.get(key)!;
        for (let i = 0; i < accA.length; i++) accA[i] += fa[i];
      }
    const mask = data.lossMask?.subarray(s * seqLen, (s + b) * seqLen);
    for (let i = 0; i < res.nll.length; i++) if (!mask || mask[i]) nllSum += res.nll[i];
    done += b * seqLen;
    opts.onProgress?.(tokenProgress('calibrate', 'Calibrating Fisher information', done, total, t0));
  }
  const weightFisher = new Map<string, Float32Array>();
  const activationFisher = new Map<string, Float32Array>();
  // Tensor by tensor, each float64 sum dropped once rounded (float32 sums are the result as they are).
  for (const [k, v] of wSum) {
    weightFisher.set(k, v instanceof Float32Array ? v : Float32Array.from(v));
    wSum.delete(k);
  }
  // Mean over the calibration tokens: padding (ragged id sequences) is neither a token nor a gradient.
  const scored = scoredPositions(data);
  for (const [k, v] of aSum)
    activationFisher.set(
      k,
      Float32Array.from(v, (x) => x / scored),
    );
  return {
    config: c,
    weightFisher,
    activationFisher,
    sequences: count,
    seqLen,
    tokens: scored,
    meanNll: nllSum / scored,
    seconds: (performance.now() - t0) / 1000,
    source: data.source,
  };
}

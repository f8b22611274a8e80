// LlamaEngine: runs the forward and forward+backward ONNX graphs of one model config, creating each
// session once (per graph variant) and reusing it. Weights are fed per call as Float32Arrays (the
// model's own, or replacements such as fake-quantized copies), wrapped without copying on the JS side.
import {
  buildForwardBackwardGraph,
  buildForwardGraph,
  forwardBackwardOutputNames,
  type ForwardBackwardGraphOptions,
  type LinearInputHook,
} from '../graph/llama.ts';
import { linearInputName, weightByName, weightInputNames, weightShape } from '../graph/names.ts';
import { PROJECTIONS, type LlamaConfig, type LlamaModel, type LlamaWeights } from '../model/types.ts';
import { createSession, f32, i64, runSession, type RuntimeOptions, ort } from './ort.ts';

/** A batch of equal-length sequences, row-major [batch, seq]. */
export interface TokenBatch {
  batch: number;
  seq: number;
  /** Input ids at each position. */
  tokens: ArrayLike<number>;
  /** Id to predict at each position (any valid id where the position is not scored). */
  targets: ArrayLike<number>;
  /** 1 where the prediction is scored (forwardBackward only; default: all positions). */
  lossMask?: Float32Array;
}

/** A custom forward graph variant (e.g. with the activation quantization unit) and its extra inputs. */
export interface ForwardVariant {
  /** Cache key of the variant's session; must identify the hook's graph completely. */
  key: string;
  hook: LinearInputHook;
  /** Extra graph inputs the hook declared (e.g. per-channel Fisher, thresholds). */
  feeds?: Record<string, ort.Tensor>;
  /** Extra graph outputs the hook declared, returned in ForwardResult.outputs (e.g. FP8 block counts). */
  outputs?: readonly string[];
}

export interface ForwardOptions {
  /** Weight arrays replacing the model's (keyed by graph input name, see names.ts). */
  weights?: ReadonlyMap<string, Float32Array>;
  logits?: boolean;
  linearInputs?: boolean;
  variant?: ForwardVariant;
  signal?: AbortSignal;
}

export interface ForwardResult {
  /** Per-position NLL, [batch · seq]. */
  nll: Float32Array;
  /** [batch · seq · vocab] when asked. */
  logits?: Float32Array;
  /** input.L{l}.{p} -> [batch · seq · in] when asked. */
  linearInputs?: Map<string, Float32Array>;
  /** The variant's extra outputs by name, when it declared any. */
  outputs?: Map<string, Float32Array>;
}

export interface ForwardBackwardResult {
  nll: Float32Array;
  /** Every fisher.*, actfisher.* and gradsum.* output by name. */
  outputs: Map<string, Float32Array>;
}

export class LlamaEngine {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(
    readonly config: LlamaConfig,
    private weights: LlamaWeights,
    readonly runtime: RuntimeOptions = {},
  ) {}

  static forModel(model: LlamaModel, runtime: RuntimeOptions = {}): LlamaEngine {
    return new LlamaEngine(model.config, model.weights, runtime);
  }

  /** Replaces the default weights (same config). */
  setWeights(w: LlamaWeights): void {
    this.weights = w;
  }

  private session(key: string, build: () => Uint8Array): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = createSession(build(), this.runtime, key);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  /** Releases every session. */
  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release().catch(() => undefined);
  }

  /**
   * On WebGPU, graphs are built for the batch's exact sequence length (one session per length): its MatMul
   * refuses the zero-sized attention chunks that a context-length graph has past a shorter sequence's end.
   * The CPU path keeps one graph for all lengths.
   */
  private graphMaxSeq(b: TokenBatch): number | undefined {
    return this.runtime.executionProvider === 'webgpu' ? b.seq : undefined;
  }

  private checkBatch(b: TokenBatch): void {
    const { batch, seq } = b;
    if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(seq) || seq < 1)
      throw new Error(`batch and seq must be positive integers, got ${batch} x ${seq}`);
    if (seq > this.config.maxSeqLen)
      throw new Error(`sequence length ${seq} exceeds the model's context ${this.config.maxSeqLen}`);
    const n = batch * seq;
    if (b.tokens.length !== n || b.targets.length !== n)
      throw new Error(
        `tokens and targets must hold batch x seq = ${n} ids (got ${b.tokens.length} and ${b.targets.length})`,
      );
    const V = this.config.vocabSize;
    for (const arr of [b.tokens, b.targets])
      for (let i = 0; i < n; i++) {
        const t = arr[i];
        if (!Number.isInteger(t) || t < 0 || t >= V)
          throw new Error(`token id ${t} at index ${i} is outside the vocabulary 0..${V - 1}`);
      }
    if (b.lossMask && b.lossMask.length !== n)
      throw new Error(`lossMask must hold ${n} values, got ${b.lossMask.length}`);
  }

  private weightFeeds(replace?: ReadonlyMap<string, Float32Array>): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of weightInputNames(this.config)) {
      const shape = weightShape(this.config, name);
      const data = replace?.get(name) ?? weightByName(this.weights, name);
      const n = shape.reduce((a, b) => a * b, 1);
      if (data.length !== n)
        throw new Error(`weight ${name} has ${data.length} values, expected ${shape.join(' x ')} = ${n}`);
      feeds[name] = f32(data, shape);
    }
    return feeds;
  }

  private forwardSession(
    logits: boolean,
    linearInputs: boolean,
    variant: ForwardVariant | undefined,
    maxSeq: number | undefined,
  ) {
    const key = `forward|logits=${logits}|inputs=${linearInputs}|variant=${variant?.key ?? ''}|maxSeq=${maxSeq ?? ''}`;
    return this.session(key, () =>
      buildForwardGraph(this.config, { logits, linearInputs, linearInputHook: variant?.hook, maxSeq }),
    );
  }

  /**
   * Creates the forward session that forward(b, opts) will use for sequences of `seq` tokens, so that timing a
   * later run measures the run alone (`fgmp ppl`'s tokensPerSecond). Returns the milliseconds it took (0 when
   * the session already existed).
   */
  async prepareForward(
    seq: number,
    opts: Pick<ForwardOptions, 'logits' | 'linearInputs' | 'variant'> = {},
  ): Promise<number> {
    const t0 = performance.now();
    const maxSeq = this.runtime.executionProvider === 'webgpu' ? seq : undefined;
    await this.forwardSession(opts.logits ?? false, opts.linearInputs ?? false, opts.variant, maxSeq);
    return performance.now() - t0;
  }

  async forward(b: TokenBatch, opts: ForwardOptions = {}): Promise<ForwardResult> {
    this.checkBatch(b);
    opts.signal?.throwIfAborted();
    const logits = opts.logits ?? false;
    const linearInputs = opts.linearInputs ?? false;
    const session = await this.forwardSession(logits, linearInputs, opts.variant, this.graphMaxSeq(b));
    const feeds: Record<string, ort.Tensor> = {
      ...this.weightFeeds(opts.weights),
      ...opts.variant?.feeds,
      tokens: i64(b.tokens, [b.batch, b.seq]),
      targets: i64(b.targets, [b.batch, b.seq]),
    };
    const out = await runSession(session, feeds, `the forward graph on ${b.batch} x ${b.seq} tokens`);
    opts.signal?.throwIfAborted();
    const res: ForwardResult = { nll: out.nll.data as Float32Array };
    if (logits) res.logits = out.logits.data as Float32Array;
    if (linearInputs) {
      res.linearInputs = new Map();
      for (let l = 0; l < this.config.nLayers; l++)
        for (const p of PROJECTIONS)
          res.linearInputs.set(linearInputName(l, p), out[linearInputName(l, p)].data as Float32Array);
    }
    if (opts.variant?.outputs) res.outputs = new Map(opts.variant.outputs.map((n) => [n, out[n].data as Float32Array]));
    return res;
  }

  async forwardBackward(
    b: TokenBatch,
    opts: {
      weights?: ReadonlyMap<string, Float32Array>;
      graph?: ForwardBackwardGraphOptions;
      signal?: AbortSignal;
    } = {},
  ): Promise<ForwardBackwardResult> {
    this.checkBatch(b);
    opts.signal?.throwIfAborted();
    const g = { ...opts.graph, maxSeq: opts.graph?.maxSeq ?? this.graphMaxSeq(b) };
    const key = `forwardBackward|fisher=${g.fisher ?? true}|gradSum=${g.gradSum ?? true}|actFisher=${g.actFisher ?? true}|maxSeq=${g.maxSeq ?? ''}`;
    const session = await this.session(key, () => buildForwardBackwardGraph(this.config, g));
    const mask = b.lossMask ?? new Float32Array(b.batch * b.seq).fill(1);
    const feeds: Record<string, ort.Tensor> = {
      ...this.weightFeeds(opts.weights),
      tokens: i64(b.tokens, [b.batch, b.seq]),
      targets: i64(b.targets, [b.batch, b.seq]),
      lossMask: f32(mask, [b.batch, b.seq]),
    };
    const out = await runSession(session, feeds, `the forward+backward graph on ${b.batch} x ${b.seq} tokens`);
    opts.signal?.throwIfAborted();
    const outputs = new Map<string, Float32Array>();
    for (const name of forwardBackwardOutputNames(this.config, g)) outputs.set(name, out[name].data as Float32Array);
    return { nll: out.nll.data as Float32Array, outputs };
  }
}

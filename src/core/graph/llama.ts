// ONNX graphs of a llama2.c-style Llama model, emitted from its config:
//  - forward: tokens, targets [batch, seq] -> per-token NLL (+ optional logits and linear-layer inputs);
//  - forward+backward: additionally Fisher (Σ_s g_s²) of every linear weight, gradient sums of every
//    parameter and per-channel activation Fisher sums, with the backward pass written out op by op.
// Weights are graph inputs (names from names.ts), so quantized copies can be fed without rebuilding.
// Activations are kept as 2-D [N = batch·seq, features] matrices so every linear layer is one Gemm
// with transB=1 on the row-major [out, in] weight (no Transpose of weights per call).
import { GraphBuilder } from './builder.ts';
import { PROJECTIONS, type LlamaConfig, type Projection, validateConfig } from '../model/types.ts';
import {
  actFisherName,
  fisherName,
  gradSumName,
  layerWeightName,
  linearInputName,
  projectionInFeatures,
  weightInputNames,
  weightShape,
} from './names.ts';

/** Where an activation transform is inserted: the input of one projection, as [N, inFeatures]. */
export interface LinearSite {
  layer: number;
  projection: Projection;
  inFeatures: number;
}

/**
 * Hook for the activation quantization unit: receives the builder and the name of a linear layer's input
 * value ([N, in], float32) and returns the name of the value to feed the matmul instead.
 */
export type LinearInputHook = (b: GraphBuilder, input: string, site: LinearSite) => string;

export interface ForwardGraphOptions {
  /** Also output logits [batch, seq, vocab]. */
  logits?: boolean;
  /** Also output every linear layer's input as input.L{l}.{p} [batch, seq, in]. */
  linearInputs?: boolean;
  /** Transform inserted before every linear matmul (forward graph only). */
  linearInputHook?: LinearInputHook;
  /**
   * Longest sequence this graph will be run on (default: the model's context). Attention query chunks that
   * would start at or beyond it are left out; a longer input then fails with a shape error. Needed by the
   * WebGPU EP, whose MatMul refuses the zero-sized tensors of chunks past the sequence's end.
   */
  maxSeq?: number;
}

export interface ForwardBackwardGraphOptions {
  /** fisher.L{l}.{p}: Σ_s g_s² per linear weight (default true). */
  fisher?: boolean;
  /** gradsum.{weight}: Σ_s g_s for every parameter (default true). */
  gradSum?: boolean;
  /** actfisher.L{l}.{p}: Σ_tokens (W_p^T dY_p)² per input channel (default true). */
  actFisher?: boolean;
  /**
   * Longest sequence this graph will be run on (default: the model's context). Attention query chunks that
   * would start at or beyond it are left out; a longer input then fails with a shape error. Needed by the
   * WebGPU EP, whose MatMul refuses the zero-sized tensors of chunks past the sequence's end.
   */
  maxSeq?: number;
}

export type GraphKind = 'forward' | 'forwardBackward';

// Opset 17: ReduceSum takes axes as an input, the other reductions as an attribute. All ops used here
// are implemented by onnxruntime-web's wasm (CPU) kernels.
const OPSET = 17;

/** Forward state kept for the backward pass. */
interface LayerSaved {
  x: string; // residual stream entering the layer [N, dim]
  attnXhat: string;
  attnR: string;
  xnAttn: string; // normalised input of q, k, v [N, dim]
  att: ChunkedAttention;
  kr: string; // [B, T, KV, hd] rotated keys
  att2d: string; // input of o [N, dim]
  x1: string;
  ffnXhat: string;
  ffnR: string;
  xnFfn: string; // input of gate and up [N, dim]
  a: string; // gate pre-activation [N, hidden]
  sig: string;
  silu: string;
  b: string; // up output
  h: string; // input of down [N, hidden]
}

/** Values of the chunked attention that the backward pass reuses. */
interface ChunkedAttention {
  att2d: string; // [N, dim]
  q5: string; // [B, KV, G, T, hd] rotated, scaled queries
  v5: string; // [B, KV, 1, T, hd]
  probs: string[]; // per query chunk c: [B, KV, G, rows of c, keys up to the end of c]
}

class LlamaGraph {
  readonly g: GraphBuilder;
  readonly c: LlamaConfig;
  readonly hd: number;
  readonly kvHeads: number;
  readonly groups: number;
  readonly kvDim: number;
  tokens!: string;
  targets!: string;
  tokenShape!: string; // [B, T] int64
  seqLen!: string; // [1] int64
  private shapeCache = new Map<string, string>();
  cosQ!: string;
  sinQ!: string;
  cosK!: string;
  sinK!: string;
  /** Causal attention in query chunks (both graphs): chunk c sees keys [0, end of c), skipping ~45% of the T×T work. */
  readonly chunk: number;
  chunkMasks: string[] = []; // per chunk [rows of c, keys up to end of c]

  constructor(c: LlamaConfig, name: string) {
    validateConfig(c);
    this.c = c;
    this.g = new GraphBuilder(name, OPSET);
    this.hd = c.dim / c.nHeads;
    this.kvHeads = c.nKvHeads;
    this.groups = c.nHeads / c.nKvHeads;
    this.kvDim = this.hd * c.nKvHeads;
    // Chunks of about 32 queries (at most 16): measured on stories260K at T = 511, 1 thread: 8.6k tokens/CPU-s unchunked, 12.9k with 8 chunks, 14.0k with 16.
    const nChunks = Math.max(1, Math.min(16, Math.ceil(c.maxSeqLen / 32)));
    this.chunk = Math.ceil(c.maxSeqLen / nChunks);
  }

  /** Value name of a weight: weights are graph inputs under their own names (names.ts). */
  w(name: string): string {
    return name;
  }

  declareInputs(withMask: boolean, maxSeq = this.c.maxSeqLen): void {
    if (!Number.isInteger(maxSeq) || maxSeq < 1 || maxSeq > this.c.maxSeqLen)
      throw new Error(`maxSeq must be an integer in 1..${this.c.maxSeqLen} (the model's context), got ${maxSeq}`);
    const g = this.g;
    this.tokens = g.input('tokens', 'int64', ['batch', 'seq']);
    this.targets = g.input('targets', 'int64', ['batch', 'seq']);
    if (withMask) g.input('lossMask', 'float32', ['batch', 'seq']);
    for (const n of weightInputNames(this.c)) g.input(n, 'float32', weightShape(this.c, n));
    this.tokenShape = g.op('Shape', [this.tokens]);
    this.seqLen = g.op('Slice', [this.tokenShape, g.constI64([1]), g.constI64([2]), g.constI64([0])]);
    this.ropeTables();
    // Additive causal mask [T, T] built from the sequence length (no O(context²) initializer): −1e30 where key j > query i.
    const positions = g.op('Range', [
      g.constI64([0], []),
      g.op('Squeeze', [this.seqLen, g.constI64([0])]),
      g.constI64([1], []),
    ]);
    const future = g.op('Greater', [
      g.op('Unsqueeze', [positions, g.constI64([0])]),
      g.op('Unsqueeze', [positions, g.constI64([1])]),
    ]);
    const mask = g.op('Where', [future, g.scalar(-1e30), g.scalar(0)]);
    // Per query chunk, rows [cQ, (c+1)Q) and keys [0, (c+1)Q), clamped to T by Slice (empty when cQ >= T).
    const Q = this.chunk;
    for (let start = 0; start < maxSeq; start += Q)
      this.chunkMasks.push(g.op('Slice', [mask, g.constI64([start, 0]), g.constI64([start + Q, start + Q])]));
  }

  /** RoPE as out = x ⊙ C + swap(x) ⊙ S with interleaved pairs (run.c); 1/sqrt(hd) folded into the query tables. */
  private ropeTables(): void {
    const { hd, g } = this;
    const S = this.c.maxSeqLen;
    const cos = new Float32Array(S * hd);
    const sin = new Float32Array(S * hd);
    for (let t = 0; t < S; t++)
      for (let i = 0; i < hd; i += 2) {
        const freq = 1 / Math.pow(this.c.ropeTheta, i / hd);
        const ang = t * freq;
        // run.c computes these in float32 (powf, cosf, sinf); float64 then rounding agrees to an ulp.
        cos[t * hd + i] = cos[t * hd + i + 1] = Math.cos(ang);
        sin[t * hd + i] = -Math.sin(ang);
        sin[t * hd + i + 1] = Math.sin(ang);
      }
    const scale = 1 / Math.sqrt(hd);
    const slice = (table: Float32Array, hint: string) => {
      const full = g.constF32(table, [S, hd], hint);
      const s = g.op('Slice', [full, g.constI64([0]), this.seqLen, g.constI64([0])]);
      return g.op('Unsqueeze', [s, g.constI64([1])]); // [T, 1, hd] broadcasts over [B, T, heads, hd]
    };
    this.cosK = slice(cos, 'ropeCos');
    this.sinK = slice(sin, 'ropeSin');
    this.cosQ = slice(
      cos.map((v) => v * scale),
      'ropeCosQ',
    );
    this.sinQ = slice(
      sin.map((v) => v * scale),
      'ropeSinQ',
    );
  }

  /** Swaps the elements of each interleaved pair along the last axis of [B, T, heads, hd] (Split+Concat: much faster in ORT than a reversing Slice). */
  private swapPairs(x: string): string {
    const g = this.g;
    const pairs = g.op('Reshape', [x, g.constI64([0, 0, 0, -1, 2])]);
    const [even, odd] = g.opN('Split', [pairs], { axis: 4 }, 2);
    const swapped = g.op('Concat', [odd, even], { axis: 4 });
    return g.op('Reshape', [swapped, g.constI64([0, 0, 0, this.hd])]);
  }

  rope(x: string, cos: string, sin: string): string {
    const g = this.g;
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [this.swapPairs(x), sin])]);
  }

  /** Transpose of rope (its Jacobian is orthogonal-like): dx = d ⊙ C + swap(d ⊙ S). */
  ropeBackward(d: string, cos: string, sin: string): string {
    const g = this.g;
    return g.op('Add', [g.op('Mul', [d, cos]), this.swapPairs(g.op('Mul', [d, sin]))]);
  }

  /** Shape [B, T, ...tail] as an int64 tensor. */
  btShape(tail: number[]): string {
    const key = tail.join(',');
    let s = this.shapeCache.get(key);
    if (!s) {
      s = this.g.op('Concat', [this.tokenShape, this.g.constI64(tail)], { axis: 0 });
      this.shapeCache.set(key, s);
    }
    return s;
  }

  to3d(x2d: string, features: number): string {
    return this.g.op('Reshape', [x2d, this.btShape([features])]);
  }

  rmsnorm(x: string, gain: string): { y: string; xhat: string; r: string } {
    const g = this.g;
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [1], keepdims: 1 });
    const r = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ms, g.scalar(this.c.normEps)])])]);
    const xhat = g.op('Mul', [x, r]);
    return { y: g.op('Mul', [xhat, gain]), xhat, r };
  }

  /** Returns [dx, dgain] for y = xhat ⊙ gain, xhat = x·r. */
  rmsnormBackward(dy: string, xhat: string, r: string, gain: string): [string, string] {
    const g = this.g;
    const dgain = g.op('ReduceSum', [g.op('Mul', [dy, xhat]), g.constI64([0])], { keepdims: 0 });
    const dxhat = g.op('Mul', [dy, gain]);
    const proj = g.op('ReduceMean', [g.op('Mul', [dxhat, xhat])], { axes: [1], keepdims: 1 });
    const dx = g.op('Mul', [g.op('Sub', [dxhat, g.op('Mul', [xhat, proj])]), r]);
    return [dx, dgain];
  }

  /**
   * A variadic op over many values as a left-nested chain of nodes with at most 7 inputs: WebGPU binds one
   * storage buffer per input plus one for the output, and 8 per shader stage is the portable limit (SwiftShader's
   * too; past it ORT's WebGPU Concat returned garbage). Left nesting keeps Sum's left-to-right order, so the CPU
   * numbers are unchanged.
   */
  private chain(op: 'Concat' | 'Sum', xs: string[], attrs: Record<string, number> = {}): string {
    if (xs.length === 1) return xs[0];
    let acc = this.g.op(op, xs.slice(0, 7), attrs);
    for (let i = 7; i < xs.length; i += 6) acc = this.g.op(op, [acc, ...xs.slice(i, i + 6)], attrs);
    return acc;
  }

  /** Causal attention over query chunks; queries [B,T,H,hd], keys/values [B,T,KV,hd] -> [N, dim]. */
  chunkedAttention(qr: string, kr: string, vr: string): ChunkedAttention {
    const { g, c, hd, kvHeads, groups } = this;
    const q5 = g.op('Reshape', [
      g.op('Transpose', [qr], { perm: [0, 2, 1, 3] }),
      g.constI64([0, kvHeads, groups, -1, hd]),
    ]); // [B,KV,G,T,hd]
    const kT5 = g.op('Unsqueeze', [g.op('Transpose', [kr], { perm: [0, 2, 3, 1] }), g.constI64([2])]); // [B,KV,1,hd,T]
    const v5 = g.op('Unsqueeze', [g.op('Transpose', [vr], { perm: [0, 2, 1, 3] }), g.constI64([2])]); // [B,KV,1,T,hd]
    const Q = this.chunk;
    const probs: string[] = [];
    const outs = this.chunkMasks.map((mask, ci) => {
      const start = ci * Q;
      const end = g.constI64([start + Q]);
      const qc = g.op('Slice', [q5, g.constI64([start]), end, g.constI64([3])]);
      const kc = g.op('Slice', [kT5, g.constI64([0]), end, g.constI64([4])]);
      const vc = g.op('Slice', [v5, g.constI64([0]), end, g.constI64([3])]);
      const p = g.op('Softmax', [g.op('Add', [g.op('MatMul', [qc, kc]), mask])], { axis: -1 });
      probs.push(p);
      return g.op('MatMul', [p, vc]); // [B,KV,G,rows of chunk,hd]
    });
    const att5 = this.chain('Concat', outs, { axis: 3 });
    const attH = g.op('Reshape', [att5, g.constI64([0, c.nHeads, -1, hd])]);
    const att2d = g.op('Reshape', [g.op('Transpose', [attH], { perm: [0, 2, 1, 3] }), g.constI64([-1, c.dim])]);
    return { att2d, q5, v5, probs };
  }

  /**
   * Backward of chunkedAttention. dAtt2d [N, dim] -> dq [B,T,H,hd]-ordered as [B,KV,G,T,hd], dk and dv [B,KV,T,hd].
   * Chunk c's key/value gradients cover keys [0, end of c); they are zero-padded to T and summed.
   */
  chunkedAttentionBackward(datt2d: string, a: ChunkedAttention, kr: string): { dq5: string; dk4: string; dv4: string } {
    const { g, c, hd, kvHeads, groups } = this;
    const dA5 = g.op('Reshape', [
      g.op('Transpose', [g.op('Reshape', [datt2d, this.btShape([c.nHeads, hd])])], { perm: [0, 2, 1, 3] }),
      g.constI64([0, kvHeads, groups, -1, hd]),
    ]); // [B,KV,G,T,hd]
    const k5 = g.op('Unsqueeze', [g.op('Transpose', [kr], { perm: [0, 2, 1, 3] }), g.constI64([2])]); // [B,KV,1,T,hd]
    const vT5 = g.op('Transpose', [a.v5], { perm: [0, 1, 2, 4, 3] }); // [B,KV,1,hd,T]
    const Q = this.chunk;
    const dqs: string[] = [];
    const dks: string[] = [];
    const dvs: string[] = [];
    a.probs.forEach((p, ci) => {
      const start = ci * Q;
      const end = g.constI64([start + Q]);
      const dAc = g.op('Slice', [dA5, g.constI64([start]), end, g.constI64([3])]);
      const qc = g.op('Slice', [a.q5, g.constI64([start]), end, g.constI64([3])]);
      const kc = g.op('Slice', [k5, g.constI64([0]), end, g.constI64([3])]);
      const vTc = g.op('Slice', [vT5, g.constI64([0]), end, g.constI64([4])]);
      const dP = g.op('MatMul', [dAc, vTc]); // [B,KV,G,Qc,Kc]
      const rowDot = g.op('ReduceSum', [g.op('Mul', [dP, p]), g.constI64([-1])], { keepdims: 1 });
      const dS = g.op('Mul', [p, g.op('Sub', [dP, rowDot])]);
      dqs.push(g.op('MatMul', [dS, kc])); // [B,KV,G,Qc,hd]
      // An empty chunk (start >= T) contracts over 0 rows; ORT's fused transpose-MatMul then leaves its output
      // uninitialised (seen as garbage on stories260K), so those contributions are replaced by zeros explicitly.
      const present = g.op('Greater', [this.seqLen, g.constI64([start])]);
      const sumGroups = (x: string) =>
        g.op('Where', [present, g.op('ReduceSum', [x, g.constI64([2])], { keepdims: 0 }), g.scalar(0)]); // [B,KV,Kc,hd]
      const dKc = sumGroups(g.op('MatMul', [g.op('Transpose', [dS], { perm: [0, 1, 2, 4, 3] }), qc]));
      const dVc = sumGroups(g.op('MatMul', [g.op('Transpose', [p], { perm: [0, 1, 2, 4, 3] }), dAc]));
      // Pad keys [0, Kc) to [0, T): T − Kc = max(T − (start + Q), 0) zero rows after.
      const after = g.op('Max', [g.op('Sub', [this.seqLen, g.constI64([start + Q])]), g.constI64([0])]);
      const pads = g.op('Concat', [g.constI64([0, 0, 0, 0, 0, 0]), after, g.constI64([0])], { axis: 0 });
      dks.push(g.op('Pad', [dKc, pads]));
      dvs.push(g.op('Pad', [dVc, pads]));
    });
    return {
      dq5: this.chain('Concat', dqs, { axis: 3 }),
      dk4: this.chain('Sum', dks),
      dv4: this.chain('Sum', dvs),
    };
  }

  linear(x: string, weight: string): string {
    return this.g.op('Gemm', [x, weight], { transB: 1 });
  }

  /** Forward pass; returns the final normalised stream, logits [N, V] and what backward needs. */
  forward(opts: ForwardGraphOptions, save: boolean) {
    const { g, c, hd, kvHeads } = this;
    const emb = g.op('Gather', [this.w('tokenEmbedding'), this.tokens], { axis: 0 });
    let x = g.op('Reshape', [emb, g.constI64([-1, c.dim])]);
    const saved: LayerSaved[] = [];
    const linearIn = (l: number, p: Projection, value: string): string => {
      const site: LinearSite = { layer: l, projection: p, inFeatures: projectionInFeatures(c, p) };
      const v = opts.linearInputHook ? opts.linearInputHook(g, value, site) : value;
      if (opts.linearInputs)
        g.output(this.to3d(v, site.inFeatures), linearInputName(l, p), 'float32', ['batch', 'seq', site.inFeatures]);
      return v;
    };
    for (let l = 0; l < c.nLayers; l++) {
      const W = (p: Parameters<typeof layerWeightName>[1]) => this.w(layerWeightName(l, p));
      const an = this.rmsnorm(x, W('attnNorm'));
      const q = this.linear(linearIn(l, 'q', an.y), W('q'));
      const k = this.linear(linearIn(l, 'k', an.y), W('k'));
      const v = this.linear(linearIn(l, 'v', an.y), W('v'));
      const qr = this.rope(g.op('Reshape', [q, this.btShape([c.nHeads, hd])]), this.cosQ, this.sinQ); // [B,T,H,hd]
      const kr = this.rope(g.op('Reshape', [k, this.btShape([kvHeads, hd])]), this.cosK, this.sinK); // [B,T,KV,hd]
      const v4d = g.op('Reshape', [v, this.btShape([kvHeads, hd])]);
      const att = this.chunkedAttention(qr, kr, v4d);
      const att2d = att.att2d;
      const o = this.linear(linearIn(l, 'o', att2d), W('o'));
      const x1 = g.op('Add', [x, o]);
      const fn = this.rmsnorm(x1, W('ffnNorm'));
      const a = this.linear(linearIn(l, 'gate', fn.y), W('gate'));
      const b = this.linear(linearIn(l, 'up', fn.y), W('up'));
      const sig = g.op('Sigmoid', [a]);
      const silu = g.op('Mul', [a, sig]);
      const h = g.op('Mul', [silu, b]);
      const d = this.linear(linearIn(l, 'down', h), W('down'));
      const x2 = g.op('Add', [x1, d]);
      if (save) {
        saved.push({
          x,
          attnXhat: an.xhat,
          attnR: an.r,
          xnAttn: an.y,
          att,
          kr,
          att2d,
          x1,
          ffnXhat: fn.xhat,
          ffnR: fn.r,
          xnFfn: fn.y,
          a,
          sig,
          silu,
          b,
          h,
        });
      }
      x = x2;
    }
    const fin = this.rmsnorm(x, this.w('finalNorm'));
    const cls = this.w(c.sharedClassifier ? 'tokenEmbedding' : 'classifier');
    const logits = this.linear(fin.y, cls); // [N, V]
    // NLL = −log softmax(logits)[target]. ORT's Softmax (MLAS, vectorised exp) is about twice as fast as
    // ReduceLogSumExp here; the probability is floored at the smallest float32 so NLL stays finite (≤ 103.3).
    const probs = g.op('Softmax', [logits], { axis: 1 });
    const targets2d = g.op('Reshape', [this.targets, g.constI64([-1, 1])]);
    const picked = g.op('Max', [g.op('GatherElements', [probs, targets2d], { axis: 1 }), g.scalar(1e-45)]);
    const nll = g.op('Reshape', [g.op('Neg', [g.op('Log', [picked])]), this.tokenShape]);
    g.output(nll, 'nll', 'float32', ['batch', 'seq']);
    if (opts.logits) g.output(this.to3d(logits, c.vocabSize), 'logits', 'float32', ['batch', 'seq', c.vocabSize]);
    return { saved, fin, cls, probs, targets2d };
  }

  /** Per-sequence weight gradients dY_s^T X_s [B, out, in], squared and summed, and/or summed over the batch. */
  weightGrads(
    dy2d: string,
    x2d: string,
    out: number,
    inF: number,
    fisher: string | null,
    gradSum: string | null,
  ): void {
    const g = this.g;
    if (fisher) {
      const dyT = g.op('Transpose', [this.to3d(dy2d, out)], { perm: [0, 2, 1] }); // [B, out, T]
      const perSeq = g.op('MatMul', [dyT, this.to3d(x2d, inF)]); // [B, out, in]
      g.output(
        g.op('ReduceSum', [g.op('Mul', [perSeq, perSeq]), g.constI64([0])], { keepdims: 0 }),
        fisher,
        'float32',
        [out, inF],
      );
      if (gradSum)
        g.output(g.op('ReduceSum', [perSeq, g.constI64([0])], { keepdims: 0 }), gradSum, 'float32', [out, inF]);
    } else if (gradSum) {
      g.output(g.op('Gemm', [dy2d, x2d], { transA: 1 }), gradSum, 'float32', [out, inF]);
    }
  }

  /** dX = dY W for projection p, with its activation Fisher output. */
  linearBackward(l: number, p: Projection, dy: string, x: string, o: Required<ForwardBackwardGraphOptions>): string {
    const g = this.g;
    const [out, inF] = weightShape(this.c, layerWeightName(l, p));
    this.weightGrads(
      dy,
      x,
      out,
      inF,
      o.fisher ? fisherName(l, p) : null,
      o.gradSum ? gradSumName(layerWeightName(l, p)) : null,
    );
    const dx = g.op('Gemm', [dy, this.w(layerWeightName(l, p))]);
    if (o.actFisher)
      g.output(
        g.op('ReduceSum', [g.op('Mul', [dx, dx]), g.constI64([0])], { keepdims: 0 }),
        actFisherName(l, p),
        'float32',
        [inF],
      );
    return dx;
  }

  backward(fwd: ReturnType<LlamaGraph['forward']>, o: Required<ForwardBackwardGraphOptions>): void {
    const { g, c, hd } = this;
    // L = Σ_s mean over scored tokens of sequence s: token weight = mask / (scored tokens of its sequence).
    const mask = 'lossMask';
    const count = g.op('ReduceSum', [mask, g.constI64([1])], { keepdims: 1 });
    const weight = g.op('Reshape', [g.op('Div', [mask, g.op('Max', [count, g.scalar(1)])]), g.constI64([-1, 1])]); // [N, 1]
    const negW = g.op('Neg', [weight]);
    const dlogits = g.op('ScatterElements', [g.op('Mul', [fwd.probs, weight]), fwd.targets2d, negW], {
      axis: 1,
      reduction: 'add',
    });
    const dfin = g.op('Gemm', [dlogits, fwd.cls]);
    const dCls = o.gradSum ? g.op('Gemm', [dlogits, fwd.fin.y], { transA: 1 }) : ''; // [V, dim], only for gradient sums
    const finalNormGrads = this.rmsnormBackward(dfin, fwd.fin.xhat, fwd.fin.r, this.w('finalNorm'));
    let dx = finalNormGrads[0];
    const dFinal = finalNormGrads[1];
    if (o.gradSum) {
      g.output(dFinal, gradSumName('finalNorm'), 'float32', [c.dim]);
      if (!c.sharedClassifier) g.output(dCls, gradSumName('classifier'), 'float32', [c.vocabSize, c.dim]);
    }
    for (let l = c.nLayers - 1; l >= 0; l--) {
      const s = fwd.saved[l];
      // Feed-forward block.
      const dh = this.linearBackward(l, 'down', dx, s.h, o);
      const db = g.op('Mul', [dh, s.silu]);
      const dsilu = g.op('Mul', [dh, s.b]);
      // d silu(a)/da = σ(a)·(1 + a·(1 − σ(a)))
      const dsig = g.op('Mul', [
        s.sig,
        g.op('Add', [g.scalar(1), g.op('Mul', [s.a, g.op('Sub', [g.scalar(1), s.sig])])]),
      ]);
      const da = g.op('Mul', [dsilu, dsig]);
      const dxnF = g.op('Add', [
        this.linearBackward(l, 'gate', da, s.xnFfn, o),
        this.linearBackward(l, 'up', db, s.xnFfn, o),
      ]);
      const [dx1n, dFfnNorm] = this.rmsnormBackward(dxnF, s.ffnXhat, s.ffnR, this.w(layerWeightName(l, 'ffnNorm')));
      const dx1 = g.op('Add', [dx, dx1n]);
      // Attention block.
      const datt2d = this.linearBackward(l, 'o', dx1, s.att2d, o);
      const { dq5, dk4, dv4 } = this.chunkedAttentionBackward(datt2d, s.att, s.kr);
      const dqr = g.op('Transpose', [g.op('Reshape', [dq5, g.constI64([0, c.nHeads, -1, hd])])], {
        perm: [0, 2, 1, 3],
      }); // [B,T,H,hd]
      const dq = g.op('Reshape', [this.ropeBackward(dqr, this.cosQ, this.sinQ), g.constI64([-1, c.dim])]);
      const dkr = g.op('Transpose', [dk4], { perm: [0, 2, 1, 3] });
      const dk = g.op('Reshape', [this.ropeBackward(dkr, this.cosK, this.sinK), g.constI64([-1, this.kvDim])]);
      const dv = g.op('Reshape', [g.op('Transpose', [dv4], { perm: [0, 2, 1, 3] }), g.constI64([-1, this.kvDim])]);
      const dxnA = g.op('Add', [
        g.op('Add', [this.linearBackward(l, 'q', dq, s.xnAttn, o), this.linearBackward(l, 'k', dk, s.xnAttn, o)]),
        this.linearBackward(l, 'v', dv, s.xnAttn, o),
      ]);
      const [dxn, dAttnNorm] = this.rmsnormBackward(dxnA, s.attnXhat, s.attnR, this.w(layerWeightName(l, 'attnNorm')));
      dx = g.op('Add', [dx1, dxn]);
      if (o.gradSum) {
        g.output(dFfnNorm, gradSumName(layerWeightName(l, 'ffnNorm')), 'float32', [c.dim]);
        g.output(dAttnNorm, gradSumName(layerWeightName(l, 'attnNorm')), 'float32', [c.dim]);
      }
    }
    if (o.gradSum) {
      // Embedding rows receive the gradients of their token positions (scatter-add), plus the shared classifier's.
      const zeros = g.op('ConstantOfShape', [g.constI64([c.vocabSize, c.dim])]);
      // ScatterElements, not ScatterND: ORT's multi-threaded ScatterND add races on repeated token ids
      // (run-to-run differences of several % with 2 threads); ScatterElements accumulates in order.
      const idx = g.op('Expand', [g.op('Reshape', [this.tokens, g.constI64([-1, 1])]), g.constI64([1, c.dim])]);
      let dEmb = g.op('ScatterElements', [zeros, idx, dx], { axis: 0, reduction: 'add' });
      if (c.sharedClassifier) dEmb = g.op('Add', [dEmb, dCls]);
      g.output(dEmb, gradSumName('tokenEmbedding'), 'float32', [c.vocabSize, c.dim]);
    }
  }
}

/** The forward graph as ONNX bytes. Inputs: tokens, targets (int64 [batch, seq]; targets must be valid ids) and weights. */
export function buildForwardGraph(c: LlamaConfig, opts: ForwardGraphOptions = {}): Uint8Array {
  const lg = new LlamaGraph(c, 'llama_forward');
  lg.declareInputs(false, opts.maxSeq);
  lg.forward(opts, false);
  return lg.g.toBytes();
}

/**
 * The forward+backward graph as ONNX bytes. Inputs: tokens, targets, lossMask (float32 [batch, seq], 1 where
 * a position's prediction is scored) and weights. The loss is Σ_s L_s with L_s the mean NLL over the scored
 * positions of sequence s, so per-sequence gradients are those of L_s.
 */
export function buildForwardBackwardGraph(c: LlamaConfig, opts: ForwardBackwardGraphOptions = {}): Uint8Array {
  const o: Required<ForwardBackwardGraphOptions> = {
    fisher: opts.fisher ?? true,
    gradSum: opts.gradSum ?? true,
    actFisher: opts.actFisher ?? true,
    maxSeq: opts.maxSeq ?? c.maxSeqLen,
  };
  const lg = new LlamaGraph(c, 'llama_forward_backward');
  lg.declareInputs(true, o.maxSeq);
  const fwd = lg.forward({}, true);
  lg.backward(fwd, o);
  return lg.g.toBytes();
}

/** Output names of the forward+backward graph for these options (besides "nll"). */
export function forwardBackwardOutputNames(c: LlamaConfig, opts: ForwardBackwardGraphOptions = {}): string[] {
  const names: string[] = [];
  for (let l = 0; l < c.nLayers; l++)
    for (const p of PROJECTIONS) {
      if (opts.fisher ?? true) names.push(fisherName(l, p));
      if (opts.actFisher ?? true) names.push(actFisherName(l, p));
    }
  if (opts.gradSum ?? true) for (const w of weightInputNames(c)) names.push(gradSumName(w));
  return names;
}

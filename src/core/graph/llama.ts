// ONNX graphs of a llama2.c-style Llama model, emitted from its config:
//  - forward: tokens, targets [batch, seq] -> per-token NLL (+ optional logits and linear-layer inputs);
//  - forward+backward: additionally Fisher (Σ_s g_s²) of every linear weight, gradient sums of every
//    parameter and per-channel activation Fisher sums, with the backward pass written out op by op.
// This file is only the wiring (llm.c's train_gpt2.c layout): each op's forward and backward live side by side
// in ops/ (rmsnorm, rope, attention, linear, swiglu, crossEntropy), each tested alone against reference/ops.ts.
// The tape keeps the oracle's names (reference/forward.ts LayerActivations) and only what the backward reads.
// Weights are graph inputs (names from names.ts), so quantized copies can be fed without rebuilding.
// Activations are kept as 2-D [N = batch·seq, features] matrices so every linear layer is one Gemm
// with transB=1 on the row-major [out, in] weight (no Transpose of weights per call).
import { GraphBuilder } from './builder.ts';
import { PROJECTIONS, type LlamaConfig, type Projection, validateConfig } from '../model/types.ts';
import { GraphContext } from './ops/context.ts';
import { rmsnorm, rmsnormGainGrad, rmsnormInputGrad, type RmsnormSaved } from './ops/rmsnorm.ts';
import { ropeApply, ropeBackward, ropeTables, type RopeTables } from './ops/rope.ts';
import {
  attention,
  attentionBackward,
  causalChunkMasks,
  type AttentionChunks,
  type AttentionSaved,
} from './ops/attention.ts';
import { linear, linearBackward } from './ops/linear.ts';
import { swiglu, swigluBackward, type SwigluSaved } from './ops/swiglu.ts';
import { crossEntropy, crossEntropyBackward, type CrossEntropySaved } from './ops/crossEntropy.ts';
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

/** Per block, what the backward reads (reference/forward.ts LayerActivations names). */
interface LayerTape {
  attnNormed: string; // input of q, k, v [N, dim]
  attnXhat: string;
  attnInvRms: string;
  k: string; // rotated keys [B, T, KV, hd]
  attention: AttentionSaved; // attnOut (input of o), rotated queries, values, probabilities
  ffnNormed: string; // input of gate and up [N, dim]
  ffnXhat: string;
  ffnInvRms: string;
  swiglu: SwigluSaved; // gate, up (pre-activation [N, hidden]), act (input of down)
}

const rmsSaved = (normed: string, xhat: string, invRms: string): RmsnormSaved => ({ normed, xhat, invRms });

class LlamaGraph {
  readonly g: GraphBuilder;
  readonly c: LlamaConfig;
  ctx!: GraphContext;
  tokens!: string;
  targets!: string;
  rope!: RopeTables;
  chunks!: AttentionChunks;

  constructor(c: LlamaConfig, name: string) {
    validateConfig(c);
    this.c = c;
    this.g = new GraphBuilder(name, OPSET);
  }

  declareInputs(withMask: boolean, maxSeq = this.c.maxSeqLen): void {
    if (!Number.isInteger(maxSeq) || maxSeq < 1 || maxSeq > this.c.maxSeqLen)
      throw new Error(`maxSeq must be an integer in 1..${this.c.maxSeqLen} (the model's context), got ${maxSeq}`);
    const g = this.g;
    this.tokens = g.input('tokens', 'int64', ['batch', 'seq']);
    this.targets = g.input('targets', 'int64', ['batch', 'seq']);
    if (withMask) g.input('lossMask', 'float32', ['batch', 'seq']);
    for (const n of weightInputNames(this.c)) g.input(n, 'float32', weightShape(this.c, n));
    this.ctx = new GraphContext(g, this.c, this.tokens);
    this.rope = ropeTables(this.ctx);
    this.chunks = causalChunkMasks(this.ctx, maxSeq);
  }

  /** Forward pass; returns the final norm, classifier, cross-entropy values and (when save) the tape. */
  forward(opts: ForwardGraphOptions, save: boolean) {
    const { g, c, ctx, rope } = this;
    const { hd, kvHeads } = ctx;
    const emb = g.op('Gather', ['tokenEmbedding', this.tokens], { axis: 0 });
    let x = g.op('Reshape', [emb, g.constI64([-1, c.dim])]);
    const tape: LayerTape[] = [];
    const linearIn = (l: number, p: Projection, value: string): string => {
      const site: LinearSite = { layer: l, projection: p, inFeatures: projectionInFeatures(c, p) };
      const v = opts.linearInputHook ? opts.linearInputHook(g, value, site) : value;
      if (opts.linearInputs)
        g.output(ctx.to3d(v, site.inFeatures), linearInputName(l, p), 'float32', ['batch', 'seq', site.inFeatures]);
      return v;
    };
    for (let l = 0; l < c.nLayers; l++) {
      const W = (p: Parameters<typeof layerWeightName>[1]) => layerWeightName(l, p);
      const an = rmsnorm(g, x, W('attnNorm'), c.normEps);
      const q = linear(ctx, linearIn(l, 'q', an.normed), W('q'));
      const k = linear(ctx, linearIn(l, 'k', an.normed), W('k'));
      const v = linear(ctx, linearIn(l, 'v', an.normed), W('v'));
      const qr = ropeApply(ctx, g.op('Reshape', [q, ctx.btShape([c.nHeads, hd])]), rope.cosQ, rope.sinQ); // [B,T,H,hd]
      const kr = ropeApply(ctx, g.op('Reshape', [k, ctx.btShape([kvHeads, hd])]), rope.cosK, rope.sinK); // [B,T,KV,hd]
      const v4d = g.op('Reshape', [v, ctx.btShape([kvHeads, hd])]);
      const att = attention(ctx, this.chunks, qr, kr, v4d);
      const o = linear(ctx, linearIn(l, 'o', att.attnOut), W('o'));
      const xMid = g.op('Add', [x, o]);
      const fn = rmsnorm(g, xMid, W('ffnNorm'), c.normEps);
      const gate = linear(ctx, linearIn(l, 'gate', fn.normed), W('gate'));
      const up = linear(ctx, linearIn(l, 'up', fn.normed), W('up'));
      const sw = swiglu(g, gate, up);
      const down = linear(ctx, linearIn(l, 'down', sw.act), W('down'));
      x = g.op('Add', [xMid, down]);
      if (save)
        tape.push({
          attnNormed: an.normed,
          attnXhat: an.xhat,
          attnInvRms: an.invRms,
          k: kr,
          attention: att,
          ffnNormed: fn.normed,
          ffnXhat: fn.xhat,
          ffnInvRms: fn.invRms,
          swiglu: sw,
        });
    }
    const fin = rmsnorm(g, x, 'finalNorm', c.normEps);
    const cls = c.sharedClassifier ? 'tokenEmbedding' : 'classifier';
    const logits = linear(ctx, fin.normed, cls); // [N, V]
    const ce = crossEntropy(ctx, logits, this.targets);
    g.output(ce.nll, 'nll', 'float32', ['batch', 'seq']);
    if (opts.logits) g.output(ctx.to3d(logits, c.vocabSize), 'logits', 'float32', ['batch', 'seq', c.vocabSize]);
    return { tape, fin, cls, ce };
  }

  /** Backward of projection p of layer l: its Fisher / gradient-sum / activation-Fisher outputs, then dx = dY W. */
  linearBackward(l: number, p: Projection, dy: string, x: string, o: Required<ForwardBackwardGraphOptions>): string {
    const w = layerWeightName(l, p);
    return linearBackward(this.ctx, dy, x, w, weightShape(this.c, w), {
      fisher: o.fisher ? fisherName(l, p) : null,
      gradSum: o.gradSum ? gradSumName(w) : null,
      actFisher: o.actFisher ? actFisherName(l, p) : null,
    });
  }

  backward(
    fwd: { tape: LayerTape[]; fin: RmsnormSaved; cls: string; ce: CrossEntropySaved },
    o: Required<ForwardBackwardGraphOptions>,
  ): void {
    const { g, c, ctx, rope } = this;
    const hd = ctx.hd;
    const dlogits = crossEntropyBackward(ctx, fwd.ce, 'lossMask');
    const dfin = g.op('Gemm', [dlogits, fwd.cls]);
    const dCls = o.gradSum ? g.op('Gemm', [dlogits, fwd.fin.normed], { transA: 1 }) : ''; // [V, dim], only for gradient sums
    // Norm gains have gradients only in the gradient sums: without them (calibration) those nodes are not built.
    const gainGrad = (dy: string, saved: RmsnormSaved, name: string): void => {
      if (o.gradSum) g.output(rmsnormGainGrad(g, dy, saved), gradSumName(name), 'float32', [c.dim]);
    };
    gainGrad(dfin, fwd.fin, 'finalNorm');
    let dx = rmsnormInputGrad(g, dfin, fwd.fin, 'finalNorm');
    if (o.gradSum && !c.sharedClassifier) g.output(dCls, gradSumName('classifier'), 'float32', [c.vocabSize, c.dim]);
    for (let l = c.nLayers - 1; l >= 0; l--) {
      const s = fwd.tape[l];
      // Feed-forward block: x_out = xMid + down(swiglu(gate(n), up(n))), n = rmsnorm(xMid).
      const dAct = this.linearBackward(l, 'down', dx, s.swiglu.act, o);
      const { dGate, dUp } = swigluBackward(g, dAct, s.swiglu);
      const dFfnNormed = g.op('Add', [
        this.linearBackward(l, 'gate', dGate, s.ffnNormed, o),
        this.linearBackward(l, 'up', dUp, s.ffnNormed, o),
      ]);
      const ffnSaved = rmsSaved(s.ffnNormed, s.ffnXhat, s.ffnInvRms);
      gainGrad(dFfnNormed, ffnSaved, layerWeightName(l, 'ffnNorm'));
      const dxMid = g.op('Add', [dx, rmsnormInputGrad(g, dFfnNormed, ffnSaved, layerWeightName(l, 'ffnNorm'))]);
      // Attention block: xMid = x + o(attention(rope(q(n)), rope(k(n)), v(n))), n = rmsnorm(x).
      const dAttnOut = this.linearBackward(l, 'o', dxMid, s.attention.attnOut, o);
      const { dq5, dk4, dv4 } = attentionBackward(ctx, this.chunks, dAttnOut, s.attention, s.k);
      const dqr = g.op('Transpose', [g.op('Reshape', [dq5, g.constI64([0, c.nHeads, -1, hd])])], {
        perm: [0, 2, 1, 3],
      }); // [B,T,H,hd]
      const dq = g.op('Reshape', [ropeBackward(ctx, dqr, rope.cosQ, rope.sinQ), g.constI64([-1, c.dim])]);
      const dkr = g.op('Transpose', [dk4], { perm: [0, 2, 1, 3] });
      const dk = g.op('Reshape', [ropeBackward(ctx, dkr, rope.cosK, rope.sinK), g.constI64([-1, ctx.kvDim])]);
      const dv = g.op('Reshape', [g.op('Transpose', [dv4], { perm: [0, 2, 1, 3] }), g.constI64([-1, ctx.kvDim])]);
      const dqkv = (['q', 'k', 'v'] as const).map((p, i) =>
        this.linearBackward(l, p, [dq, dk, dv][i], s.attnNormed, o),
      );
      // Below layer 0 only the gradient sums read the input gradient: calibration stops at the q, k, v outputs.
      if (l === 0 && !o.gradSum) break;
      const dAttnNormed = g.op('Add', [g.op('Add', [dqkv[0], dqkv[1]]), dqkv[2]]);
      const attnSaved = rmsSaved(s.attnNormed, s.attnXhat, s.attnInvRms);
      gainGrad(dAttnNormed, attnSaved, layerWeightName(l, 'attnNorm'));
      dx = g.op('Add', [dxMid, rmsnormInputGrad(g, dAttnNormed, attnSaved, layerWeightName(l, 'attnNorm'))]);
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

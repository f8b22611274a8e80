// The activation quantization unit as an ONNX subgraph, emitted through the graph builder's linear-input
// hook so it runs inside the evaluated forward pass, per token and per 16-channel block. rule.ts is the
// same computation in TypeScript, op for op; the tests compare them bit for bit.
// Per linear site (layer l, projection p) the graph gets two inputs, so Fisher and thresholds change
// without rebuilding: actf.L{l}.{p} [blocks·16] (per-channel Fisher, zero-padded) and acttau.L{l}.{p} [1].
import type { GraphBuilder } from '../graph/builder.ts';
import type { LinearInputHook, LinearSite } from '../graph/llama.ts';
import type { Projection } from '../model/types.ts';
import { ACT_BLOCK, E2M1_ARITH, E4M3_ARITH, actBlocksPerToken, type ArithRounding } from './rule.ts';

export const actFisherInputName = (layer: number, p: Projection): string => `actf.L${layer}.${p}`;
export const actTauInputName = (layer: number, p: Projection): string => `acttau.L${layer}.${p}`;
/** FP8 activation blocks per block column, summed over the tokens of the run, [blocks]. */
export const actFp8CountName = (layer: number, p: Projection): string => `actfp8.L${layer}.${p}`;
/** Per-block precision, 1.0 = FP8, [batch·seq, blocks] (quantize mode with masks: true). */
export const actMaskName = (layer: number, p: Projection): string => `actmask.L${layer}.${p}`;
/** Block scores [batch·seq, blocks] (score mode). */
export const actScoreName = (layer: number, p: Projection): string => `actscore.L${layer}.${p}`;

/**
 * Magnitude rounding of a >= 0 (roundMagnitude in rule.ts): saturation first, Min(a, max), which equals
 * rule.ts's "a ≥ max ? max : rounded" (max is on the grid, rounding is monotone, ±Inf → max) and keeps NaN
 * (onnxruntime's Min propagates NaN on both engines: engines.test.ts) — one op less than a select after.
 */
function emitRoundMagnitude(g: GraphBuilder, a: string, r: ArithRounding): string {
  const m = g.op('Min', [a, g.scalar(r.max)]);
  const magic = g.scalar(r.magic);
  const sub = g.op('Sub', [g.op('Add', [m, magic]), magic]);
  const c = g.op('Mul', [m, g.scalar(r.splitter)]);
  const hi = g.op('Sub', [c, g.op('Sub', [c, m])]);
  return g.op('Where', [g.op('Less', [m, g.scalar(r.minNormal)]), sub, hi]);
}

/** x where x != 0, else 1 (a scale safe to divide by). */
function safe(g: GraphBuilder, s: string): string {
  return g.op('Where', [g.op('Equal', [s, g.scalar(0)]), g.scalar(1), s]);
}

/**
 * One format's fake quantization of x (E(x / s) · s, rule.ts) from |x| and Sign(x), shared by both formats:
 * |x| / s = |x / s| (s > 0), and ±m · s = ±(m · s) exactly, so round(|x| / s) · s · Sign(x) is rule.ts's
 * roundSigned(x / s) · s bit for bit: a negative x that rounds to zero keeps its −0 (Sign = −1), x = −0
 * gives +0 as rule.ts does (Sign(−0) = +0), NaN stays NaN. Saves the Abs, compare, Neg and select per format.
 */
function emitFakeQuant(g: GraphBuilder, ax: string, sign: string, s: string, r: ArithRounding): string {
  const m = emitRoundMagnitude(g, g.op('Div', [ax, safe(g, s)]), r);
  return g.op('Mul', [g.op('Mul', [m, s]), sign]);
}

/** What the unit computes from a linear input alone, before any site's Fisher or τ. */
export interface ActQuantShared {
  inFeatures: number;
  blocks: number;
  /** NVFP4 and FP8 versions [N, blocks, 16]. */
  qLo: string;
  qHi: string;
  /** (Q_lo − Q_hi)² [N, blocks, 16]. */
  d2: string;
}

/**
 * The site-independent part of the unit on x [N, in]: both quantized versions and their squared difference.
 * Sites that read the same value (q, k, v; gate, up) share it: actQuantHook emits it once per input value.
 */
export function emitActQuantShared(g: GraphBuilder, x: string, inFeatures: number): ActQuantShared {
  const nb = actBlocksPerToken(inFeatures);
  const P = nb * ACT_BLOCK;
  const padded = P === inFeatures ? x : g.op('Pad', [x, g.constI64([0, 0, 0, P - inFeatures])], { mode: 'constant' });
  const x3 = g.op('Reshape', [padded, g.constI64([-1, nb, ACT_BLOCK])]);
  const ax = g.op('Abs', [x3]);
  const sign = g.op('Sign', [x3]);
  const axf = g.op('Where', [g.op('Less', [ax, g.scalar(Infinity)]), ax, g.scalar(0)]);
  const bamax = g.op('ReduceMax', [axf], { axes: [2], keepdims: 1 }); // [N, nb, 1]
  const tamax = g.op('ReduceMax', [bamax], { axes: [1], keepdims: 1 }); // [N, 1, 1]
  // NVFP4: two-level scale.
  const ts = g.op('Div', [tamax, g.scalar(2688)]);
  const braw = g.op('Div', [g.op('Div', [bamax, g.scalar(6)]), safe(g, ts)]);
  const bs = emitRoundMagnitude(g, braw, E4M3_ARITH);
  const qLo = emitFakeQuant(g, ax, sign, g.op('Mul', [bs, ts]), E2M1_ARITH);
  // FP8: per-token scale.
  const qHi = emitFakeQuant(g, ax, sign, g.op('Div', [tamax, g.scalar(448)]), E4M3_ARITH);
  const d = g.op('Sub', [qLo, qHi]);
  return { inFeatures, blocks: nb, qLo, qHi, d2: g.op('Mul', [d, d]) };
}

export interface ActQuantValues {
  /** Mixed activations [N, in]. */
  out: string;
  /** Block scores [N, blocks]. */
  scores: string;
  /** 1.0 where FP8, [N, blocks, 1] float32. */
  fp8: string;
}

/**
 * One site's part: the Fisher-weighted score (a fixed binary-tree sum over the 16 lanes), the choice S > τ and
 * the mixed output. With `scoresOnly` the choice and the mixed output are left out (out = '').
 */
export function emitActQuantSite(
  g: GraphBuilder,
  sh: ActQuantShared,
  fisher: string,
  tau: string,
  scoresOnly = false,
): ActQuantValues {
  const nb = sh.blocks;
  const P = nb * ACT_BLOCK;
  let w = g.op('Mul', [sh.d2, g.op('Reshape', [fisher, g.constI64([nb, ACT_BLOCK])])]);
  for (let half = ACT_BLOCK / 2; half >= 1; half >>= 1) {
    const lo = g.op('Slice', [w, g.constI64([0]), g.constI64([half]), g.constI64([2])]);
    const hi = g.op('Slice', [w, g.constI64([half]), g.constI64([2 * half]), g.constI64([2])]);
    w = g.op('Add', [lo, hi]);
  }
  const score3 = w; // [N, nb, 1]
  const scores = g.op('Reshape', [score3, g.constI64([-1, nb])]);
  if (scoresOnly) return { out: '', scores, fp8: '' };
  const isFp8 = g.op('Greater', [score3, tau]);
  const mixed = g.op('Reshape', [g.op('Where', [isFp8, sh.qHi, sh.qLo]), g.constI64([-1, P])]);
  const out =
    P === sh.inFeatures ? mixed : g.op('Slice', [mixed, g.constI64([0]), g.constI64([sh.inFeatures]), g.constI64([1])]);
  return { out, scores, fp8: g.op('Cast', [isFp8], { to: 1 }) };
}

/**
 * Emits the unit on x [N, in]. `fisher` names a [blocks·16] float32 value, `tau` a [1] float32 value.
 * With `scoresOnly` the FP8/NVFP4 choice and the mixed output are left out (out = x).
 */
export function emitActQuant(
  g: GraphBuilder,
  x: string,
  inFeatures: number,
  fisher: string,
  tau: string,
  scoresOnly = false,
): ActQuantValues {
  const v = emitActQuantSite(g, emitActQuantShared(g, x, inFeatures), fisher, tau, scoresOnly);
  return scoresOnly ? { ...v, out: x } : v;
}

export type ActQuantMode = 'quantize' | 'scores';

/**
 * The forward graph hook: 'quantize' replaces every linear input by the unit's mixed output and outputs
 * per-site FP8 block counts per block column (and, with masks: true, every block's precision); 'scores' leaves activations in float32 and outputs every
 * block score (for τ calibration). Declares the per-site Fisher and τ inputs.
 */
export function actQuantHook(mode: ActQuantMode, options: { masks?: boolean } = {}): LinearInputHook {
  // One shared part per input value (per graph builder: a hook may serve several graphs).
  const shared = new WeakMap<GraphBuilder, Map<string, ActQuantShared>>();
  return (g: GraphBuilder, input: string, site: LinearSite): string => {
    const { layer, projection: p, inFeatures } = site;
    const nb = actBlocksPerToken(inFeatures);
    const fisher = g.input(actFisherInputName(layer, p), 'float32', [nb * ACT_BLOCK]);
    let byInput = shared.get(g);
    if (!byInput) shared.set(g, (byInput = new Map()));
    let sh = byInput.get(input);
    if (!sh || sh.inFeatures !== inFeatures) byInput.set(input, (sh = emitActQuantShared(g, input, inFeatures)));
    if (mode === 'scores') {
      const v = emitActQuantSite(g, sh, fisher, '', true);
      g.output(v.scores, actScoreName(layer, p), 'float32', ['tokens', nb]);
      return input;
    }
    const tau = g.input(actTauInputName(layer, p), 'float32', [1]);
    const v = emitActQuantSite(g, sh, fisher, tau);
    const counts = g.op('Reshape', [g.op('ReduceSum', [v.fp8, g.constI64([0])], { keepdims: 0 }), g.constI64([nb])]);
    g.output(counts, actFp8CountName(layer, p), 'float32', [nb]);
    if (options.masks)
      g.output(g.op('Reshape', [v.fp8, g.constI64([-1, nb])]), actMaskName(layer, p), 'float32', ['tokens', nb]);
    return v.out;
  };
}

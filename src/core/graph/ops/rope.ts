// RoPE on [B, T, heads, hd] with interleaved pairs (run.c): out = x ⊙ C + swap(x) ⊙ S, where C repeats cos of
// each pair's angle and S is (−sin, +sin); the backward is the transpose, dx = d ⊙ C + swap(d ⊙ S)
// (reference/ops.ts ropeApply, ropeBackward). Frequencies come from model/rope.ts (rope_scaling included).
import { baseInverseFrequencies, configInverseFrequencies, ropeDependsOnLength } from '../../model/rope.ts';
import type { GraphContext } from './context.ts';

/** cos/sin tables [T, 1, hd] (broadcast over heads); 1/sqrt(hd) is folded into the query tables. */
export interface RopeTables {
  cosQ: string;
  sinQ: string;
  cosK: string;
  sinK: string;
}

export function ropeTables(ctx: GraphContext): RopeTables {
  return ropeDependsOnLength(ctx.c) ? dynamicTables(ctx) : constantTables(ctx);
}

/** Tables for every position of the context, stored once and sliced to the run's T. */
function constantTables(ctx: GraphContext): RopeTables {
  const { hd, g } = ctx;
  const S = ctx.c.maxSeqLen;
  const inv = configInverseFrequencies(ctx.c);
  const cos = new Float32Array(S * hd);
  const sin = new Float32Array(S * hd);
  for (let t = 0; t < S; t++)
    for (let i = 0; i < hd; i += 2) {
      const ang = t * inv[i / 2];
      // run.c computes these in float32 (powf, cosf, sinf); float64 then rounding agrees to an ulp.
      cos[t * hd + i] = cos[t * hd + i + 1] = Math.cos(ang);
      sin[t * hd + i] = -Math.sin(ang);
      sin[t * hd + i + 1] = Math.sin(ang);
    }
  const scale = 1 / Math.sqrt(hd);
  const slice = (table: Float32Array, hint: string) => {
    const full = g.constF32(table, [S, hd], hint);
    const s = g.op('Slice', [full, g.constI64([0]), ctx.seqLen, g.constI64([0])]);
    return g.op('Unsqueeze', [s, g.constI64([1])]); // [T, 1, hd] broadcasts over [B, T, heads, hd]
  };
  return {
    cosK: slice(cos, 'ropeCos'),
    sinK: slice(sin, 'ropeSin'),
    cosQ: slice(
      cos.map((v) => v * scale),
      'ropeCosQ',
    ),
    sinQ: slice(
      sin.map((v) => v * scale),
      'ropeSinQ',
    ),
  };
}

/**
 * Dynamic NTK past originalMaxPositions: the base depends on T, so the tables are computed in the graph from T
 * (float32): invFreq'_j = invFreq_j · m^(−2j/(hd−2)) with m = factor·max(T, orig)/orig − (factor − 1), which is
 * base' = base · m^(hd/(hd−2)) of model/rope.ts dynamicNtkBase raised to −2j/hd.
 */
function dynamicTables(ctx: GraphContext): RopeTables {
  const { hd, g, c } = ctx;
  const s = c.ropeScaling;
  if (s?.type !== 'dynamic') throw new Error('dynamic rope tables need a dynamic rope_scaling');
  const inv = baseInverseFrequencies(hd, c.ropeTheta);
  const invPerElement = new Float32Array(hd);
  const exponent = new Float32Array(hd);
  const sign = new Float32Array(hd);
  for (let i = 0; i < hd; i++) {
    const j = Math.floor(i / 2);
    invPerElement[i] = inv[j];
    exponent[i] = (-2 * j) / (hd - 2);
    sign[i] = i % 2 === 0 ? -1 : 1;
  }
  const T = g.op('Cast', [ctx.seqLen], { to: 1 }); // [1] float
  const orig = s.originalMaxPositions;
  const m = g.op('Sub', [
    g.op('Mul', [g.op('Max', [T, g.scalar(orig)]), g.scalar(s.factor / orig)]),
    g.scalar(s.factor - 1),
  ]);
  const invFreq = g.op('Mul', [
    g.constF32(invPerElement, [hd], 'ropeInvFreq'),
    g.op('Pow', [m, g.constF32(exponent, [hd])]),
  ]);
  const positions = g.op(
    'Cast',
    [g.op('Range', [g.constI64([0], []), g.op('Squeeze', [ctx.seqLen, g.constI64([0])]), g.constI64([1], [])])],
    { to: 1 },
  );
  const angles = g.op('Mul', [g.op('Unsqueeze', [positions, g.constI64([1])]), invFreq]); // [T, hd]
  const cos = g.op('Cos', [angles]);
  const sin = g.op('Mul', [g.op('Sin', [angles]), g.constF32(sign, [hd])]);
  const scale = g.scalar(1 / Math.sqrt(hd));
  const heads = (x: string) => g.op('Unsqueeze', [x, g.constI64([1])]);
  return {
    cosK: heads(cos),
    sinK: heads(sin),
    cosQ: heads(g.op('Mul', [cos, scale])),
    sinQ: heads(g.op('Mul', [sin, scale])),
  };
}

/** Swaps the elements of each interleaved pair along the last axis of [B, T, heads, hd] (Split+Concat: much faster in ORT than a reversing Slice). */
function swapPairs(ctx: GraphContext, x: string): string {
  const g = ctx.g;
  const pairs = g.op('Reshape', [x, g.constI64([0, 0, 0, -1, 2])]);
  const [even, odd] = g.opN('Split', [pairs], { axis: 4 }, 2);
  const swapped = g.op('Concat', [odd, even], { axis: 4 });
  return g.op('Reshape', [swapped, g.constI64([0, 0, 0, ctx.hd])]);
}

export function ropeApply(ctx: GraphContext, x: string, cos: string, sin: string): string {
  const g = ctx.g;
  return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [swapPairs(ctx, x), sin])]);
}

/** Transpose of ropeApply (a rotation's transpose rotates back): dx = d ⊙ C + swap(d ⊙ S). */
export function ropeBackward(ctx: GraphContext, d: string, cos: string, sin: string): string {
  const g = ctx.g;
  return g.op('Add', [g.op('Mul', [d, cos]), swapPairs(ctx, g.op('Mul', [d, sin]))]);
}

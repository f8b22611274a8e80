// SwiGLU gating act = silu(gate) ⊙ up, silu(a) = a·σ(a), and its backward (reference/ops.ts swiglu, swigluBackward).
import type { GraphBuilder } from '../builder.ts';

/** What the backward reads besides gate and up: σ(gate) and silu(gate). */
export interface SwigluSaved {
  gate: string;
  up: string;
  sig: string;
  silu: string;
  act: string;
}

export function swiglu(g: GraphBuilder, gate: string, up: string): SwigluSaved {
  const sig = g.op('Sigmoid', [gate]);
  const silu = g.op('Mul', [gate, sig]);
  return { gate, up, sig, silu, act: g.op('Mul', [silu, up]) };
}

/** dUp = dAct ⊙ silu(gate);  dGate = dAct ⊙ up ⊙ σ(gate)·(1 + gate·(1 − σ(gate))). */
export function swigluBackward(g: GraphBuilder, dAct: string, s: SwigluSaved): { dGate: string; dUp: string } {
  const dUp = g.op('Mul', [dAct, s.silu]);
  const dsilu = g.op('Mul', [dAct, s.up]);
  const dsig = g.op('Mul', [
    s.sig,
    g.op('Add', [g.scalar(1), g.op('Mul', [s.gate, g.op('Sub', [g.scalar(1), s.sig])])]),
  ]);
  return { dGate: g.op('Mul', [dsilu, dsig]), dUp };
}

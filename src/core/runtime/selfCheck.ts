// The WebGPU self-check engineChoice.ts runs before it lets the pipeline use WebGPU: a small random Llama
// (the graphs the explorer runs, at a toy size), forward with logits and forward+backward (Fisher) on a few
// tokens, once on wasm and once on WebGPU; the figures are compared with WEBGPU_TOLERANCE by the caller.
// A few hundred milliseconds on a real GPU; never run on a fallback adapter.
import { randomModel, type LlamaConfig } from '../model/types.ts';
import { LlamaEngine, type TokenBatch } from './engine.ts';
import type { ExecutionProvider } from './ort.ts';
import {
  chooseEngine,
  type EngineChoice,
  type EngineEnvironment,
  type EnginePreference,
  type SelfCheckFigures,
} from './engineChoice.ts';

/** Small, but with grouped KV heads and more than one layer, as the explorer's models have. */
export const SELF_CHECK_CONFIG: LlamaConfig = {
  dim: 64,
  hiddenDim: 176,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 96,
  maxSeqLen: 32,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

/** Two rows of 16 tokens from a fixed linear congruence (any ids in the vocabulary do). */
export function selfCheckBatch(config: LlamaConfig = SELF_CHECK_CONFIG, batch = 2, seq = 16): TokenBatch {
  const ids = Array.from({ length: batch * (seq + 1) }, (_, i) => (i * 37 + 11) % config.vocabSize);
  const tokens: number[] = [];
  const targets: number[] = [];
  for (let r = 0; r < batch; r++) {
    const row = ids.slice(r * (seq + 1), (r + 1) * (seq + 1));
    tokens.push(...row.slice(0, seq));
    targets.push(...row.slice(1));
  }
  return { batch, seq, tokens, targets };
}

export interface Run {
  nll: Float32Array;
  logits: Float32Array;
  fbNll: Float32Array;
  grads: Map<string, Float32Array>;
}

async function runOn(executionProvider: ExecutionProvider, threads: number): Promise<Run> {
  const engine = LlamaEngine.forModel(randomModel(SELF_CHECK_CONFIG, 7, 0.5), { threads, executionProvider });
  const b = selfCheckBatch();
  try {
    // Copies: ORT may reuse its output buffers.
    const f = await engine.forward(b, { logits: true });
    const run = { nll: f.nll.slice(), logits: f.logits!.slice() };
    const fb = await engine.forwardBackward(b);
    return { ...run, fbNll: fb.nll.slice(), grads: new Map([...fb.outputs].map(([k, v]) => [k, v.slice()])) };
  } finally {
    await engine.dispose();
  }
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  // Math.max keeps a NaN: a NaN anywhere fails every tolerance.
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Figures of `other` against the wasm reference `ref` (pure: tested in Node on hand-made runs). */
export function compareRuns(ref: Run, other: Run): Omit<SelfCheckFigures, 'seconds'> {
  let worstRelGradDiff = 0;
  for (const [name, r] of ref.grads) {
    const got = other.grads.get(name);
    const rel = got ? maxAbsDiff(r, got) / Math.max(maxAbs(r), 1e-30) : Infinity;
    worstRelGradDiff = Math.max(worstRelGradDiff, rel); // NaN stays NaN
  }
  for (const name of other.grads.keys()) if (!ref.grads.has(name)) worstRelGradDiff = Infinity;
  return {
    maxAbsNllDiff: Math.max(maxAbsDiff(ref.nll, other.nll), maxAbsDiff(ref.fbNll, other.fbNll)),
    maxRelLogitDiff: maxAbsDiff(ref.logits, other.logits) / Math.max(maxAbs(ref.logits), 1e-30),
    worstRelGradDiff,
  };
}

/** wasm first (it also starts onnxruntime-web with the worker's thread count), then `candidate`. */
export async function runSelfCheck(
  threads: number,
  candidate: ExecutionProvider = 'webgpu',
): Promise<SelfCheckFigures> {
  const t0 = performance.now();
  const ref = await runOn('wasm', threads);
  const other = await runOn(candidate, threads);
  return { ...compareRuns(ref, other), seconds: (performance.now() - t0) / 1000 };
}

export type { EngineChoice, EnginePreference };

/** The engine choice for this global scope (the pipeline worker's), with the real self-check. */
export const chooseEngineHere = (pref: EnginePreference = {}): Promise<EngineChoice> =>
  chooseEngine(globalThis as EngineEnvironment, (threads) => runSelfCheck(threads), pref);

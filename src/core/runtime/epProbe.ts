// Runs the forward and forward+backward graphs of a llama2.c checkpoint on one execution provider and
// returns the raw numbers and timings, so that a caller can compare WebGPU against wasm (e2e/webgpu.spec.ts
// loads this module in the browser through the app's test hook). No DOM: it also runs in Node (wasm only).
import { parseLlama2c } from '../model/loaders/llama2c.ts';
import { LlamaEngine, type TokenBatch } from './engine.ts';
import { hasWebGpu, type ExecutionProvider, type RuntimeOptions } from './ort.ts';

export { hasWebGpu };

export interface EpProbeOptions {
  /** Sequences of token ids; each gives one row of length `seq`: tokens[0..seq-1] predicting tokens[1..seq]. */
  sequences: number[][];
  seq: number;
  /** Warm forward runs after the first (which includes session creation and, on WebGPU, shader compilation). */
  repeats?: number;
  /** Also run forward+backward (Fisher, activation Fisher and gradient sums). */
  backward?: boolean;
  threads?: number;
  /** ORT native log level for the sessions (0 prints which EP each node was placed on). */
  logSeverityLevel?: RuntimeOptions['logSeverityLevel'];
}

export interface EpProbeResult {
  executionProvider: ExecutionProvider;
  batch: number;
  seq: number;
  /** Seconds of each forward run; [0] includes session creation. */
  forwardSeconds: number[];
  /** NLL per position of the first and last forward run, [batch · seq]. */
  nll: Float32Array;
  nllRepeat: Float32Array;
  logits: Float32Array;
  logitsRepeat: Float32Array;
  backward?: {
    /** Seconds of the first (session creation included) and second run. */
    seconds: number[];
    nll: Float32Array;
    /** fisher.*, actfisher.*, gradsum.* by name (second run). */
    outputs: Record<string, Float32Array>;
    /** Whether the second run gave bit-identical outputs to the first. */
    repeatIdentical: boolean;
  };
}

function batchOf(sequences: number[][], seq: number): TokenBatch {
  if (sequences.length === 0) throw new Error('at least one sequence is needed');
  const tokens: number[] = [];
  const targets: number[] = [];
  sequences.forEach((s, i) => {
    if (s.length < seq + 1)
      throw new Error(`sequence ${i} has ${s.length} ids; ${seq + 1} are needed for ${seq} predictions`);
    tokens.push(...s.slice(0, seq));
    targets.push(...s.slice(1, seq + 1));
  });
  return { batch: sequences.length, seq, tokens, targets };
}

const sameBits = (a: Float32Array, b: Float32Array): boolean => {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};

export async function probeExecutionProvider(
  modelBytes: Uint8Array,
  executionProvider: ExecutionProvider,
  opts: EpProbeOptions,
): Promise<EpProbeResult> {
  if (executionProvider === 'webgpu' && !(await hasWebGpu()))
    throw new Error('no WebGPU adapter here (navigator.gpu.requestAdapter() gave none)');
  const model = parseLlama2c(modelBytes, 'probe.bin');
  const engine = LlamaEngine.forModel(model, {
    threads: opts.threads ?? 1,
    executionProvider,
    logSeverityLevel: opts.logSeverityLevel,
  });
  const b = batchOf(opts.sequences, opts.seq);
  try {
    const forwardSeconds: number[] = [];
    const runs: { nll: Float32Array; logits: Float32Array }[] = [];
    for (let r = 0; r <= (opts.repeats ?? 1); r++) {
      const t0 = performance.now();
      const out = await engine.forward(b, { logits: true });
      forwardSeconds.push((performance.now() - t0) / 1000);
      // Copies: ORT may reuse its output buffers.
      runs.push({ nll: out.nll.slice(), logits: out.logits!.slice() });
    }
    const res: EpProbeResult = {
      executionProvider,
      batch: b.batch,
      seq: b.seq,
      forwardSeconds,
      nll: runs[0].nll,
      nllRepeat: runs[runs.length - 1].nll,
      logits: runs[0].logits,
      logitsRepeat: runs[runs.length - 1].logits,
    };
    if (opts.backward) {
      const seconds: number[] = [];
      const fb: { nll: Float32Array; outputs: Map<string, Float32Array> }[] = [];
      for (let r = 0; r < 2; r++) {
        const t0 = performance.now();
        const out = await engine.forwardBackward(b);
        seconds.push((performance.now() - t0) / 1000);
        fb.push({ nll: out.nll.slice(), outputs: new Map([...out.outputs].map(([k, v]) => [k, v.slice()])) });
      }
      let repeatIdentical = sameBits(fb[0].nll, fb[1].nll);
      for (const [k, v] of fb[1].outputs) repeatIdentical &&= sameBits(v, fb[0].outputs.get(k)!);
      res.backward = { seconds, nll: fb[1].nll, outputs: Object.fromEntries(fb[1].outputs), repeatIdentical };
    }
    return res;
  } finally {
    await engine.dispose();
  }
}

// For tests that need more than the probe (e.g. intermediate values through ForwardOptions.linearInputs),
// and the engine choice with its self-check, run in the page by e2e/webgpu.spec.ts.
export { LlamaEngine, parseLlama2c };
export { chooseEngine, judgeAdapter, WEBGPU_TOLERANCE } from './engineChoice.ts';
export { runSelfCheck } from './selfCheck.ts';

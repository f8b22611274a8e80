// Which engine the explorer's pipeline worker runs on, chosen once per worker before its first session
// (onnxruntime-web fixes its wasm thread count then):
//  - wasm threads: as many as navigator.hardwareConcurrency when the context is cross-origin isolated
//    (SharedArrayBuffer), else one;
//  - the WebGPU execution provider only when requestAdapter() gives a real adapter (not a fallback or a
//    software one such as SwiftShader) and a short self-check against wasm (selfCheck.ts) passes within
//    WEBGPU_TOLERANCE; else wasm, and the reason is kept for the UI.
// The choice never enters the share link: both engines give the same numbers within the tolerance.
// No DOM: the environment is passed in (a worker's `self`, or a fake in tests). No onnxruntime either (the
// page imports the preference parser): selfCheck.ts runs the check and has chooseEngineHere.
import type { RuntimeOptions } from './ort.ts';

/** More threads than this buy nothing on the explorer's models and cost a Web Worker each. */
export const MAX_WASM_THREADS = 16;

/**
 * The numerics contract of the WebGPU path against the CPU path (docs/webgpu.md, which also gives the
 * margins measured on stories260K): the self-check and e2e/webgpu.spec.ts use these.
 */
export const WEBGPU_TOLERANCE = {
  /** max |ΔNLL| per position, forward and forward+backward. */
  nll: 1e-4,
  /** max |Δlogit| / max |logit|. */
  logitRel: 1e-5,
  /** Per Fisher / activation-Fisher / gradient-sum tensor: max |Δ| / max |CPU value|. */
  gradRel: 1e-4,
} as const;

/** What a user or a benchmark may ask for in the page's query (?threads=1, ?engine=wasm); never in the share link. */
export interface EnginePreference {
  threads?: number;
  /** false: never try WebGPU. */
  webgpu?: boolean;
}

export type ThreadReason = 'isolated' | 'not-isolated' | 'requested' | 'one-core';

export type WebGpuStatus =
  | 'off' // the preference said no
  | 'unavailable' // no navigator.gpu here
  | 'no-adapter' // requestAdapter() gave none (or threw)
  | 'fallback' // a fallback or software adapter
  | 'check-failed' // the self-check ran and disagreed with wasm beyond the tolerance
  | 'check-error' // the self-check could not run on WebGPU
  | 'accepted';

export interface SelfCheckFigures {
  maxAbsNllDiff: number;
  maxRelLogitDiff: number;
  worstRelGradDiff: number;
  seconds: number;
}

export interface EngineChoice {
  executionProvider: 'wasm' | 'webgpu';
  /** wasm threads (also the CPU fallback's on WebGPU). */
  threads: number;
  threadReason: ThreadReason;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number | null;
  webgpu: {
    status: WebGpuStatus;
    /** The adapter as it names itself ("vendor architecture"), when there was one. */
    adapter: string | null;
    /** English detail (an error message, the figures that failed), for the UI's tooltip and the logs. */
    detail: string;
    check: SelfCheckFigures | null;
  };
  /** What the pipeline runs with. */
  runtime: RuntimeOptions;
  /** Shown with every result (which engine computed it). */
  engineName: string;
}

/** The parts of a worker's or window's global scope the choice reads. */
export interface EngineEnvironment {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number; gpu?: { requestAdapter(): Promise<unknown> } };
}

/** Runs the self-check on WebGPU against wasm (selfCheck.ts in the app; a fake in tests). */
export type SelfCheck = (threads: number) => Promise<SelfCheckFigures>;

/** Reads ?threads=N and ?engine=wasm from a query string; anything else is ignored (the defaults hold). */
export function parseEnginePreference(search: string): EnginePreference {
  const q = new URLSearchParams(search);
  const pref: EnginePreference = {};
  const t = Number(q.get('threads'));
  if (Number.isInteger(t) && t >= 1 && t <= MAX_WASM_THREADS) pref.threads = t;
  if (q.get('engine') === 'wasm') pref.webgpu = false;
  return pref;
}

/** wasm threads: hardwareConcurrency (capped) when isolated, one otherwise; a preference can only ask for fewer. */
export function wasmThreads(
  env: EngineEnvironment,
  pref: EnginePreference = {},
): { threads: number; reason: ThreadReason } {
  if (env.crossOriginIsolated !== true) return { threads: 1, reason: 'not-isolated' };
  const cores = env.navigator?.hardwareConcurrency;
  const available = Number.isInteger(cores) && cores! >= 1 ? Math.min(cores!, MAX_WASM_THREADS) : 1;
  if (pref.threads !== undefined && pref.threads < available) return { threads: pref.threads, reason: 'requested' };
  return { threads: available, reason: available > 1 ? 'isolated' : 'one-core' };
}

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}

/** Software rasterisers that present themselves as GPUs (Chromium's SwiftShader, Mesa's llvmpipe/lavapipe, Windows' WARP). */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|software/i;

/** Whether an adapter is a real GPU: not flagged fallback (either spelling of the flag), not a software renderer. */
export function judgeAdapter(adapter: unknown): { real: boolean; name: string } {
  const a = (adapter ?? {}) as AdapterLike;
  const info = a.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ').trim();
  const fallback = a.isFallbackAdapter === true || info.isFallbackAdapter === true || SOFTWARE.test(name);
  return { real: !fallback, name: name || 'unnamed adapter' };
}

/** Whether self-check figures are within WEBGPU_TOLERANCE (NaN fails). */
export const withinTolerance = (f: SelfCheckFigures): boolean =>
  f.maxAbsNllDiff < WEBGPU_TOLERANCE.nll &&
  f.maxRelLogitDiff < WEBGPU_TOLERANCE.logitRel &&
  f.worstRelGradDiff < WEBGPU_TOLERANCE.gradRel;

const fmt = (x: number) => x.toExponential(1);

export async function chooseEngine(
  env: EngineEnvironment,
  selfCheck: SelfCheck,
  pref: EnginePreference = {},
): Promise<EngineChoice> {
  const { threads, reason } = wasmThreads(env, pref);
  const webgpu: EngineChoice['webgpu'] = { status: 'off', adapter: null, detail: '', check: null };
  const gpu = env.navigator?.gpu;
  if (pref.webgpu === false) webgpu.detail = 'WebGPU not tried (?engine=wasm)';
  else if (!gpu) {
    webgpu.status = 'unavailable';
    webgpu.detail = 'this browser has no WebGPU (navigator.gpu)';
  } else {
    let adapter: unknown = null;
    try {
      adapter = await gpu.requestAdapter();
    } catch (e) {
      webgpu.detail = `requestAdapter() failed: ${(e as Error).message}`;
    }
    if (!adapter) {
      webgpu.status = 'no-adapter';
      webgpu.detail ||= 'navigator.gpu.requestAdapter() gave no adapter';
    } else {
      const judged = judgeAdapter(adapter);
      webgpu.adapter = judged.name;
      if (!judged.real) {
        webgpu.status = 'fallback';
        webgpu.detail = `${judged.name} is a fallback (software) adapter`;
      } else {
        try {
          const f = await selfCheck(threads);
          webgpu.check = f;
          const figures = `|ΔNLL| ${fmt(f.maxAbsNllDiff)}, logits ${fmt(f.maxRelLogitDiff)}, gradients ${fmt(f.worstRelGradDiff)}`;
          const limits = `${fmt(WEBGPU_TOLERANCE.nll)}, ${fmt(WEBGPU_TOLERANCE.logitRel)}, ${fmt(WEBGPU_TOLERANCE.gradRel)}`;
          webgpu.status = withinTolerance(f) ? 'accepted' : 'check-failed';
          webgpu.detail = `self-check against wasm: ${figures} (tolerance ${limits})`;
        } catch (e) {
          webgpu.status = 'check-error';
          webgpu.detail = `self-check failed to run: ${(e as Error).message}`;
        }
      }
    }
  }
  const executionProvider = webgpu.status === 'accepted' ? 'webgpu' : 'wasm';
  const what = executionProvider === 'webgpu' ? `WebGPU (${webgpu.adapter}) + wasm` : 'wasm';
  return {
    executionProvider,
    threads,
    threadReason: reason,
    crossOriginIsolated: env.crossOriginIsolated === true,
    hardwareConcurrency: env.navigator?.hardwareConcurrency ?? null,
    webgpu,
    runtime: { threads, executionProvider },
    engineName: `src/core/pipeline (onnxruntime-web ${what}, ${threads} thread${threads === 1 ? '' : 's'})`,
  };
}

// Sessions on one of two engines, same graphs and feeds: onnxruntime-web (wasm, everywhere; WebGPU in the
// browser) and onnxruntime-node (native, Node only; native.ts, loaded on demand so the browser build never
// bundles it). In Node, `import * as ort from 'onnxruntime-web'` resolves to its Node build, which finds its
// .wasm files next to itself; in the browser Vite bundles them. wasm threads need cross-origin isolation.
// Tensors are onnxruntime-web's on both engines (onnxruntime-node reads type, dims and data).
import * as ort from 'onnxruntime-web';
import { createNativeSession, type NativeProvider } from './native.ts';

export { ort };

export type ExecutionProvider = 'wasm' | 'webgpu';

/** 'wasm': onnxruntime-web (default; the browser's only engine). 'native': onnxruntime-node (Node only). */
export type EngineKind = 'wasm' | 'native';
export const ENGINE_KINDS: readonly EngineKind[] = ['native', 'wasm'];

export interface RuntimeOptions {
  /** Which onnxruntime runs the graphs (default 'wasm'; the CLI defaults to 'native'). */
  engine?: EngineKind;
  /**
   * Threads. wasm: ORT reads this once, at its first session (fixed per process or worker). native: per
   * session (intra-op threads), any count.
   */
  threads?: number;
  /** wasm engine: 'webgpu' only when a real adapter exists (the software adapter is slow and breaks float16). */
  executionProvider?: ExecutionProvider;
  /** native engine: providers tried before the CPU (e.g. ['cuda'] where the install has onnxruntime's CUDA build). */
  nativeProviders?: readonly NativeProvider[];
  /** native engine: idle threads spin-wait (ORT's default; faster on an idle dedicated machine). Default off. */
  spinning?: boolean;
  /** ORT graph optimisation level (default 'all'; a knob for bisecting numerical differences). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Enables ORT's per-node profiler (JSON trace written by endProfiling in Node). */
  profile?: boolean;
  /** ORT's native log level for the session (0 verbose ... 4 fatal; default ORT's own, 2). 0 prints node placements. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

// Vite emits both files as hashed assets (new URL(…, import.meta.url) is its asset syntax); in Node these
// are plain file URLs, unused. The JSEP build: the one that also has the WebGPU EP.
const ORT_MODULE = {
  mjs: new URL('../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.mjs', import.meta.url),
  wasm: new URL('../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm', import.meta.url),
};
const inNode = typeof process !== 'undefined' && !!process.versions?.node;

let initialisedThreads: number | null = null;

/**
 * Sets ort.env once; a later call asking for another thread count fails loudly instead of being ignored.
 * Returns the thread count ORT will use.
 */
export function configureOrt(opts: RuntimeOptions = {}): number {
  const threads = checkThreads(opts.threads ?? 1);
  if (initialisedThreads !== null) {
    if (initialisedThreads !== threads)
      throw new Error(
        `onnxruntime-web already started with ${initialisedThreads} thread(s); thread count is fixed per process or worker`,
      );
    return ort.env.wasm.numThreads ?? threads;
  }
  // In a browser without cross-origin isolation there is no SharedArrayBuffer, so ORT cannot start threads:
  // say so and use one, instead of letting ORT fall back silently.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  let effective = threads;
  if (threads > 1 && isolated === false) {
    console.warn(`onnxruntime-web: ${threads} threads need cross-origin isolation (COOP/COEP headers); using 1`);
    effective = 1;
  }
  ort.env.wasm.numThreads = effective;
  if (!inNode) ort.env.wasm.wasmPaths = { mjs: ORT_MODULE.mjs.href, wasm: ORT_MODULE.wasm.href };
  ort.env.logLevel = 'error';
  initialisedThreads = threads;
  return effective;
}

/** Thread count ORT was started with in this process (null before the first session). */
export const ortThreads = (): number | null => initialisedThreads;

/** Whether a WebGPU adapter can be requested here (never in Node). */
export async function hasWebGpu(): Promise<boolean> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/** The package name errors start with, so a message says which engine failed. */
const engineLabel = (engine: EngineKind): string => (engine === 'native' ? 'onnxruntime-node' : 'onnxruntime-web');

/** Sessions remember their engine so that run errors name it. */
const sessionEngine = new WeakMap<object, EngineKind>();

function describeFailure(what: string, e: unknown, engine: EngineKind = 'wasm'): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const oom = /memory|alloc|OOM|out of bounds/i.test(msg);
  return new Error(
    `${engineLabel(engine)}: ${what} failed: ${msg}${oom ? ' (likely out of memory: use a smaller batch or shorter sequences)' : ''}`,
    { cause: e },
  );
}

function checkThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new Error(`threads must be a positive integer, got ${threads}`);
  return threads;
}

export async function createSession(
  model: Uint8Array,
  opts: RuntimeOptions = {},
  label = 'graph',
): Promise<ort.InferenceSession> {
  const engine = opts.engine ?? 'wasm';
  if (engine !== 'wasm' && engine !== 'native')
    throw new Error(`unknown engine "${String(engine)}" (use native or wasm)`);
  if (engine === 'native') {
    if (opts.executionProvider === 'webgpu')
      throw new Error('WebGPU is an onnxruntime-web provider: use engine wasm for it');
    const threads = checkThreads(opts.threads ?? 1);
    try {
      const s = await createNativeSession(model, {
        threads,
        providers: opts.nativeProviders ?? [],
        graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
        profile: opts.profile ?? false,
        logSeverityLevel: opts.logSeverityLevel,
        spinning: opts.spinning,
      });
      sessionEngine.set(s, 'native');
      return s as unknown as ort.InferenceSession;
    } catch (e) {
      throw describeFailure(`creating the ${label} session`, e, 'native');
    }
  }
  configureOrt(opts);
  const ep = opts.executionProvider ?? 'wasm';
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: ep === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
      graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
      enableProfiling: opts.profile ?? false,
      ...(opts.logSeverityLevel !== undefined ? { logSeverityLevel: opts.logSeverityLevel } : {}),
    });
  } catch (e) {
    throw describeFailure(`creating the ${label} session`, e);
  }
}

export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  label: string,
  fetches?: readonly string[],
): Promise<Record<string, ort.Tensor>> {
  try {
    return fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  } catch (e) {
    throw describeFailure(`running ${label}`, e, sessionEngine.get(session) ?? 'wasm');
  }
}

/** float32 tensor over an existing array (no copy on the JS side; ORT copies it into wasm memory once per run). */
export const f32 = (data: Float32Array, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

export function i64(data: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  const a = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) a[i] = BigInt(data[i]);
  return new ort.Tensor('int64', a, dims);
}

/** Copies a float32 output out of ORT's buffer (which may be reused). */
export const f32Data = (t: ort.Tensor): Float32Array => {
  if (t.type !== 'float32') throw new Error(`expected a float32 output, got ${t.type}`);
  return t.data as Float32Array;
};

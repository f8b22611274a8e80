// onnxruntime-web setup shared by Node (CLI, tests, benches) and the browser worker. In Node,
// `import * as ort from 'onnxruntime-web'` resolves to its Node build, which finds its .wasm files next to
// itself; in the browser Vite bundles them. Threads need cross-origin isolation in the browser.
import * as ort from 'onnxruntime-web';

export { ort };

export type ExecutionProvider = 'wasm' | 'webgpu';

export interface RuntimeOptions {
  /** wasm threads (1 or 2 on this project's machines). ORT reads this once, at its first session. */
  threads?: number;
  /** 'webgpu' only when a real adapter exists (the software adapter is slow and breaks float16). */
  executionProvider?: ExecutionProvider;
  /** Enables ORT's per-node profiler (JSON trace written by endProfiling in Node). */
  profile?: boolean;
  /** ORT's native log level for the session (0 verbose ... 4 fatal; default ORT's own, 2). 0 prints node placements. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

let initialisedThreads: number | null = null;

/**
 * Sets ort.env once; a later call asking for another thread count fails loudly instead of being ignored.
 * Returns the thread count ORT will use.
 */
export function configureOrt(opts: RuntimeOptions = {}): number {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (initialisedThreads !== null) {
    if (initialisedThreads !== threads)
      throw new Error(`onnxruntime-web already started with ${initialisedThreads} thread(s); thread count is fixed per process or worker`);
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

function describeFailure(what: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const oom = /memory|alloc|OOM|out of bounds/i.test(msg);
  return new Error(
    `onnxruntime-web: ${what} failed: ${msg}${oom ? ' (likely out of memory: use a smaller batch or shorter sequences)' : ''}`,
    { cause: e },
  );
}

export async function createSession(model: Uint8Array, opts: RuntimeOptions = {}, label = 'graph'): Promise<ort.InferenceSession> {
  configureOrt(opts);
  const ep = opts.executionProvider ?? 'wasm';
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: ep === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
      graphOptimizationLevel: 'all',
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
    throw describeFailure(`running ${label}`, e);
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

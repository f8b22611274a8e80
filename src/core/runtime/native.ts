// onnxruntime-node: the native CPU engine for Node (CLI, tests, benches). The same ONNX graphs and the same
// feeds as the wasm engine; sessions are created by the native library (MLAS kernels, real threads).
// The module is loaded with a dynamic import of a computed specifier, so Vite never bundles it and the
// browser build never sees it; calling it in a browser fails with a clear message instead.
import type { InferenceSession } from 'onnxruntime-web';

/** The subset of onnxruntime-node's module this project uses. */
interface OrtNode {
  InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  listSupportedBackends(): { name: string; bundled: boolean }[];
}

let loading: Promise<OrtNode> | null = null;

const isNode = (): boolean =>
  typeof process !== 'undefined' && typeof (process as { versions?: { node?: string } }).versions?.node === 'string';

/** Loads onnxruntime-node once (Node only). */
export function loadOrtNode(): Promise<OrtNode> {
  if (!isNode())
    return Promise.reject(new Error("the native engine (onnxruntime-node) runs in Node only; use engine 'wasm' here"));
  if (!loading) {
    const specifier = ['onnxruntime', 'node'].join('-');
    loading = import(/* @vite-ignore */ specifier).then(
      (m: { default?: OrtNode } & OrtNode) => (m.default ?? m) as OrtNode,
    );
    loading.catch(() => (loading = null));
  }
  return loading;
}

/** Execution providers of the native engine: 'cpu' (bundled), 'cuda' where the user's install has it. */
export type NativeProvider = 'cpu' | 'cuda';

export interface NativeSessionOptions {
  threads: number;
  providers: readonly NativeProvider[];
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  profile: boolean;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Let idle intra-op threads spin-wait for work (ORT's own default; off here, see createNativeSession). */
  spinning?: boolean;
}

export async function createNativeSession(model: Uint8Array, o: NativeSessionOptions): Promise<InferenceSession> {
  const ortNode = await loadOrtNode();
  return ortNode.InferenceSession.create(model, {
    // CPU always last: nodes a GPU provider lacks fall back to it.
    executionProviders: [...new Set([...o.providers, 'cpu'])],
    graphOptimizationLevel: o.graphOptimizationLevel,
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableProfiling: o.profile,
    logSeverityLevel: o.logSeverityLevel ?? 3,
    // Spinning threads burn their time slices waiting: on a shared or oversubscribed machine that halved
    // forward+backward throughput on the stories15M shape (2 threads, load ~20 on 2 cores: 133 vs 250 tokens/s).
    extra: { session: { intra_op: { allow_spinning: o.spinning ? '1' : '0' } } },
  });
}

import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARE_STATE, decodeShareQuery, encodeShareQuery } from '../url/shareState';
import {
  chooseEngine,
  judgeAdapter,
  MAX_WASM_THREADS,
  parseEnginePreference,
  wasmThreads,
  WEBGPU_TOLERANCE,
  withinTolerance,
  type EngineEnvironment,
  type SelfCheck,
  type SelfCheckFigures,
} from './engineChoice';

// Adapters as Chromium reports them (adapter.info); the SwiftShader one is what headless Chromium with
// --enable-unsafe-webgpu gives here (e2e/webgpu.spec.ts reads it from the page).
const SWIFTSHADER = {
  info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true },
};
const NVIDIA = {
  info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: '', isFallbackAdapter: false },
};

const env = (isolated: boolean, cores: number, adapter?: unknown): EngineEnvironment => ({
  crossOriginIsolated: isolated,
  navigator: {
    hardwareConcurrency: cores,
    ...(adapter === undefined ? {} : { gpu: { requestAdapter: async () => adapter } }),
  },
});

const figures = (nll: number, logit: number, grad: number): SelfCheckFigures => ({
  maxAbsNllDiff: nll,
  maxRelLogitDiff: logit,
  worstRelGradDiff: grad,
  seconds: 0.1,
});

/** A self-check that records its calls and answers `f` (or throws it). */
function fakeCheck(f: SelfCheckFigures | Error) {
  const calls: number[] = [];
  const check: SelfCheck = async (threads) => {
    calls.push(threads);
    if (f instanceof Error) throw f;
    return f;
  };
  return { check, calls };
}

describe('wasm threads', () => {
  it('uses every core when cross-origin isolated, one thread otherwise', () => {
    expect(wasmThreads({ crossOriginIsolated: true, navigator: { hardwareConcurrency: 2 } })).toEqual({
      threads: 2,
      reason: 'isolated',
    });
    expect(wasmThreads({ crossOriginIsolated: false, navigator: { hardwareConcurrency: 8 } })).toEqual({
      threads: 1,
      reason: 'not-isolated',
    });
    // No isolation API at all (Node, old browsers): no SharedArrayBuffer promised, one thread.
    expect(wasmThreads({ navigator: { hardwareConcurrency: 8 } }).threads).toBe(1);
    expect(wasmThreads({ crossOriginIsolated: true, navigator: { hardwareConcurrency: 1 } })).toEqual({
      threads: 1,
      reason: 'one-core',
    });
    expect(wasmThreads({ crossOriginIsolated: true, navigator: { hardwareConcurrency: 128 } }).threads).toBe(
      MAX_WASM_THREADS,
    );
    expect(wasmThreads({ crossOriginIsolated: true, navigator: {} }).threads).toBe(1);
  });

  it('a ?threads= preference asks for fewer, never for more than the page allows', () => {
    expect(wasmThreads(env(true, 8), { threads: 1 })).toEqual({ threads: 1, reason: 'requested' });
    expect(wasmThreads(env(true, 2), { threads: 4 })).toEqual({ threads: 2, reason: 'isolated' });
    expect(wasmThreads(env(false, 8), { threads: 4 })).toEqual({ threads: 1, reason: 'not-isolated' });
  });

  it('reads the preference from the query and ignores what it does not understand', () => {
    expect(parseEnginePreference('?threads=1&engine=wasm')).toEqual({ threads: 1, webgpu: false });
    expect(parseEnginePreference('?lang=zh-CN&threads=2')).toEqual({ threads: 2 });
    for (const bad of [
      '?threads=0',
      '?threads=1.5',
      '?threads=x',
      `?threads=${MAX_WASM_THREADS + 1}`,
      '?engine=gpu',
      '',
    ])
      expect(parseEnginePreference(bad), bad).toEqual({});
  });
});

describe('adapters', () => {
  it('a fallback flag (either spelling) or a software renderer is not a real GPU', () => {
    expect(judgeAdapter(SWIFTSHADER)).toEqual({ real: false, name: 'google swiftshader' });
    // SwiftShader by its name even without the flag (older Chromium had no isFallbackAdapter in info).
    expect(judgeAdapter({ info: { vendor: 'google', architecture: 'swiftshader' } }).real).toBe(false);
    expect(judgeAdapter({ isFallbackAdapter: true, info: { vendor: 'x', architecture: 'y' } }).real).toBe(false);
    expect(judgeAdapter({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }).real).toBe(
      false,
    );
    expect(judgeAdapter({ info: { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' } }).real).toBe(
      false,
    );
    expect(judgeAdapter(NVIDIA)).toEqual({ real: true, name: 'nvidia hopper' });
    expect(judgeAdapter({ info: { vendor: 'apple', architecture: 'metal-3' } }).real).toBe(true);
    expect(judgeAdapter({}).name).toBe('unnamed adapter');
  });

  it('the tolerance is the stated one, and NaN never passes', () => {
    expect(WEBGPU_TOLERANCE).toEqual({ nll: 1e-4, logitRel: 1e-5, gradRel: 1e-4 });
    expect(withinTolerance(figures(1.1e-5, 1.2e-6, 8e-6))).toBe(true); // docs/webgpu.md's SwiftShader figures
    expect(withinTolerance(figures(1e-4, 0, 0))).toBe(false); // the bounds are strict
    expect(withinTolerance(figures(0, 2e-5, 0))).toBe(false);
    expect(withinTolerance(figures(0, 0, 3e-4))).toBe(false);
    expect(withinTolerance(figures(NaN, 0, 0))).toBe(false);
    expect(withinTolerance(figures(0, 0, NaN))).toBe(false);
  });
});

describe('chooseEngine', () => {
  it('stays on wasm, saying why, without a GPU, without an adapter, or with a fallback one; no self-check runs', async () => {
    const { check, calls } = fakeCheck(figures(0, 0, 0));
    const none = await chooseEngine(env(true, 2), check);
    expect([none.executionProvider, none.webgpu.status, none.threads]).toEqual(['wasm', 'unavailable', 2]);
    const noAdapter = await chooseEngine(env(true, 2, null), check);
    expect(noAdapter.webgpu.status).toBe('no-adapter');
    const throws: EngineEnvironment = {
      crossOriginIsolated: true,
      navigator: {
        hardwareConcurrency: 2,
        gpu: { requestAdapter: () => Promise.reject(new Error('GPU process gone')) },
      },
    };
    const thrown = await chooseEngine(throws, check);
    expect(thrown.webgpu).toMatchObject({ status: 'no-adapter', detail: 'requestAdapter() failed: GPU process gone' });
    const soft = await chooseEngine(env(true, 2, SWIFTSHADER), check);
    expect(soft.executionProvider).toBe('wasm');
    expect(soft.webgpu).toMatchObject({ status: 'fallback', adapter: 'google swiftshader', check: null });
    expect(soft.runtime).toEqual({ threads: 2, executionProvider: 'wasm' });
    expect(soft.engineName).toBe('src/core/pipeline (onnxruntime-web wasm, 2 threads)');
    expect(calls).toEqual([]);
  });

  it('takes WebGPU on a real adapter whose self-check passes, with the same thread count for the CPU nodes', async () => {
    const { check, calls } = fakeCheck(figures(1e-5, 1e-6, 1e-5));
    const c = await chooseEngine(env(true, 4, NVIDIA), check);
    expect(calls).toEqual([4]);
    expect(c.executionProvider).toBe('webgpu');
    expect(c.webgpu.status).toBe('accepted');
    expect(c.runtime).toEqual({ threads: 4, executionProvider: 'webgpu' });
    expect(c.engineName).toBe('src/core/pipeline (onnxruntime-web WebGPU (nvidia hopper) + wasm, 4 threads)');
    expect(c.webgpu.detail).toBe(
      'self-check against wasm: |ΔNLL| 1.0e-5, logits 1.0e-6, gradients 1.0e-5 (tolerance 1.0e-4, 1.0e-5, 1.0e-4)',
    );
  });

  it('rejects a real adapter whose self-check disagrees or cannot run, and keeps the figures', async () => {
    const off = await chooseEngine(env(true, 2, NVIDIA), fakeCheck(figures(0.3, 1e-6, 1e-5)).check);
    expect([off.executionProvider, off.webgpu.status]).toEqual(['wasm', 'check-failed']);
    expect(off.webgpu.check?.maxAbsNllDiff).toBe(0.3);
    const nan = await chooseEngine(env(true, 2, NVIDIA), fakeCheck(figures(NaN, NaN, NaN)).check);
    expect(nan.webgpu.status).toBe('check-failed');
    const err = await chooseEngine(env(true, 2, NVIDIA), fakeCheck(new Error('no kernel for MatMul')).check);
    expect(err.webgpu).toMatchObject({
      status: 'check-error',
      detail: 'self-check failed to run: no kernel for MatMul',
    });
    expect(err.runtime.executionProvider).toBe('wasm');
  });

  it('?engine=wasm never asks for an adapter', async () => {
    let asked = 0;
    const e: EngineEnvironment = {
      crossOriginIsolated: false,
      navigator: { hardwareConcurrency: 2, gpu: { requestAdapter: async () => (asked++, NVIDIA) } },
    };
    const c = await chooseEngine(e, fakeCheck(figures(0, 0, 0)).check, { webgpu: false });
    expect(asked).toBe(0);
    expect(c).toMatchObject({ executionProvider: 'wasm', threads: 1, threadReason: 'not-isolated' });
    expect(c.webgpu.status).toBe('off');
    expect(c.engineName).toBe('src/core/pipeline (onnxruntime-web wasm, 1 thread)');
  });
});

describe('the share link', () => {
  it('carries no engine: no field of the share state, no key of its query, and ?threads/?engine do not reach it', () => {
    const engineLike = /engine|thread|webgpu|wasm|executionProvider/i;
    expect(Object.keys(DEFAULT_SHARE_STATE).filter((k) => engineLike.test(k))).toEqual([]);
    const query = encodeShareQuery(DEFAULT_SHARE_STATE);
    expect([...new URLSearchParams(query).keys()].filter((k) => engineLike.test(k))).toEqual([]);
    // A link with the engine preference's keys in it decodes to the same state as without them.
    const withEngine = decodeShareQuery(`${query}&threads=1&engine=wasm`).state;
    expect(withEngine).toEqual(decodeShareQuery(query).state);
  });
});

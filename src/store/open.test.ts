// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelSummary } from '../core/pipeline/results';

// The worker boundary, faked: each call's api methods are recorded, and a model load resolves when the test says.
const calls: string[] = [];
let releaseUserLoad: (s: ModelSummary) => void = () => undefined;
const summary = (name: string) =>
  ({ name, config: { nLayers: 5 }, tokenizer: 'tok512.bin', tensors: [], warnings: [] }) as unknown as ModelSummary;
vi.mock('./worker', () => {
  const api = new Proxy(
    {},
    {
      get: (_, method: string) => () => {
        calls.push(method);
        if (method === 'load') return new Promise<ModelSummary>((r) => (releaseUserLoad = r));
        if (method === 'loadUrls') return Promise.resolve(summary('sotu-llama.bin'));
        if (method === 'setText') return Promise.resolve({ name: 't', characters: 1, tokens: 1, tokensCounted: 1 });
        return new Promise(() => undefined); // calibration and the rest: never answer here
      },
    },
  );
  return {
    pipeline: () => ({ call: (f: (a: unknown) => unknown) => f(api), cancel: () => undefined, state: 'running' }),
    onWorkerEvent: () => undefined,
    progress: (f: unknown) => f,
    cancelled: () => false,
    message: (e: unknown) => String(e),
  };
});
vi.mock('./profile', async (original) => ({
  ...(await original<typeof import('./profile')>()),
  openDefaultProfile: async () => undefined,
}));

const { normaliseModelUrl, countUserLoad, loadFiles, openDefaultModel } = await import('./open');
const { useExplorer } = await import('./explorerStore');

afterEach(() => vi.unstubAllGlobals());

describe('Hugging Face links', () => {
  it('page links become download links; others are kept', () => {
    expect(
      normaliseModelUrl(' https://huggingface.co/karpathy/tinyllamas/blob/main/stories260K/stories260K.bin '),
    ).toBe('https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin');
    expect(normaliseModelUrl('https://example.org/blob/x.bin')).toBe('https://example.org/blob/x.bin');
  });
});

describe('the default model steps back', () => {
  it('for a user load still running when the default is asked for (a drop that opened the explorer)', async () => {
    vi.stubGlobal('fetch', async () => new Response(null, { headers: { 'content-type': 'application/octet-stream' } }));
    // The drop: counted, then its load queued and running in the worker.
    countUserLoad();
    const user = loadFiles([new File([new Uint8Array(28)], 'stories260K.bin')]);
    // The explorer mounts and opens its location: no link, so the default model is asked for.
    const def = openDefaultModel();
    await new Promise((r) => setTimeout(r, 0));
    releaseUserLoad(summary('stories260K.bin'));
    await user;
    await def;
    expect(calls.filter((c) => c === 'load' || c === 'loadUrls')).toEqual(['load']);
    expect(useExplorer.getState().model.summary?.name).toBe('stories260K.bin');
  });
});

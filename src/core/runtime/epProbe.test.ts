// The WebGPU-shaped graphs on the CPU (wasm) EP in Node: a graph built for the exact sequence length
// (GraphOptions.maxSeq, what LlamaEngine builds for WebGPU) gives bit-identical numbers to the context-length
// graph, and the probe used by e2e/webgpu.spec.ts reproduces the golden NLL. The WebGPU EP itself is
// checked against wasm in the browser (e2e/webgpu.spec.ts); Node has no WebGPU.
// Inputs are kept small (one 127-token sequence, the golden greedy run) so that the outcome cannot
// depend on how busy the machine is; the timeouts below are generous bounds, not speed targets.
import { describe, expect, it } from 'vitest';
import { buildForwardBackwardGraph, buildForwardGraph, forwardBackwardOutputNames } from '../graph/llama';
import { weightByName, weightInputNames, weightShape } from '../graph/names';
import { parseLlama2c } from '../model/loaders/llama2c';
import { randomModel } from '../model/types';
import { probeExecutionProvider } from './epProbe';
import { createSession, f32, i64, runSession, type ort } from './ort';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData';

/** Far above the few seconds these take on an idle machine: only a hang should hit it. */
const GENEROUS = { timeout: 900_000 };

/** The golden greedy run: BOS then 127 argmax steps (128 ids), mean NLL 0.487963 over its 127 predictions. */
const greedy = () => readSharedText('golden/stories260K-greedy-tokens.txt').trim().split(/\s+/).map(Number);

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length &&
  new Uint32Array(a.slice().buffer).every((v, i) => v === new Uint32Array(b.slice().buffer)[i]);

describe(`graphs built for one sequence length${hasSharedData ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  it.skipIf(!hasSharedData)(
    'give bit-identical forward and forward+backward outputs on stories260K (T = 127: 4 of 16 query chunks)',
    GENEROUS,
    async () => {
      const model = parseLlama2c(readShared('models/stories260K.bin'));
      const c = model.config;
      const sample = greedy();
      const T = 127;
      const feeds: Record<string, ort.Tensor> = {
        tokens: i64(sample.slice(0, T), [1, T]),
        targets: i64(sample.slice(1, T + 1), [1, T]),
      };
      for (const n of weightInputNames(c)) feeds[n] = f32(weightByName(model.weights, n), weightShape(c, n));
      const fbFeeds = { ...feeds, lossMask: f32(new Float32Array(T).fill(1), [1, T]) };
      const run = async (graph: Uint8Array, f: Record<string, ort.Tensor>, names: string[]) => {
        const out = await runSession(await createSession(graph, { threads: 1 }), f, 'graph');
        return names.map((n) => (out[n].data as Float32Array).slice());
      };
      const fwdNames = ['nll', 'logits'];
      const full = await run(buildForwardGraph(c, { logits: true }), feeds, fwdNames);
      const exact = await run(buildForwardGraph(c, { logits: true, maxSeq: T }), feeds, fwdNames);
      fwdNames.forEach((n, i) => expect(bitsEqual(full[i], exact[i]), n).toBe(true));
      const fbNames = ['nll', ...forwardBackwardOutputNames(c)];
      const fbFull = await run(buildForwardBackwardGraph(c), fbFeeds, fbNames);
      const fbExact = await run(buildForwardBackwardGraph(c, { maxSeq: T }), fbFeeds, fbNames);
      fbNames.forEach((n, i) => expect(bitsEqual(fbFull[i], fbExact[i]), n).toBe(true));
    },
  );

  it('refuse a maxSeq outside the context and fail on a longer input', GENEROUS, async () => {
    const model = randomModel(
      {
        dim: 16,
        hiddenDim: 24,
        nLayers: 1,
        nHeads: 2,
        nKvHeads: 1,
        vocabSize: 20,
        maxSeqLen: 96,
        ropeTheta: 10000,
        normEps: 1e-5,
        sharedClassifier: true,
      },
      3,
    );
    const c = model.config;
    expect(() => buildForwardGraph(c, { maxSeq: 97 })).toThrow(/maxSeq must be an integer in 1\.\.96/);
    expect(() => buildForwardBackwardGraph(c, { maxSeq: 0 })).toThrow(/maxSeq must be an integer/);
    // 96 positions in chunks of 32: a graph for 40 positions has 2 chunks and cannot attend from position 64 on.
    const session = await createSession(buildForwardGraph(c, { maxSeq: 40 }), { threads: 1 });
    const feeds = (T: number): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = {
        tokens: i64(new Array(T).fill(1), [1, T]),
        targets: i64(new Array(T).fill(2), [1, T]),
      };
      for (const n of weightInputNames(c)) f[n] = f32(weightByName(model.weights, n), weightShape(c, n));
      return f;
    };
    expect((await runSession(session, feeds(40), 'forward')).nll.dims).toEqual([1, 40]);
    await expect(runSession(session, feeds(80), 'the forward graph')).rejects.toThrow(
      /running the forward graph failed/,
    );
  });
});

describe(`execution-provider probe on wasm${hasSharedData ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  it.skipIf(!hasSharedData)(
    'reproduces the golden mean NLL of the greedy run and repeats bit for bit',
    GENEROUS,
    async () => {
      const r = await probeExecutionProvider(readShared('models/stories260K.bin'), 'wasm', {
        sequences: [greedy()],
        seq: 127,
        repeats: 1,
        backward: true,
      });
      const mean = r.nll.reduce((a, v) => a + v, 0) / 127;
      expect(Math.abs(mean - 0.487963)).toBeLessThan(2e-4); // stories260K-nll.txt, greedy
      expect(bitsEqual(r.nll, r.nllRepeat) && bitsEqual(r.logits, r.logitsRepeat)).toBe(true);
      expect(r.logits.length).toBe(127 * 512);
      expect(r.backward?.repeatIdentical).toBe(true);
      expect(Object.keys(r.backward!.outputs).length).toBeGreaterThan(100);
    },
  );

  it('says so when asked for WebGPU where there is no adapter (Node)', GENEROUS, async () => {
    await expect(probeExecutionProvider(new Uint8Array(0), 'webgpu', { sequences: [[1, 2]], seq: 1 })).rejects.toThrow(
      /no WebGPU adapter/,
    );
  });
});

// The native engine (onnxruntime-node) against the wasm engine (onnxruntime-web) on the same graphs and feeds.
// Exact agreement is not expected: MLAS's native kernels sum in another order (vector lanes, FMA) than the wasm
// build, so reductions and matmuls differ in the last bits. The stated tolerances (issue 11): mean NLL within
// 1e-5 relative, weight and activation Fisher within 1e-4, and the same FGMP FP8 blocks at 5/10/20/30 %.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.ts';
import { loadCheckpoint } from '../model/loaders/index.ts';
import { randomShapeModel } from '../model/shapes.ts';
import type { LlamaModel } from '../model/types.ts';
import { allMasks, answerBudget, buildRanking, prepareWeights } from '../fgmp/index.ts';
import { perplexity } from '../eval/perplexity.ts';
import {
  calibrate,
  encodeTextPrefix,
  tensorKey,
  textSequences,
  type CalibrationResult,
} from '../pipeline/calibrate.ts';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../tests/support/sharedData.ts';
import { LlamaEngine } from './engine.ts';
import { createSession, f32, runSession, type EngineKind } from './ort.ts';

describe('onnxruntime-node sessions', () => {
  it('runs a graph, takes any thread count per session, and names onnxruntime-node in its errors', async () => {
    const g = new GraphBuilder('t');
    g.input('x', 'float32', [2, 3]);
    g.output(g.op('Relu', ['x']), 'y', 'float32', [2, 3]);
    const bytes = g.toBytes();
    const x = f32(Float32Array.from([-1, 2, -3, 4, -5, 6]), [2, 3]);
    for (const threads of [1, 2, 1]) {
      const s = await createSession(bytes, { engine: 'native', threads }, 'relu');
      expect(Array.from((await runSession(s, { x }, 'relu')).y.data as Float32Array)).toEqual([0, 2, 0, 4, 0, 6]);
      await expect(runSession(s, { x: f32(new Float32Array(4), [4]) }, 'the relu graph')).rejects.toThrow(
        /^onnxruntime-node: running the relu graph failed: /,
      );
      await s.release();
    }
    await expect(createSession(new Uint8Array([1, 2, 3]), { engine: 'native' }, 'junk')).rejects.toThrow(
      /^onnxruntime-node: creating the junk session failed/,
    );
    await expect(createSession(bytes, { engine: 'native', executionProvider: 'webgpu' })).rejects.toThrow(
      /use engine wasm/,
    );
    await expect(createSession(bytes, { engine: 'gpu' as EngineKind })).rejects.toThrow(/unknown engine/);
  });

  it('elementwise ops are bit-identical to wasm; a ReduceSum (summed in another order natively) agrees within 64 ulps', async () => {
    const n = 4096;
    const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const run = async (engine: EngineKind, op: (g: GraphBuilder) => string, shape: number[]) => {
      const g = new GraphBuilder('op');
      g.input('x', 'float32', [64, 64]);
      g.output(op(g), 'y', 'float32', shape);
      const s = await createSession(g.toBytes(), { engine });
      return (await runSession(s, { x: f32(x, [64, 64]) }, 'op')).y.data as Float32Array;
    };
    const ew = (g: GraphBuilder) =>
      g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [g.op('Mul', ['x', 'x']), g.scalar(1e-5)])])]);
    expect(Array.from(await run('native', ew, [64, 64]))).toEqual(Array.from(await run('wasm', ew, [64, 64])));
    const red = (g: GraphBuilder) => g.op('ReduceSum', [g.op('Mul', ['x', 'x']), g.constI64([1])], { keepdims: 1 });
    const a = await run('native', red, [64, 1]);
    const b = await run('wasm', red, [64, 1]);
    for (let i = 0; i < 64; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(64 * 2 ** -23 * b[i]);
  });

  it('forward and forward+backward of a random stories260K-shaped model agree with wasm', async () => {
    const model = randomShapeModel('random:stories260K:3');
    const T = 64;
    const tokens = Array.from({ length: 2 * T }, (_, i) => (i * 131 + 7) % model.config.vocabSize);
    const batch = { batch: 2, seq: T, tokens, targets: tokens.map((t) => (t + 1) % model.config.vocabSize) };
    const res: Record<string, { nll: Float32Array; fisher: Float32Array }> = {};
    for (const engine of ['native', 'wasm'] as const) {
      const e = LlamaEngine.forModel(model, { engine, threads: 1 });
      const fb = await e.forwardBackward(batch, { graph: { fisher: true, actFisher: false, gradSum: false } });
      const fwd = await e.forward(batch);
      for (let i = 0; i < fwd.nll.length; i++) expect(Math.abs(fwd.nll[i] - fb.nll[i])).toBeLessThan(1e-5);
      res[engine] = { nll: fwd.nll, fisher: fb.outputs.get('fisher.L2.down')! };
      await e.dispose();
    }
    for (let i = 0; i < res.wasm.nll.length; i++)
      expect(Math.abs(res.native.nll[i] - res.wasm.nll[i])).toBeLessThan(1e-5 * res.wasm.nll[i]);
    expectFisherClose(res.native.fisher, res.wasm.fisher, 'fisher.L2.down');
  });
});

/** |native − wasm| ≤ 1e-4 · max |wasm| over the tensor (elementwise relative error is meaningless near 0). */
function expectFisherClose(a: Float32Array, b: Float32Array, what: string): void {
  expect(a.length, what).toBe(b.length);
  let max = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  expect(max, what).toBeGreaterThan(0);
  expect(diff / max, `${what}: max |native − wasm| / max |wasm|`).toBeLessThan(1e-4);
}

describe.skipIf(!hasSharedData)(
  `native vs wasm on stories260K (${hasSharedData ? 'shared data present' : SKIP_REASON})`,
  () => {
    let model: LlamaModel;
    const calib: Partial<Record<EngineKind, CalibrationResult>> = {};
    beforeAll(async () => {
      model = loadCheckpoint([
        { name: 'stories260K.bin', bytes: readShared('models/stories260K.bin') },
        { name: 'tok512.bin', bytes: readShared('models/tok512.bin') },
      ]).model;
      const seqs = textSequences(
        model.tokenizer!,
        readSharedText('text/tinystories_train_head.txt'),
        16,
        256,
        'train head',
      );
      for (const engine of ['native', 'wasm'] as const) {
        const e = LlamaEngine.forModel(model, { engine, threads: 1 });
        calib[engine] = await calibrate(e, seqs);
        await e.dispose();
      }
    }, 600_000);
    afterAll(() => undefined);

    it('perplexity on 4,096 validation tokens: mean NLL within 1e-5 relative', async () => {
      const ids = encodeTextPrefix(model.tokenizer!, readSharedText('text/tinystories_valid_head.txt'), 4096).slice(
        0,
        4096,
      );
      const r: Partial<Record<EngineKind, number>> = {};
      for (const engine of ['native', 'wasm'] as const) {
        const e = LlamaEngine.forModel(model, { engine, threads: 1 });
        r[engine] = (await perplexity(e, ids, { bos: model.tokenizer!.bosId })).meanNll;
        await e.dispose();
      }
      expect(Math.abs(r.native! - r.wasm!) / r.wasm!).toBeLessThan(1e-5);
      expect(Math.abs(calib.native!.meanNll - calib.wasm!.meanNll) / calib.wasm!.meanNll).toBeLessThan(1e-5);
    });

    it('weight and activation Fisher of every projection within 1e-4', () => {
      for (const [key, w] of calib.wasm!.weightFisher)
        expectFisherClose(calib.native!.weightFisher.get(key)!, w, `weight Fisher ${key}`);
      for (const [key, w] of calib.wasm!.activationFisher)
        expectFisherClose(calib.native!.activationFisher.get(key)!, w, `activation Fisher ${key}`);
    });

    it('the FGMP FP8 blocks at 5, 10, 20 and 30 % are the same blocks', () => {
      const ranking = (c: CalibrationResult) =>
        buildRanking(
          prepareWeights(model.config, model.weights, {
            clip: 'fisher',
            fisher: (l, p) => c.weightFisher.get(tensorKey(l, p)),
          }),
          'fgmp',
        );
      const rn = ranking(calib.native!);
      const rw = ranking(calib.wasm!);
      for (const budget of [0.05, 0.1, 0.2, 0.3]) {
        const mn = allMasks(rn, answerBudget(rn, budget));
        const mw = allMasks(rw, answerBudget(rw, budget));
        expect(mn.length).toBe(mw.length);
        let fp8 = 0;
        mw.forEach((m, t) => {
          fp8 += m.reduce((s, v) => s + v, 0);
          let differ = 0;
          for (let i = 0; i < m.length; i++) if (m[i] !== mn[t][i]) differ++;
          expect(differ, `budget ${budget}, tensor ${t}: blocks whose precision differs`).toBe(0);
        });
        expect(fp8).toBeGreaterThan(0);
      }
    });
  },
);

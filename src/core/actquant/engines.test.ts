// The activation unit on both engines: the ONNX subgraph equals the TypeScript rule bit for bit on onnxruntime-node
// as on onnxruntime-web, alone and inside the Llama forward graph (every linear site: the unit's output equals
// rule(its own input)). What differs between engines is the unit's input: the float32 ops before it (RMSNorm's
// ReduceMean, Gemm, MatMul) sum in another order natively, and the unit, being a rounding and a threshold, turns
// those last-bit differences into different quantized values (docs/native-engine.md measures the effect).
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.ts';
import { buildForwardGraph } from '../graph/llama.ts';
import { weightByName, weightInputNames, weightShape } from '../graph/names.ts';
import { randomShapeModel } from '../model/shapes.ts';
import { PROJECTIONS } from '../model/types.ts';
import { createSession, f32, i64, runSession, type EngineKind, type ort } from '../runtime/ort.ts';
import { actFisherInputName, actMaskName, actQuantHook, actTauInputName, emitActQuant } from './graph.ts';
import { ACT_BLOCK, actBlocksPerToken, padFisher, quantizeActivations } from './rule.ts';

const ENGINES: EngineKind[] = ['native', 'wasm'];

/** Deterministic values: a bulk in ±scale with 3 % outliers up to 30× (xorshift32). */
function values(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  return new Float32Array(n).map(() => (next() * 2 - 1) * scale * (next() < 0.03 ? 30 * next() : 1));
}

/** Count of elements whose bits differ (any two NaNs count as equal: wasm does not keep NaN payloads). */
function bitDiffs(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) n++;
  return n;
}

describe.each(ENGINES)('activation unit on the %s engine', (engine) => {
  it('equals the TS rule bit for bit: random, ragged, zero, huge, tiny, NaN and ±Inf tokens, several τ', async () => {
    for (const inF of [64, 172]) {
      const tokens = 61;
      const x = values(tokens * inF, 100 + inF, 2);
      x.fill(0, 0, inF);
      for (let c = 0; c < inF; c++) x[2 * inF + c] *= 1e30;
      for (let c = 0; c < inF; c++) x[3 * inF + c] *= 1e-30;
      x[4 * inF + 5] = Number.NaN;
      x[5 * inF + 9] = -Infinity;
      x[6 * inF + 1] = -0;
      const fisher = values(inF, 7 + inF).map((v) => v * v);
      const g = new GraphBuilder('unit', 17);
      const P = actBlocksPerToken(inF) * ACT_BLOCK;
      const v = emitActQuant(
        g,
        g.input('x', 'float32', ['n', inF]),
        inF,
        g.input('f', 'float32', [P]),
        g.input('tau', 'float32', [1]),
      );
      g.output(v.out, 'out', 'float32', ['n', inF]);
      g.output(v.scores, 'scores', 'float32', ['n', actBlocksPerToken(inF)]);
      const session = await createSession(g.toBytes(), { engine });
      const ts0 = quantizeActivations({ x, tokens, inFeatures: inF, fisher, tau: 0 });
      const median = Float32Array.from(ts0.scores).sort()[ts0.scores.length >> 1];
      for (const tau of [-Infinity, 0, median, Infinity]) {
        const out = await runSession(
          session,
          { x: f32(x, [tokens, inF]), f: f32(padFisher(fisher, inF), [P]), tau: f32(Float32Array.of(tau), [1]) },
          'unit',
        );
        const ts = quantizeActivations({ x, tokens, inFeatures: inF, fisher, tau });
        expect(bitDiffs(out.out.data as Float32Array, ts.out), `${inF} wide, τ ${tau}: output`).toBe(0);
        expect(bitDiffs(out.scores.data as Float32Array, ts.scores), `${inF} wide, τ ${tau}: scores`).toBe(0);
      }
      await session.release();
    }
  });

  it('inside the forward graph of a stories260K-shaped model, every site outputs rule(its input), bit for bit', async () => {
    const model = randomShapeModel('random:stories260K:4');
    const c = model.config;
    const B = 2;
    const T = 96;
    const fisher = new Map<string, Float32Array>();
    const bytes = buildForwardGraph(c, {
      linearInputHook: (g, input, site) => {
        const k = `L${site.layer}.${site.projection}`;
        const P = actBlocksPerToken(site.inFeatures) * ACT_BLOCK;
        const v = emitActQuant(
          g,
          input,
          site.inFeatures,
          g.input(`f.${k}`, 'float32', [P]),
          g.input(`t.${k}`, 'float32', [1]),
        );
        g.output(input, `pre.${k}`, 'float32', ['n', site.inFeatures]);
        g.output(v.out, `post.${k}`, 'float32', ['n', site.inFeatures]);
        return v.out;
      },
    });
    const tokens = Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % c.vocabSize);
    const feeds: Record<string, ort.Tensor> = { tokens: i64(tokens, [B, T]), targets: i64(tokens, [B, T]) };
    for (const n of weightInputNames(c)) feeds[n] = f32(weightByName(model.weights, n), weightShape(c, n));
    for (let l = 0; l < c.nLayers; l++)
      for (const p of PROJECTIONS) {
        const inF = p === 'down' ? c.hiddenDim : c.dim;
        const f = values(inF, 31 * l + inF).map((v) => v * v);
        fisher.set(`L${l}.${p}`, f);
        feeds[`f.L${l}.${p}`] = f32(padFisher(f, inF), [actBlocksPerToken(inF) * ACT_BLOCK]);
        feeds[`t.L${l}.${p}`] = f32(Float32Array.of(1e-3), [1]);
      }
    const session = await createSession(bytes, { engine });
    const out = await runSession(session, feeds, 'forward with the unit');
    let fp8 = 0;
    for (let l = 0; l < c.nLayers; l++)
      for (const p of PROJECTIONS) {
        const k = `L${l}.${p}`;
        const x = out[`pre.${k}`].data as Float32Array;
        const inF = x.length / (B * T);
        const ts = quantizeActivations({ x, tokens: B * T, inFeatures: inF, fisher: fisher.get(k)!, tau: 1e-3 });
        fp8 += ts.mask.reduce((s, m) => s + m, 0);
        expect(bitDiffs(out[`post.${k}`].data as Float32Array, ts.out), `${k}: unit output vs rule(input)`).toBe(0);
      }
    expect(fp8).toBeGreaterThan(0);
    await session.release();
  });

  it('through actQuantHook (one shared part per input: q, k, v and gate, up) every site outputs rule(its input) with its own Fisher and τ', async () => {
    const model = randomShapeModel('random:stories260K:5');
    const c = model.config;
    const B = 1;
    const T = 40;
    const hook = actQuantHook('quantize', { masks: true });
    const bytes = buildForwardGraph(c, {
      linearInputHook: (g, input, site) => {
        const k = `L${site.layer}.${site.projection}`;
        const out = hook(g, input, site);
        g.output(input, `pre.${k}`, 'float32', ['n', site.inFeatures]);
        g.output(out, `post.${k}`, 'float32', ['n', site.inFeatures]);
        return out;
      },
    });
    const tokens = Array.from({ length: B * T }, (_, i) => (i * 104729 + 5) % c.vocabSize);
    const feeds: Record<string, ort.Tensor> = { tokens: i64(tokens, [B, T]), targets: i64(tokens, [B, T]) };
    for (const n of weightInputNames(c)) feeds[n] = f32(weightByName(model.weights, n), weightShape(c, n));
    const fisher = new Map<string, Float32Array>();
    const taus = new Map<string, number>();
    const setTau = (k: string, tau: number) => {
      taus.set(k, tau);
      feeds[actTauInputName(Number(k.split('.')[0].slice(1)), k.split('.')[1] as (typeof PROJECTIONS)[number])] = f32(
        Float32Array.of(tau),
        [1],
      );
    };
    for (let l = 0; l < c.nLayers; l++)
      for (const [j, p] of PROJECTIONS.entries()) {
        const inF = p === 'down' ? c.hiddenDim : c.dim;
        const f = values(inF, 97 * l + 13 * j + 1).map((v) => v * v);
        fisher.set(`L${l}.${p}`, f);
        feeds[actFisherInputName(l, p)] = f32(padFisher(f, inF), [actBlocksPerToken(inF) * ACT_BLOCK]);
        setTau(`L${l}.${p}`, 0);
      }
    const session = await createSession(bytes, { engine });
    // τ per site at a different quantile of its own scores (on the first run's inputs), so the sites that share
    // an input choose different blocks.
    const first = await runSession(session, feeds, 'forward through the hook');
    for (let l = 0; l < c.nLayers; l++)
      for (const [j, p] of PROJECTIONS.entries()) {
        const k = `L${l}.${p}`;
        const x = first[`pre.${k}`].data as Float32Array;
        const inF = x.length / (B * T);
        const sc = quantizeActivations({ x, tokens: B * T, inFeatures: inF, fisher: fisher.get(k)!, tau: 0 }).scores;
        const sorted = Float32Array.from(sc).sort();
        setTau(k, sorted[Math.floor(sorted.length * (0.2 + 0.1 * j))]);
      }
    const out = await runSession(session, feeds, 'forward through the hook');
    for (let l = 0; l < c.nLayers; l++) {
      const masks = new Map<string, string>();
      for (const p of PROJECTIONS) {
        const k = `L${l}.${p}`;
        const x = out[`pre.${k}`].data as Float32Array;
        const inF = x.length / (B * T);
        const ts = quantizeActivations({
          x,
          tokens: B * T,
          inFeatures: inF,
          fisher: fisher.get(k)!,
          tau: taus.get(k)!,
        });
        expect(bitDiffs(out[`post.${k}`].data as Float32Array, ts.out), `${k}: output vs rule(input)`).toBe(0);
        expect(Array.from(out[actMaskName(l, p)].data as Float32Array), `${k}: mask`).toEqual(Array.from(ts.mask));
        masks.set(p, ts.mask.join(''));
      }
      // Layer 0's inputs do not depend on τ: there the sharing sites surely differ (else the test could not tell
      // a shared choice from per-site ones).
      if (l === 0) {
        expect(new Set([masks.get('q'), masks.get('k'), masks.get('v')]).size).toBe(3);
        expect(masks.get('gate')).not.toBe(masks.get('up'));
      }
    }
    await session.release();
  });
});

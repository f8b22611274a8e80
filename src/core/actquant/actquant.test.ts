import { describe, expect, it } from 'vitest';
import { unit, xorshift32 } from '../random';
import { GraphBuilder } from '../graph/builder.ts';
import { createSession, f32, ort, runSession } from '../runtime/ort.ts';
import { roundE2M1, roundE4M3 } from '../formats/fast.ts';
import { emitActQuant } from './graph.ts';
import {
  ACT_BLOCK,
  actBlocksPerToken,
  padFisher,
  quantizeActivations,
  roundE2M1Arith,
  roundE4M3Arith,
} from './rule.ts';

/** Deterministic float32 values: a Gaussian-like bulk with heavy-tailed outliers. */
function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const next = unit(xorshift32(seed));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = (next() + next() + next() - 1.5) * 2;
    out[i] = g * scale * (next() < 0.03 ? 30 * next() : 1);
  }
  return out;
}

async function runUnit(x: Float32Array, tokens: number, inF: number, fisher: Float32Array, tau: number) {
  const g = new GraphBuilder('actquant_test', 17);
  const xin = g.input('x', 'float32', ['n', inF]);
  const P = actBlocksPerToken(inF) * ACT_BLOCK;
  const fin = g.input('f', 'float32', [P]);
  const tin = g.input('tau', 'float32', [1]);
  const v = emitActQuant(g, xin, inF, fin, tin);
  g.output(v.out, 'out', 'float32', ['n', inF]);
  g.output(v.scores, 'scores', 'float32', ['n', actBlocksPerToken(inF)]);
  g.output(v.fp8, 'fp8', 'float32', ['n', actBlocksPerToken(inF), 1]);
  const session = await createSession(g.toBytes());
  const out = await runSession(
    session,
    { x: f32(x, [tokens, inF]), f: f32(padFisher(fisher, inF), [P]), tau: f32(Float32Array.of(tau), [1]) },
    'unit',
  );
  return {
    out: out.out.data as Float32Array,
    scores: out.scores.data as Float32Array,
    fp8: out.fp8.data as Float32Array,
  };
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function expectSameBits(actual: Float32Array, expected: Float32Array, what: string) {
  expect(actual.length, what).toBe(expected.length);
  const a = bits(actual);
  const e = bits(expected);
  let first = -1;
  let diffs = 0;
  for (let i = 0; i < a.length; i++) {
    // Any NaN payload counts as the same NaN (wasm does not preserve NaN bits).
    if (a[i] !== e[i] && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
      diffs++;
      if (first < 0) first = i;
    }
  }
  expect(
    diffs,
    `${what}: ${diffs} differing elements, first at ${first}: bits ${a[first]?.toString(16)} vs ${e[first]?.toString(16)}`,
  ).toBe(0);
}

async function compare(x: Float32Array, tokens: number, inF: number, fisher: Float32Array, tau: number) {
  const graph = await runUnit(x, tokens, inF, fisher, tau);
  const ts = quantizeActivations({ x, tokens, inFeatures: inF, fisher, tau });
  expectSameBits(graph.out, ts.out, 'mixed output');
  expectSameBits(graph.scores, ts.scores, 'scores');
  expect(Array.from(graph.fp8)).toEqual(Array.from(ts.mask));
  return ts;
}

describe('activation quantization unit: arithmetic rounding', () => {
  it('equals the formats core E4M3 and E2M1 rounding on every float32 around each grid point, ties included', () => {
    const u = new Uint32Array(1);
    const fl = new Float32Array(u.buffer);
    // All float32 bit patterns within ±64 ulps of every grid value and midpoint (ties to even), both signs.
    const probes: number[] = [0, 1e-30, 1e30, Infinity];
    for (let e = -12; e <= 9; e++) for (let m = 0; m < 32; m++) probes.push(2 ** e * (1 + m / 32));
    let checked = 0;
    for (const p of probes)
      for (const sign of [1, -1]) {
        fl[0] = p;
        const base = u[0];
        for (let k = -64; k <= 64; k++) {
          u[0] = Math.max(0, base + k);
          const v = sign * fl[0];
          expect(roundE4M3Arith(v), `E4M3 of ${v}`).toBe(roundE4M3(v) === 0 ? roundE4M3Arith(v) : roundE4M3(v));
          expect(Math.abs(roundE4M3Arith(v))).toBe(Math.abs(roundE4M3(v)));
          expect(Math.abs(roundE2M1Arith(v))).toBe(Math.abs(roundE2M1(v)));
          checked++;
        }
      }
    expect(checked).toBeGreaterThan(10000);
    expect(roundE4M3Arith(Number.NaN)).toBeNaN();
    expect(roundE2M1Arith(-Infinity)).toBe(-6);
    expect(Object.is(roundE4M3Arith(-1e-9), -0)).toBe(true);
  });

  it('matches onnxruntime-web Cast to float8e4m3fn (saturate, opset 19) on random values', async () => {
    const x = randomValues(4096, 7, 60);
    for (let i = 0; i < 64; i++) x[i] = (i - 32) * 15.5; // beyond ±448: saturation
    const g = new GraphBuilder('cast19', 19);
    const xin = g.input('x', 'float32', [x.length]);
    g.output(g.op('Cast', [g.op('Cast', [xin], { to: 17, saturate: 1 })], { to: 1 }), 'y', 'float32', [x.length]);
    const s = await createSession(g.toBytes());
    const y = (await runSession(s, { x: f32(x, [x.length]) }, 'cast')).y.data as Float32Array;
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i]), `element ${x[i]}`).toBe(Math.abs(roundE4M3Arith(x[i])));
  });
});

describe('activation quantization unit: ONNX graph vs TypeScript rule, bit for bit', () => {
  it('random 64-wide activations with random Fisher at several thresholds', async () => {
    const tokens = 97;
    const inF = 64;
    const x = randomValues(tokens * inF, 11, 2);
    const fisher = randomValues(inF, 12).map((v) => v * v * 1e-3);
    for (const tau of [-Infinity, 0, 1e-7, 1e-5, Infinity]) await compare(x, tokens, inF, fisher, tau);
    // A threshold inside the score range actually mixes both precisions.
    const ts = quantizeActivations({ x, tokens, inFeatures: inF, fisher, tau: 0 });
    const sorted = Float32Array.from(ts.scores).sort();
    const mid = await compare(x, tokens, inF, fisher, sorted[sorted.length >> 1]);
    const fp8 = mid.mask.reduce((s, v) => s + v, 0);
    expect(fp8).toBeGreaterThan(0);
    expect(fp8).toBeLessThan(mid.mask.length);
  });

  it('a 172-wide input (shorter last block), zero tokens, zero blocks, huge and tiny values', async () => {
    const tokens = 40;
    const inF = 172;
    const x = randomValues(tokens * inF, 21, 0.5);
    x.fill(0, 0, inF); // an all-zero token
    x.fill(0, 3 * inF + 16, 3 * inF + 48); // two zero blocks inside a token
    for (let c = 0; c < inF; c++) x[5 * inF + c] *= 1e30; // huge token
    for (let c = 0; c < inF; c++) x[6 * inF + c] *= 1e-30; // tiny token
    x[7 * inF + 170] = 3e38; // huge value in the short block
    x[8 * inF + 3] = -0; // signed zero
    const fisher = randomValues(inF, 22).map((v) => Math.abs(v));
    for (const tau of [-Infinity, 0, 0.01, Infinity]) {
      const r = await compare(x, tokens, inF, fisher, tau);
      for (let i = 0; i < r.out.length; i++) expect(Number.isNaN(r.out[i]), `NaN at ${i}`).toBe(false);
      for (let c = 0; c < inF; c++) expect(r.out[c]).toBe(0);
    }
  });

  it('NaN policy: a NaN element gives NaN out, never FP8; ±Inf saturates; the rest of the token is unaffected', async () => {
    const tokens = 4;
    const inF = 32;
    const x = randomValues(tokens * inF, 31);
    const clean = Float32Array.from(x);
    x[5] = Number.NaN;
    x[inF + 20] = Infinity;
    const fisher = new Float32Array(inF).fill(1);
    const r = await compare(x, tokens, inF, fisher, -Infinity);
    expect(r.out[5]).toBeNaN();
    expect(r.mask[0]).toBe(0); // NaN score is never > tau, even tau = -Inf
    expect(r.out[inF + 20]).toBeGreaterThan(0);
    expect(Number.isFinite(r.out[inF + 20])).toBe(true);
    // Other elements of the NaN token equal those of the clean token (the NaN does not enter the scales).
    const ref = quantizeActivations({ x: clean, tokens, inFeatures: inF, fisher, tau: -Infinity });
    for (let c = 16; c < inF; c++) expect(r.out[c]).toBe(ref.out[c]);
    for (let c = 0; c < 16; c++) if (c !== 5) expect(r.qLo[c]).toBe(ref.qLo[c]);
  });

  it('the TS rule equals the formats core NVFP4 and FP8 fake quantization on a finite token', () => {
    const inF = 48;
    const x = randomValues(inF, 41, 3);
    const r = quantizeActivations({ x, tokens: 1, inFeatures: inF, fisher: new Float32Array(inF), tau: 0 });
    let amax = 0;
    for (const v of x) amax = Math.max(amax, Math.abs(v));
    const ts = Math.fround(amax / 2688);
    for (let b = 0; b < 3; b++) {
      let bam = 0;
      for (let c = 0; c < 16; c++) bam = Math.max(bam, Math.abs(x[b * 16 + c]));
      const bs = roundE4M3(Math.fround(Math.fround(bam / 6) / ts));
      const s = Math.fround(bs * ts);
      for (let c = 0; c < 16; c++)
        expect(r.qLo[b * 16 + c]).toBe(Math.fround(roundE2M1(Math.fround(x[b * 16 + c] / s)) * s));
    }
    const s8 = Math.fround(amax / 448);
    for (let c = 0; c < inF; c++) expect(r.qHi[c]).toBe(Math.fround(roundE4M3(Math.fround(x[c] / s8)) * s8));
  });
});

void ort;

describe('activation quantization unit inside the Llama forward graph', () => {
  it('layer 0 masks and per-column counts equal the TS rule on the float32 linear inputs; τ = +∞ everywhere gives NVFP4 activations', async () => {
    const { randomModel } = await import('../model/types.ts');
    const { buildForwardGraph } = await import('../graph/llama.ts');
    const { weightInputNames, weightByName, weightShape, linearInputName, projectionInFeatures } = await import(
      '../graph/names.ts'
    );
    const { LlamaEngine } = await import('../runtime/engine.ts');
    const { actQuantHook, actFisherInputName, actTauInputName, actMaskName, actFp8CountName } = await import(
      './graph.ts'
    );
    const { i64 } = await import('../runtime/ort.ts');
    const config = {
      dim: 32,
      hiddenDim: 40,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      vocabSize: 30,
      maxSeqLen: 16,
      ropeTheta: 10000,
      normEps: 1e-5,
      sharedClassifier: true,
    };
    const model = randomModel(config, 9, 0.3);
    const B = 2;
    const T = 12;
    const tokens = Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % config.vocabSize);
    const targets = tokens.map((t) => (t + 1) % config.vocabSize);
    const session = await createSession(
      buildForwardGraph(config, { linearInputHook: actQuantHook('quantize', { masks: true }) }),
    );
    const feeds: Record<string, ort.Tensor> = { tokens: i64(tokens, [B, T]), targets: i64(targets, [B, T]) };
    for (const n of weightInputNames(config)) feeds[n] = f32(weightByName(model.weights, n), weightShape(config, n));
    const fishers = new Map<string, Float32Array>();
    for (let l = 0; l < config.nLayers; l++)
      for (const p of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
        const inF = projectionInFeatures(config, p);
        const f = randomValues(inF, 100 + l * 7 + inF).map((v) => v * v);
        fishers.set(`${l}${p}`, f);
        feeds[actFisherInputName(l, p)] = f32(padFisher(f, inF), [actBlocksPerToken(inF) * ACT_BLOCK]);
        feeds[actTauInputName(l, p)] = f32(Float32Array.of(0.01), [1]);
      }
    const out = await runSession(session, feeds, 'forward with the unit');
    const engine = LlamaEngine.forModel(model, { threads: 1 });
    const plain = await engine.forward({ batch: B, seq: T, tokens, targets }, { linearInputs: true });
    await engine.dispose();
    for (const p of ['q', 'k', 'v'] as const) {
      const x = plain.linearInputs!.get(linearInputName(0, p))!;
      const ts = quantizeActivations({
        x,
        tokens: B * T,
        inFeatures: config.dim,
        fisher: fishers.get(`0${p}`)!,
        tau: 0.01,
      });
      expect(Array.from(out[actMaskName(0, p)].data as Float32Array)).toEqual(Array.from(ts.mask));
      const nb = ts.blocksPerToken;
      const cols = new Array(nb).fill(0);
      ts.mask.forEach((m, i) => (cols[i % nb] += m));
      expect(Array.from(out[actFp8CountName(0, p)].data as Float32Array)).toEqual(cols);
    }
    // With τ = +∞ every block is NVFP4: the NLL matches the reference forward whose every linear input goes
    // through the TS rule (up to float32 noise that can flip a rounding), far closer than to the unit-off NLL.
    for (let l = 0; l < config.nLayers; l++)
      for (const p of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const)
        feeds[actTauInputName(l, p)] = f32(Float32Array.of(Infinity), [1]);
    const allLo = await runSession(session, feeds, 'forward, all NVFP4');
    for (let l = 0; l < config.nLayers; l++)
      for (const p of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const)
        expect((allLo[actFp8CountName(l, p)].data as Float32Array).every((v) => v === 0)).toBe(true);
    const nll = allLo.nll.data as Float32Array;
    let diffPlain = 0;
    for (let i = 0; i < nll.length; i++) diffPlain = Math.max(diffPlain, Math.abs(nll[i] - plain.nll[i]));
    expect(diffPlain).toBeGreaterThan(1e-3);
    const { referenceForward } = await import('../model/reference/index.ts');
    let diffRef = 0;
    for (let b = 0; b < B; b++) {
      const ref = referenceForward(model, tokens.slice(b * T, (b + 1) * T), {
        targets: targets.slice(b * T, (b + 1) * T),
        precision: 'float32',
        transformLinearInput: (_l, _p, x, rows, inDim) =>
          quantizeActivations({
            x: Float32Array.from(x),
            tokens: rows,
            inFeatures: inDim,
            fisher: new Float32Array(inDim),
            tau: Infinity,
          }).out,
      });
      for (let t = 0; t < T; t++) diffRef = Math.max(diffRef, Math.abs(nll[b * T + t] - ref.nll[t]));
    }
    expect(diffRef).toBeLessThan(diffPlain / 10);
    await session.release();
  });
});

// Calibration against the plain-TypeScript reference (float64) on a tiny random model, and the data helpers.
import { describe, expect, it } from 'vitest';
import { PROJECTIONS, projectionShape, randomModel } from '../model/types.ts';
import { referenceBackward } from '../model/reference/index.ts';
import { LlamaEngine } from '../runtime/engine.ts';
import { randomIds, relativeError } from '../graph/testUtil.ts';
import {
  calibrate,
  calibrationBatchSize,
  CALIBRATION_ACTIVATION_BYTES,
  estimateCalibration,
  fisherInFloat32,
  fwdBwdBytesPerPosition,
  sampledSequences,
  sequencesFromStream,
  tensorKey,
  type Progress,
} from './calibrate.ts';
import { tinyConfig } from '../../../tests/support/models';
import { MODEL_SHAPES } from '../model/shapes.ts';

const config = tinyConfig({ vocabSize: 50, maxSeqLen: 16 });
const model = randomModel(config, 3, 0.3);

describe('Fisher calibration', () => {
  const stream = randomIds(200, config.vocabSize, 5);
  const data = sequencesFromStream(stream, 5, 12, 1, 'random ids');

  it('weight Fisher = Σ_s (reference per-sequence gradient)², activation Fisher = mean over tokens of (∂L/∂x)², over uneven batches', async () => {
    const engine = LlamaEngine.forModel(model, { threads: 1 });
    const progress: Progress[] = [];
    const res = await calibrate(engine, data, { batchSize: 2, onProgress: (p) => progress.push(p) });
    await engine.dispose();
    expect(progress.map((p) => p.done)).toEqual([24, 48, 60]);
    expect(progress.at(-1)!.etaSeconds).toBe(0);
    expect(res.tokens).toBe(60);
    const wExp = new Map<string, Float64Array>();
    const aExp = new Map<string, Float64Array>();
    let nll = 0;
    for (let s = 0; s < data.count; s++) {
      const tokens = Array.from(data.tokens.subarray(s * 12, (s + 1) * 12));
      const r = referenceBackward(model, tokens, { targets: data.targets.subarray(s * 12, (s + 1) * 12) });
      nll += r.meanNll * 12;
      for (let l = 0; l < config.nLayers; l++)
        for (const p of PROJECTIONS) {
          const key = tensorKey(l, p);
          const [rows, cols] = projectionShape(config, p);
          const w = wExp.get(key) ?? new Float64Array(rows * cols);
          const g = r.grads.layers[l][p];
          for (let i = 0; i < w.length; i++) w[i] += g[i] * g[i];
          wExp.set(key, w);
          const a = aExp.get(key) ?? new Float64Array(cols);
          const gx = r.linearInputGrads[l][p];
          for (let i = 0; i < gx.length; i++) a[i % cols] += (gx[i] * gx[i]) / 60;
          aExp.set(key, a);
        }
    }
    for (const [key, w] of wExp)
      expect(relativeError(res.weightFisher.get(key)!, w), `weight Fisher ${key}`).toBeLessThan(1e-4);
    for (const [key, a] of aExp)
      expect(relativeError(res.activationFisher.get(key)!, a), `activation Fisher ${key}`).toBeLessThan(1e-4);
    expect(res.meanNll).toBeCloseTo(nll / 60, 4);
  });

  it('float32 sums in place: bit-identical to float64 over 2 batches, within k·2⁻²⁴ relative over k batches', async () => {
    const engine = LlamaEngine.forModel(model, { threads: 1 });
    const run = (batchSize: number, accumulate: 'float32' | 'float64') =>
      calibrate(engine, data, { batchSize, accumulate });
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    // 5 sequences in 2 batches (3 + 2): one float32 addition per element, rounded once either way.
    const [a64, a32] = [await run(3, 'float64'), await run(3, 'float32')];
    for (const [key, f] of a64.weightFisher) expect(bits(a32.weightFisher.get(key)!), key).toEqual(bits(f));
    // 5 batches of 1: float32 rounds after every addition, float64 once at the end.
    const [b64, b32] = [await run(1, 'float64'), await run(1, 'float32')];
    await engine.dispose();
    let differ = 0;
    for (const [key, f] of b64.weightFisher) {
      const g = b32.weightFisher.get(key)!;
      for (let i = 0; i < f.length; i++) {
        if (g[i] !== f[i]) differ++;
        expect(Math.abs(g[i] - f[i]), `${key}[${i}]`).toBeLessThanOrEqual(5 * 2 ** -24 * f[i]);
      }
    }
    expect(differ, 'float32 and float64 sums are different computations').toBeGreaterThan(0);
    // The activation Fisher and the NLL are float64 sums on both paths.
    for (const [key, f] of b64.activationFisher)
      expect(Array.from(b32.activationFisher.get(key)!), key).toEqual(Array.from(f));
    expect(b32.meanNll).toBe(b64.meanNll);
  });

  it("'auto' sums in float32 only where it is exact (≤ 2 batches) or float64 sums would not fit", () => {
    expect(fisherInFloat32(config, 2)).toBe(true);
    expect(fisherInFloat32(config, 3)).toBe(false);
    // stories110M: 12 layers × 7,077,888 linear weights, 680 MB of float64 sums.
    expect(fisherInFloat32(MODEL_SHAPES.stories110M, 16)).toBe(true);
    expect(fisherInFloat32(MODEL_SHAPES.stories15M, 16)).toBe(false);
  });

  it('batches of about 2,048 positions, fewer where the activations would not fit', () => {
    // stories260K: 5 layers × (8·64 + 2·32 + 5·172 + 8·256) + 3·512 floats per position at T = 256.
    expect(fwdBwdBytesPerPosition(MODEL_SHAPES.stories260K, 256)).toBe(4 * (5 * (512 + 64 + 860 + 2048) + 1536));
    expect(calibrationBatchSize(MODEL_SHAPES.stories260K, 256)).toBe(8);
    expect(calibrationBatchSize(MODEL_SHAPES.stories260K, 64)).toBe(32);
    for (const shape of [MODEL_SHAPES.stories15M, MODEL_SHAPES.stories110M]) {
      const b = calibrationBatchSize(shape, 256);
      const bytes = (n: number) => n * 256 * fwdBwdBytesPerPosition(shape, 256);
      expect(b === 1 || bytes(b) <= CALIBRATION_ACTIVATION_BYTES).toBe(true);
      expect(bytes(b + 1)).toBeGreaterThan(CALIBRATION_ACTIVATION_BYTES);
    }
    expect(calibrationBatchSize(MODEL_SHAPES.stories110M, 256)).toBe(1);
  });

  it('stops on an aborted signal before running', async () => {
    const engine = LlamaEngine.forModel(model, { threads: 1 });
    const ac = new AbortController();
    ac.abort();
    await expect(calibrate(engine, data, { signal: ac.signal })).rejects.toThrow(/abort/i);
    await engine.dispose();
  });

  it('estimates size and time before it starts', () => {
    const e = estimateCalibration(config, 64, 16);
    let weights = 0;
    let channels = 0;
    for (const p of PROJECTIONS) {
      const [r, c] = projectionShape(config, p);
      weights += r * c;
      channels += c;
    }
    expect(e.tokens).toBe(1024);
    expect(e.fisherBytes).toBe(4 * config.nLayers * (weights + channels));
    expect(e.estimatedSeconds).toBeGreaterThan(0);
  });
});

describe('calibration data', () => {
  it('windows start at BOS and predict every stream token once; too short a stream is a clear error', () => {
    const s = sequencesFromStream([10, 11, 12, 13, 14, 15, 16], 2, 3, 1, 'ids');
    expect(Array.from(s.tokens)).toEqual([1, 10, 11, 1, 13, 14]);
    expect(Array.from(s.targets)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(() => sequencesFromStream([1, 2, 3], 2, 3, 1, 'ids')).toThrow(/ids gives only 1 sequences of 3 tokens/);
    expect(() => sequencesFromStream([1, 2, 3], 0, 3, 1, 'ids')).toThrow(/positive integer/);
  });

  it('data-free sequences are deterministic per seed and differ between seeds', () => {
    const a = sampledSequences(model, 2, 8, 1);
    const b = sampledSequences(model, 2, 8, 1);
    const c = sampledSequences(model, 2, 8, 2);
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    expect(Array.from(a.tokens)).not.toEqual(Array.from(c.tokens));
    expect(a.tokens[0]).toBe(1);
    for (const t of a.targets) expect(t).toBeLessThan(config.vocabSize);
  });
});

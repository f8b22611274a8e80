// The reference engine against llama2.c run.c's outputs for the real stories260K checkpoint
// (../shared/data/golden, produced by run.c in float32; see PROVENANCE.md).
import { describe, expect, it } from 'vitest';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../../tests/support/sharedData';
import { parseLlama2c } from '../loaders/llama2c';
import type { LlamaModel } from '../types';
import { referenceBackward, referenceForward, referenceGenerate, type Precision, type RefArray } from './index';

const ids = (line: string) => line.trim().split(/\s+/).map(Number);

/** Golden NLL figures parsed from golden/stories260K-nll.txt. */
function goldenNll(): { greedy: number; samples: number[] } {
  const text = readSharedText('golden/stories260K-nll.txt');
  const greedy = Number(/greedy mean NLL[^:]*:\s*([\d.]+)/.exec(text)?.[1]);
  const samples = [...text.matchAll(/sample (\d+) mean NLL ([\d.]+)/g)].map((m) => Number(m[2]));
  if (!Number.isFinite(greedy) || samples.length !== 4)
    throw new Error('golden/stories260K-nll.txt: unexpected layout');
  return { greedy, samples };
}

/** max |a − b| over a row, relative to the row's largest |b| (logits near zero make elementwise ratios meaningless). */
function rowScaledError(a: RefArray, b: Float32Array, rows: number, width: number): number {
  let worst = 0;
  for (let t = 0; t < rows; t++) {
    let diff = 0;
    let scale = 0;
    for (let j = 0; j < width; j++) {
      diff = Math.max(diff, Math.abs(a[t * width + j] - b[t * width + j]));
      scale = Math.max(scale, Math.abs(b[t * width + j]));
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

// SKIP_REASON applies when ../shared/data is absent (under CI=true its absence fails instead).
describe.skipIf(!hasSharedData)(`reference engine on stories260K (skipped if absent: ${SKIP_REASON})`, () => {
  const load = (): LlamaModel => parseLlama2c(readShared('models/stories260K.bin'), 'stories260K.bin');
  const greedyTokens = () => ids(readSharedText('golden/stories260K-greedy-tokens.txt'));
  const precisions: Precision[] = ['float64', 'float32'];

  for (const precision of precisions) {
    it(`${precision}: logits at positions 0..7 of the greedy run match run.c to 1e-4 relative`, () => {
      const model = load();
      const raw = readShared('golden/stories260K-greedy-logits-first8.f32');
      expect(raw.byteLength).toBe(8 * 512 * 4);
      const golden = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const out = referenceForward(model, greedyTokens().slice(0, 8), { precision });
      expect(out.logits.length).toBe(8 * 512);
      expect(rowScaledError(out.logits, golden, 8, 512)).toBeLessThan(1e-4);
      // Elementwise too, for logits of any size: |a − b| ≤ 1e-4 (|b| + 0.1).
      for (let i = 0; i < golden.length; i++)
        expect(Math.abs(out.logits[i] - golden[i])).toBeLessThanOrEqual(1e-4 * (Math.abs(golden[i]) + 0.1));
    });

    it(`${precision}: greedy generation from BOS reproduces run.c's 128 token ids`, () => {
      const golden = greedyTokens();
      expect(golden.length).toBe(128);
      const { tokens } = referenceGenerate(load(), [1], 127, { temperature: 0, precision });
      expect(tokens).toEqual(golden);
    });

    it(`${precision}: mean NLL of the greedy run and of the 4 sampled sequences match to 1e-4`, () => {
      const model = load();
      const golden = goldenNll();
      const greedy = referenceForward(model, greedyTokens(), { precision });
      expect(greedy.scoredCount).toBe(127);
      expect(Math.abs(greedy.meanNll - golden.greedy)).toBeLessThan(1e-4);
      const samples = readSharedText('golden/stories260K-samples-4x256.txt').trim().split('\n').map(ids);
      expect(samples.map((s) => s.length)).toEqual([256, 256, 256, 256]);
      samples.forEach((seq, k) => {
        const out = referenceForward(model, seq, { precision });
        expect(out.scoredCount).toBe(255);
        expect(Math.abs(out.meanNll - golden.samples[k]), `sample ${k}`).toBeLessThan(1e-4);
      });
    });
  }

  it('float32 and float64 agree to 1e-4 relative on 128 tokens of a sample (logits, loss, gradients)', () => {
    const model = load();
    const seq = ids(readSharedText('golden/stories260K-samples-4x256.txt').split('\n')[2]).slice(0, 128);
    const b64 = referenceBackward(model, seq, { precision: 'float64' });
    const b32 = referenceBackward(model, seq, { precision: 'float32' });
    const scaled = (a: RefArray, b: RefArray) => {
      let d = 0;
      let m = 0;
      for (let i = 0; i < b.length; i++) {
        d = Math.max(d, Math.abs(a[i] - b[i]));
        m = Math.max(m, Math.abs(b[i]));
      }
      return d / m;
    };
    expect(scaled(b32.logits, b64.logits)).toBeLessThan(1e-4);
    expect(Math.abs(b32.loss - b64.loss)).toBeLessThan(1e-5);
    expect(scaled(b32.grads.tokenEmbedding, b64.grads.tokenEmbedding)).toBeLessThan(1e-4);
    b64.grads.layers.forEach((g, l) => {
      for (const k of ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'attnNorm', 'ffnNorm'] as const)
        expect(scaled(b32.grads.layers[l][k], g[k]), `layers[${l}].${k}`).toBeLessThan(1e-4);
    });
  });

  it('scoring from a position (sliding windows) averages exactly the later predictions', () => {
    const model = load();
    const seq = greedyTokens();
    const full = referenceForward(model, seq);
    const tail = referenceForward(model, seq, { scoreFrom: 100 });
    expect(tail.scoredCount).toBe(27);
    let sum = 0;
    for (let t = 100; t < 127; t++) sum += full.nll[t];
    expect(tail.meanNll).toBeCloseTo(sum / 27, 12);
    expect(Number.isNaN(tail.nll[99])).toBe(true);
  });
});

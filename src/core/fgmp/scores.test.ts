import { describe, expect, it } from 'vitest';
import { errorScores, fgmpScores, magnitudeScores, randomScores, unweightedScores } from './scores';
import { mixTensor, storageFromCounts, weightStorageBits } from './mixed';

// One row of 20 values: a full block (0..15) and a short block (16..19).
const rows = 1;
const cols = 20;
const original = Float32Array.from({ length: 20 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) * 0.25);
const qLo = Float32Array.from(original, (v, i) => v + (i === 3 ? 0.5 : i === 17 ? -0.25 : 0));
const qHi = Float32Array.from(original, (v, i) => v + (i === 3 ? 0.25 : 0));
const fisher = Float32Array.from({ length: 20 }, (_, i) => (i === 3 ? 2 : i === 17 ? 4 : 1));

describe('block scores on a hand-made tensor', () => {
  it('FGMP score Σ F (Q_lo − Q_hi)²', () => {
    // Block 0: only element 3 differs by 0.25, F = 2 -> 2·0.0625 = 0.125.
    // Block 1: element 17 differs by -0.25, F = 4 -> 4·0.0625 = 0.25.
    expect(Array.from(fgmpScores(rows, cols, qLo, qHi, fisher))).toEqual([0.125, 0.25]);
  });

  it('unweighted perturbation (F ≡ 1)', () => {
    expect(Array.from(unweightedScores(rows, cols, qLo, qHi))).toEqual([0.0625, 0.0625]);
  });

  it('error versus the original, weighted and not', () => {
    // Block 0: element 3 off by 0.5 -> 0.25 (F = 2: 0.5). Block 1: element 17 off by 0.25 -> 0.0625 (F = 4: 0.25).
    expect(Array.from(errorScores(rows, cols, qLo, original))).toEqual([0.25, 0.0625]);
    expect(Array.from(errorScores(rows, cols, qLo, original, fisher))).toEqual([0.5, 0.25]);
  });

  it('magnitude = block amax, including the short block', () => {
    // |v_i| = (i+1)/4: block 0 max at i = 15 -> 4; block 1 max at i = 19 -> 5.
    expect(Array.from(magnitudeScores(rows, cols, original))).toEqual([4, 5]);
    expect(
      Number.isNaN(
        magnitudeScores(
          1,
          16,
          Float32Array.from({ length: 16 }, (_, i) => (i === 4 ? NaN : i)),
        )[0],
      ),
    ).toBe(true);
  });

  it('random scores are deterministic in (seed, stream), uniform in [0, 1), and distinct per seed', () => {
    const a = randomScores(1000, 42, 3);
    expect(Array.from(a)).toEqual(Array.from(randomScores(1000, 42, 3)));
    expect(Array.from(a)).not.toEqual(Array.from(randomScores(1000, 43, 3)));
    expect(Array.from(a)).not.toEqual(Array.from(randomScores(1000, 42, 4)));
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(new Set(a).size).toBe(1000);
  });

  it('rejects mismatched shapes', () => {
    expect(() => fgmpScores(2, 20, qLo, qHi, fisher)).toThrow(/expected 2×20 = 40/);
    expect(() => fgmpScores(1, 20, qLo, qHi, new Float32Array(3))).toThrow(/Fisher has 3 values/);
  });
});

describe('mixed tensor and storage bits', () => {
  it('takes FP8 blocks from Q_hi and the others from Q_lo (short last block included)', () => {
    const mixed = mixTensor(rows, cols, qLo, qHi, Uint8Array.of(0, 1));
    expect(Array.from(mixed.subarray(0, 16))).toEqual(Array.from(qLo.subarray(0, 16)));
    expect(Array.from(mixed.subarray(16))).toEqual(Array.from(qHi.subarray(16)));
    expect(() => mixTensor(rows, cols, qLo, qHi, Uint8Array.of(1))).toThrow(/mask has 1 entries/);
  });

  it('counts bits from the layouts: 2×40 tensor (3 blocks per row, last of 8), 2 FP8 blocks', () => {
    // Blocks per row: 16, 16, 8. Mask row-major: row 0 block 0 and row 1 block 2 are FP8.
    const s = weightStorageBits(2, 40, Uint8Array.of(1, 0, 0, 0, 0, 1));
    // FP8 elements 16 + 8 = 24 -> 192 bits; NVFP4 elements 56 -> 224 bits; 4 NVFP4 block scales -> 32 bits;
    // 6 flag bits; scales: NVFP4 tensor scale 32 + FP8 tensor scale 32.
    expect(s).toMatchObject({
      elements: 80,
      blocks: 6,
      fp8Blocks: 2,
      elementBits: 416,
      blockScaleBits: 32,
      metadataBits: 6,
      tensorScaleBits: 64,
    });
    expect(s.totalBits).toBe(416 + 32 + 6 + 64);
    expect(s.bitsPerWeight).toBe(518 / 80);
    // Uniform tensors have no flags; per-row FP8 scales cost 32 bits per row.
    expect(weightStorageBits(2, 40, new Uint8Array(6)).totalBits).toBe(320 + 48 + 32);
    expect(weightStorageBits(2, 40, new Uint8Array(6).fill(1), { fp8Scale: 'row' }).totalBits).toBe(640 + 64);
    expect(weightStorageBits(2, 40, new Uint8Array(6), { metadata: 'always' }).metadataBits).toBe(6);
  });

  it("paper's operating point: 30% FP8 blocks -> 4.5·0.7 + 8·0.3 + 1/16 bits per weight, 29.8% below FP8", () => {
    // 100 rows × 160 cols = 1000 blocks of 16, 300 in FP8.
    const s = storageFromCounts(100, 160, 300, 300 * 16);
    const perWeight = (s.elementBits + s.blockScaleBits + s.metadataBits) / s.elements; // ignoring per-tensor scales
    expect(perWeight).toBeCloseTo(4.5 * 0.7 + 8 * 0.3 + 1 / 16, 12);
    expect(1 - perWeight / 8).toBeCloseTo(0.2984375, 12);
  });
});

describe('storage totals for a budget', () => {
  it('equal the sum over tensors of the mask-based count, short last blocks included', async () => {
    const { rankGlobally, answerBudget, allMasks, storageInputs } = await import('./policy');
    const { totalStorageBits } = await import('./mixed');
    const rnd = (i: number) => ((i * 2654435761) >>> 0) / 4294967296;
    const ranking = rankGlobally([
      { layer: 0, proj: 'q', rows: 3, cols: 32, scores: Array.from({ length: 6 }, (_, i) => rnd(i)) },
      { layer: 0, proj: 'down', rows: 4, cols: 20, scores: Array.from({ length: 8 }, (_, i) => rnd(i + 10)) },
    ]);
    for (const p of [0, 0.3, 0.5, 1]) {
      const a = answerBudget(ranking, p);
      const masks = allMasks(ranking, a);
      const want = weightStorageBits(3, 32, masks[0]).totalBits + weightStorageBits(4, 20, masks[1]).totalBits;
      expect(totalStorageBits(storageInputs(ranking, a)).totalBits).toBe(want);
    }
    expect(() => totalStorageBits([{ rows: 1, cols: 20, fp8Blocks: 1 }])).toThrow(/short last block/);
  });
});

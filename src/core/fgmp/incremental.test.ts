import { describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../model/types';
import { simulateHardware, weightColumnCounts, type HardwareOptions } from '../hw/index';
import {
  allMasks,
  answerBlockCount,
  answerBudget,
  rankGlobally,
  rankPerTensor,
  type BlockRanking,
  type ScoredTensor,
} from './policy';
import { answerPinnedBlockCount, parsePins, summarisePins } from './pins';
import { IncrementalBudget } from './incremental';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** Random scored tensors; some with a short last block (cols % 16 != 0), ties from few score levels. */
function tensors(seed: number, maxRows = 8, levels = 9): ScoredTensor[] {
  const u = lcg(seed);
  const out: ScoredTensor[] = [];
  for (let layer = 0; layer < 2; layer++)
    for (const proj of PROJECTIONS) {
      const rows = 3 + Math.floor(u() * (maxRows - 2));
      const cols = (1 + Math.floor(u() * 4)) * 16 + (u() < 0.4 ? 5 : 0);
      const n = rows * Math.ceil(cols / 16);
      out.push({ layer, proj, rows, cols, scores: Float64Array.from({ length: n }, () => Math.floor(u() * levels)) });
    }
  return out;
}

/** Masks by hand: sort every block by (score descending, global id ascending) with a comparator, keep the first k. */
function referenceMasks(ranking: BlockRanking, k: number): Uint8Array[] {
  const ids = Array.from({ length: ranking.totalBlocks }, (_, i) => i);
  ids.sort((a, b) => ranking.scores[b] - ranking.scores[a] || a - b);
  const masks = ranking.tensors.map((t) => new Uint8Array(t.grid.blockCount));
  for (const id of ids.slice(0, k)) {
    const i = ranking.tensors.findIndex((t) => id >= t.offset && id < t.offset + t.grid.blockCount);
    masks[i][id - ranking.tensors[i].offset] = 1;
  }
  return masks;
}

/** simulateHardware on the masks themselves (the non-incremental path). */
function energyFromMasks(
  ranking: BlockRanking,
  masks: Uint8Array[],
  tokens: number,
  share: number | number[],
  options?: HardwareOptions,
) {
  return simulateHardware(
    ranking.tensors.map((t, i) => ({
      layer: t.layer,
      proj: t.proj,
      rows: t.grid.rows,
      cols: t.grid.cols,
      weightMask: masks[i],
      tokens,
      activationFp8Share: typeof share === 'number' ? share : share[i],
    })),
    undefined,
    options,
  );
}

function expectState(inc: IncrementalBudget, ranking: BlockRanking, masks: Uint8Array[]): void {
  masks.forEach((m, i) => {
    expect(Array.from(inc.masks[i])).toEqual(Array.from(m));
    expect(Array.from(inc.columnCounts[i])).toEqual(Array.from(weightColumnCounts(ranking.tensors[i].grid, m)));
  });
}

describe('IncrementalBudget', () => {
  for (const [name, rank] of [
    ['global', rankGlobally],
    ['per-tensor', rankPerTensor],
  ] as const)
    for (const [every, maskUpdate] of [
      [1, 'flip'],
      [3, 'fill'],
      [1024, 'scan'],
      [3, 'cheapest'],
      [1024, 'cheapest'],
    ] as const)
      it(`masks, column counts and the whole energy report equal a from-scratch answer after every step (${name}, checkpoints every ${every}, masks by ${maskUpdate})`, () => {
        const ranking = rank(tensors(3));
        const inc = new IncrementalBudget(ranking, { checkpointEvery: every, maskUpdate });
        const u = lcg(8);
        // Slider steps, jumps, repeats, both ends.
        const budgets = [0.3, 0.31, 0.29, 0.29, 1, 0, 0.5, ...Array.from({ length: 30 }, () => u()), 0.05, 1, 1, 0];
        let prev = new Uint32Array(ranking.tensors.length);
        for (const p of budgets) {
          const step = inc.setBudget(p);
          const fresh = answerBudget(ranking, p);
          expect(Array.from(step.answer.fp8Counts)).toEqual(Array.from(fresh.fp8Counts));
          expect(step.changed).toBe(fresh.fp8Counts.reduce((s, c, i) => s + Math.abs(c - prev[i]), 0));
          prev = Uint32Array.from(fresh.fp8Counts);
          const masks = allMasks(ranking, fresh);
          expectState(inc, ranking, masks);
          // Same arithmetic from the column counts as from the masks: the reports are equal, not just close.
          expect(inc.energy(64, 0.3)).toEqual(energyFromMasks(ranking, masks, 64, 0.3));
        }
      });

  for (const maskUpdate of ['cheapest', 'flip', 'fill', 'scan'] as const)
    it(`long jumps both ways and back, on tensors with many checkpoints and rank buckets (masks by ${maskUpdate})`, () => {
      // 3..120 rows × 1..5 block columns (block counts not all multiples of 4: the word scan's tail), up to 600
      // blocks: several checkpoints of 16 positions, rank buckets of up to 5 positions.
      const ranking = rankGlobally(tensors(11, 120, 1000));
      expect(ranking.tensors.some((t) => t.grid.blockCount % 4 !== 0 && t.grid.blockCount > 128)).toBe(true);
      const N = ranking.totalBlocks;
      const inc = new IncrementalBudget(ranking, { checkpointEvery: 16, maskUpdate });
      const u = lcg(6);
      const ks = [0, N, 0, Math.round(0.9 * N), Math.round(0.1 * N), Math.round(0.9 * N), 1, N - 1, N, 7, 0];
      for (const k of [...ks, ...Array.from({ length: 12 }, () => Math.floor(u() * (N + 1)))]) {
        inc.setBlockCount(k);
        const want = referenceMasks(ranking, k);
        expectState(inc, ranking, want);
        expect(inc.masks.reduce((s, m) => s + m.reduce((a, b) => a + b, 0), 0)).toBe(k);
      }
    });

  it('ties at the threshold split by ascending block id, as a from-scratch answer', () => {
    // Two score levels: almost every budget cuts through a run of equal scores.
    const ranking = rankGlobally(tensors(5, 8, 2));
    const N = ranking.totalBlocks;
    const inc = new IncrementalBudget(ranking, { checkpointEvery: 4 });
    const u = lcg(2);
    for (let r = 0; r < 25; r++) {
      const k = Math.floor(u() * (N + 1));
      const step = inc.setBlockCount(k);
      expect(step.answer.threshold).toBe(k > 0 ? ranking.scores[ranking.order![k - 1]] : Infinity);
      expectState(inc, ranking, referenceMasks(ranking, k));
    }
  });

  it('pinned answers: pinned tensors all one precision, the rest as the pinned policy answer', () => {
    const ranking = rankGlobally(tensors(7));
    const pins = parsePins('*.down=fp8, 0.*=nvfp4');
    const inc = new IncrementalBudget(ranking, { checkpointEvery: 2 });
    const N = ranking.totalBlocks;
    const { fp8Blocks, nvfp4Blocks } = summarisePins(ranking, pins);
    expect(fp8Blocks > 0 && nvfp4Blocks > 0).toBe(true);
    // Through the feasible range: from only the FP8 pins to everything the NVFP4 pins leave.
    for (const f of [0.5, 0.52, 1, 0, 0.9, 0.25, 0.6]) {
      const a = answerPinnedBlockCount(ranking, pins, Math.round(fp8Blocks + f * (N - nvfp4Blocks - fp8Blocks)));
      inc.setAnswer(a);
      const masks = allMasks(ranking, a);
      expectState(inc, ranking, masks);
      ranking.tensors.forEach((t, i) => {
        if (t.proj === 'down' && t.layer > 0) expect(inc.masks[i].every((b) => b === 1)).toBe(true);
        if (t.layer === 0) expect(inc.masks[i].every((b) => b === 0)).toBe(true);
      });
      expect(inc.energy(32, 0.5)).toEqual(energyFromMasks(ranking, masks, 32, 0.5));
    }
    // Back to an unpinned answer.
    inc.setBudget(0.4);
    expectState(inc, ranking, allMasks(ranking, answerBudget(ranking, 0.4)));
  });

  it('energy with an activation share per tensor, other presets and options, and a new model when they change', () => {
    const ranking = rankGlobally(tensors(9));
    const inc = new IncrementalBudget(ranking);
    const u = lcg(4);
    const shares = ranking.tensors.map(() => u());
    inc.setBudget(0.45);
    const masks = allMasks(ranking, answerBudget(ranking, 0.45));
    expect(inc.energy(48, shares)).toEqual(energyFromMasks(ranking, masks, 48, shares));
    const opts: HardwareOptions = { preset: 'decode', fp8Scale: 'row', mixedPrecisionOverheads: false };
    expect(inc.energy(48, shares, undefined, opts)).toEqual(energyFromMasks(ranking, masks, 48, shares, opts));
    expect(inc.energy(16, 0.2)).toEqual(energyFromMasks(ranking, masks, 16, 0.2));
    inc.setBudget(0.7);
    expect(inc.energy(16, 0.2)).toEqual(
      energyFromMasks(ranking, allMasks(ranking, answerBudget(ranking, 0.7)), 16, 0.2),
    );
  });

  it('a step touches only the blocks that change precision', () => {
    const ranking = rankGlobally(tensors(5));
    const inc = new IncrementalBudget(ranking);
    expect(inc.setBlockCount(10).changed).toBe(10);
    expect(inc.setBlockCount(12).changed).toBe(2);
    expect(inc.setBlockCount(12).changed).toBe(0);
    expect(inc.setBlockCount(7).changed).toBe(5);
    expect(() => inc.setBudget(2)).toThrow(/budget must be in \[0, 1\]/);
    const other = answerBlockCount(rankGlobally(tensors(5).slice(1)), 3);
    expect(() => inc.setAnswer(other)).toThrow(/13 tensor counts, the ranking 14 tensors/);
    expect(() => new IncrementalBudget(ranking, { checkpointEvery: 0 })).toThrow(/checkpointEvery/);
  });
});

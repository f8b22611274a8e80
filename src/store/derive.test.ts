import { describe, expect, it } from 'vitest';
import { answerBudget, rankGlobally, rankPerTensor, tensorMask, type ScoredTensor } from '../core/fgmp/index';
import { answerPinnedBudget, parsePins } from '../core/fgmp/pins';
import { hwParams, simulateHardware } from '../core/hw/index';
import { PROJECTIONS } from '../core/model/types';
import { deriveForBudget, deriveIncremental, IncrementalBudget, masksCsv, type Derived } from './derive';
import { tensorKey } from '../core/pipeline/vocabulary';
import { rankingFromWire, rankingToWire } from '../../workers/protocol';

// Two tiny tensors: [2 rows × 32 cols] (4 blocks) and [1 row × 40 cols] (3 blocks, the last one 8 long).
const scored = [
  { layer: 0, proj: 'q' as const, rows: 2, cols: 32, scores: [5, 1, 7, 3] },
  { layer: 0, proj: 'down' as const, rows: 1, cols: 40, scores: [6, 2, 4] },
];

describe('derive: what a budget decides on the UI thread', () => {
  it('the wire ranking answers budgets exactly as the worker-side ranking', () => {
    for (const r of [rankGlobally(scored), rankPerTensor(scored)]) {
      const w = rankingFromWire(rankingToWire(r));
      for (const b of [0, 0.2, 3 / 7, 0.5, 1]) {
        const a = answerBudget(r, b);
        const aw = answerBudget(w, b);
        expect(Array.from(aw.fp8Counts)).toEqual(Array.from(a.fp8Counts));
        w.tensors.forEach((_, i) => expect(Array.from(tensorMask(w, aw, i))).toEqual(Array.from(tensorMask(r, a, i))));
      }
    }
  });

  it('budget 3/7 keeps the three highest scores (7, 6, 5) in FP8 and prices them', () => {
    const r = rankGlobally(scored);
    const d = deriveForBudget(r, null, 3 / 7, 0.25, 10, hwParams(), 'tensor');
    expect(d.answer.k).toBe(3);
    // q: scores [5, 1, 7, 3] -> blocks 0 and 2 FP8; down: [6, 2, 4] -> block 0.
    expect(Array.from(d.masks[0])).toEqual([1, 0, 1, 0]);
    expect(Array.from(d.masks[1])).toEqual([1, 0, 0]);
    expect(d.weightShare.get('L0.q')).toBe(0.5);
    expect(d.weightShare.get('L0.down')).toBeCloseTo(1 / 3, 15);
    expect(d.activationShare.get('L0.q')).toBe(0.25);
    expect(d.activationCalibrated).toBe(false);
    // Memory by hand, q: 2 FP8 blocks (32 values × 8 bits) + 2 NVFP4 blocks (32 × 4 + 2 × 8) + flags 4 + FP32 scales 2 × 32.
    const q = d.hardware.perLinear[0];
    expect(q.weightBits).toBe(32 * 8 + 32 * 4 + 2 * 8 + 4 + 64);
    // And the whole report equals the hardware model on the same masks.
    const direct = simulateHardware(
      r.tensors.map((t, i) => ({
        layer: t.layer,
        proj: t.proj,
        rows: t.grid.rows,
        cols: t.grid.cols,
        weightMask: d.masks[i],
        tokens: 10,
        activationFp8Share: 0.25,
      })),
      hwParams(),
    );
    expect(d.hardware.total).toEqual(direct.total);
    expect(d.hardware.weightBits).toEqual(direct.weightBits);
  });

  it('uses the activation shares the worker measured, per linear input', () => {
    const r = rankGlobally(scored);
    const d = deriveForBudget(r, { 'L0.q': 0.9, 'L0.down': 0.1 }, 0.5, 0.3, 4, hwParams(), 'tensor');
    expect(d.activationShare.get('L0.q')).toBe(0.9);
    expect(d.hardware.perLinear[1].activationFp8Share).toBeCloseTo(0.1, 12);
    expect(d.activationCalibrated).toBe(true);
  });

  it('reuses the mask buffers it is given and the CSV lists every block', () => {
    const r = rankGlobally(scored);
    const bufs = [new Uint8Array(4), new Uint8Array(3)];
    const d1 = deriveForBudget(r, null, 1, 0, 1, hwParams(), 'tensor', bufs);
    expect(d1.masks[0]).toBe(bufs[0]);
    expect(Array.from(bufs[0])).toEqual([1, 1, 1, 1]);
    const csv = masksCsv(r, d1.masks).trim().split('\n');
    deriveForBudget(r, null, 0, 0, 1, hwParams(), 'tensor', bufs);
    expect(Array.from(bufs[0])).toEqual([0, 0, 0, 0]);
    expect(csv[0]).toBe('layer,projection,block,row,block_col,fp8,score');
    expect(csv).toHaveLength(1 + 7);
    expect(csv[3]).toBe('0,q,2,1,0,1,7');
  });
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** Three layers of random tensors: 3..60 rows, 1..5 block columns (some with a short last block), few score levels (ties). */
function randomTensors(seed: number): ScoredTensor[] {
  const u = lcg(seed);
  const out: ScoredTensor[] = [];
  for (let layer = 0; layer < 3; layer++)
    for (const proj of PROJECTIONS) {
      const rows = 3 + Math.floor(u() * 58);
      const cols = (1 + Math.floor(u() * 5)) * 16 + (u() < 0.4 ? 7 : 0);
      const n = rows * Math.ceil(cols / 16);
      out.push({ layer, proj, rows, cols, scores: Float64Array.from({ length: n }, () => Math.floor(u() * 40)) });
    }
  return out;
}

/** The incremental derivation equals the from-scratch one value for value (masks copied: they are reused). */
function expectSame(inc: Derived, fresh: Derived): void {
  expect(Array.from(inc.answer.fp8Counts)).toEqual(Array.from(fresh.answer.fp8Counts));
  expect(inc.answer.k).toBe(fresh.answer.k);
  expect(inc.answer.fp8Share).toBe(fresh.answer.fp8Share);
  expect(inc.masks.map((m) => Array.from(m))).toEqual(fresh.masks.map((m) => Array.from(m)));
  expect([...inc.weightShare]).toEqual([...fresh.weightShare]);
  expect([...inc.activationShare]).toEqual([...fresh.activationShare]);
  expect(inc.activationCalibrated).toBe(fresh.activationCalibrated);
  // The energy from FP8 counts per column is the same arithmetic as from the masks: equal, not just close.
  expect(inc.hardware).toEqual(fresh.hardware);
}

describe('derive: incremental budget answers against the from-scratch oracle', () => {
  const steps = [0.3, 0.31, 0.32, 0.31, 0.31, 0, 1, 0, 0.5, 0.95, 0.05, 1, 1, 0.99, 0.01, 0.42, 0.3];
  for (const [name, rank] of [
    ['global', rankGlobally],
    ['per-tensor', rankPerTensor],
  ] as const)
    it(`steps, jumps, 0 and 1, back and forth, with both sliders (${name})`, () => {
      const ranking = rank(randomTensors(4));
      const inc = new IncrementalBudget(ranking, { checkpointEvery: 8 });
      const u = lcg(9);
      const params = hwParams();
      const budgets = [...steps, ...Array.from({ length: 20 }, () => Math.round(u() * 100) / 100), 0, 1];
      budgets.forEach((w, s) => {
        // The activation slider moves every third step; calibrated shares per tensor on odd steps.
        const act = s % 3 === 0 ? Math.round(u() * 100) / 100 : 0.25;
        const shares = s % 2 ? Object.fromEntries(ranking.tensors.map((t) => [tensorKey(t.layer, t.proj), u()])) : null;
        for (const preset of [undefined, 'decode'] as const) {
          const a = deriveIncremental(inc, shares, w, act, 64, params, 'tensor', preset);
          expectSame(a, deriveForBudget(ranking, shares, w, act, 64, params, 'tensor', undefined, preset));
        }
      });
    });

  it('answers made elsewhere (pins) and a different FP8 scaling, then plain budgets again', () => {
    const ranking = rankGlobally(randomTensors(6));
    const inc = new IncrementalBudget(ranking);
    const params = hwParams();
    const pins = parsePins('*.down=fp8, 0.*=nvfp4');
    for (const w of [0.3, 0.31, 0.5, 0.2]) {
      const pinned = answerPinnedBudget(ranking, pins, w);
      const a = deriveIncremental(inc, null, pinned, 0.5, 32, params, 'row');
      expectSame(a, deriveForBudget(ranking, null, pinned, 0.5, 32, params, 'row'));
      ranking.tensors.forEach((t, i) => t.layer === 0 && expect(a.masks[i].every((b) => b === 0)).toBe(true));
    }
    for (const w of [0.2, 0.6, 0]) {
      const a = deriveIncremental(inc, null, w, 0.5, 32, params, 'tensor');
      expectSame(a, deriveForBudget(ranking, null, w, 0.5, 32, params, 'tensor'));
    }
  });

  it('budget 3/7 on the hand-checked example, incrementally from 1 and back to it', () => {
    const r = rankGlobally(scored);
    const inc = new IncrementalBudget(r);
    deriveIncremental(inc, null, 1, 0.25, 10, hwParams(), 'tensor');
    const d = deriveIncremental(inc, null, 3 / 7, 0.25, 10, hwParams(), 'tensor');
    expect(Array.from(d.masks[0])).toEqual([1, 0, 1, 0]);
    expect(Array.from(d.masks[1])).toEqual([1, 0, 0]);
    expect(d.hardware.perLinear[0].weightBits).toBe(32 * 8 + 32 * 4 + 2 * 8 + 4 + 64);
  });
});

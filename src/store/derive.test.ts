import { describe, expect, it } from 'vitest';
import { answerBudget, rankGlobally, rankPerTensor, tensorMask } from '../core/fgmp/index';
import { hwParams, simulateHardware } from '../core/hw/index';
import { deriveForBudget, masksCsv } from './derive';
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

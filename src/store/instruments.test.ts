// The instruments on the UI thread: pins, bits per weight, layerwise and the A/B difference, each checked
// against hand-counted blocks of two tiny tensors; and their share-URL fields (round trip, old links).
import { describe, expect, it } from 'vitest';
import { rankGlobally, rankPerTensor, tensorMask, storageInputs, totalStorageBits } from '../core/fgmp/index';
import { DEFAULT_SHARE_STATE, decodeShareQuery, encodeShareQuery, type ShareState } from '../core/url/shareState';
import { abDifference, abState, answerConfiguration, cyclePin, histogramInstrument } from './instrumentsDerive';
import { perplexityKey } from './keys';

// [2 rows × 32 cols] (4 blocks) and [1 row × 40 cols] (3 blocks, the last one 8 long).
const scored = [
  { layer: 0, proj: 'q' as const, rows: 2, cols: 32, scores: [5, 1, 7, 3] },
  { layer: 0, proj: 'down' as const, rows: 1, cols: 40, scores: [6, 2, 4] },
];
const base = { weightBudget: 3 / 7, policy: 'fgmp' as const, fp8Scaling: 'tensor' as const };
const masks = (r: ReturnType<typeof rankGlobally>, a: ReturnType<typeof answerConfiguration>) =>
  r.tensors.map((_, i) => Array.from(tensorMask(r, a.answer, i)));

describe('instruments on a histogram profile (no block scores)', () => {
  it('answer the share and say that pins, a bits budget and layerwise are not applied', () => {
    const answer = answerConfiguration(rankGlobally(scored), base).answer;
    const note =
      'This profile answers budgets from per-tensor histograms, without block scores: pins, a bits-per-weight budget and layerwise are not applied here (fgmp run answers them from the checkpoint).';
    expect(histogramInstrument(base, answer)).toEqual({
      answer,
      bits: null,
      share: 3 / 7,
      pins: [],
      error: null,
      notes: [],
    });
    for (const asked of [{ pins: '0.down=fp8' }, { bpw: 5 }, { layerwise: true }])
      expect(histogramInstrument({ ...base, ...asked }, answer).notes).toEqual([note]);
    expect(histogramInstrument({ ...base, pins: '', bpw: null, layerwise: false }, answer).notes).toEqual([]);
  });
});

describe('instruments: answers on the UI thread', () => {
  it('pins count toward the budget; the rest fill in global order', () => {
    const r = rankGlobally(scored);
    // down pinned FP8 (3 blocks) + one more at k = 4: the best unpinned block is q's 7.
    const a = answerConfiguration(r, { ...base, weightBudget: 4 / 7, pins: '0.down=fp8' });
    expect(a.error).toBeNull();
    expect(masks(r, a)).toEqual([
      [0, 0, 1, 0],
      [1, 1, 1],
    ]);
    expect(a.pins).toEqual([null, 'fp8']);
    // q pinned NVFP4 at k = 3: down's three blocks.
    expect(masks(r, answerConfiguration(r, { ...base, pins: '0.q=nvfp4' }))).toEqual([
      [0, 0, 0, 0],
      [1, 1, 1],
    ]);
  });

  it('a budget below the pins is reported, not raised', () => {
    const r = rankGlobally(scored);
    const a = answerConfiguration(r, { ...base, weightBudget: 1 / 7, pins: '0.q=fp8' });
    expect(a.error).toMatch(/the pins already hold 4/);
    expect(a.answer.k).toBe(1);
  });

  it('bits per weight: the largest count within the bits, infeasible targets give the range', () => {
    const r = rankGlobally(scored);
    const opts = { fp8Scale: 'tensor' as const, metadata: 'always' as const };
    const bpwAt = (k: number) => {
      const a = answerConfiguration(r, { ...base, weightBudget: k / 7 });
      return totalStorageBits(storageInputs(r, a.answer), opts).bitsPerWeight;
    };
    const target = (bpwAt(3) + bpwAt(4)) / 2;
    const a = answerConfiguration(r, { ...base, bpw: target });
    expect(a.answer.k).toBe(3);
    expect(a.share).toBe(3 / 7);
    expect(a.bits!.bitsPerWeight).toBeCloseTo(bpwAt(3), 12);
    const bad = answerConfiguration(r, { ...base, bpw: 1 });
    expect(bad.error).toMatch(/out of range: this model's feasible range is \d\.\d{4}–\d\.\d{4}/);
    // Pins are not applied with a bits budget (as fgmp run refuses --bpw with --pin): said so.
    expect(answerConfiguration(r, { ...base, bpw: target, pins: '0.q=fp8' }).notes[0]).toMatch(/without pins/);
  });

  it('layerwise keeps whole tensors within the bits FGMP spends', () => {
    const r = rankGlobally(scored);
    for (const k of [0, 3, 4, 7]) {
      const a = answerConfiguration(r, { ...base, weightBudget: k / 7, layerwise: true });
      for (const [i, t] of r.tensors.entries()) expect([0, t.grid.blockCount]).toContain(a.answer.fp8Counts[i]);
      const opts = { fp8Scale: 'tensor' as const, metadata: 'always' as const };
      const fgmp = answerConfiguration(r, { ...base, weightBudget: k / 7 });
      expect(totalStorageBits(storageInputs(r, a.answer), opts).totalBits).toBeLessThanOrEqual(
        totalStorageBits(storageInputs(r, fgmp.answer), opts).totalBits,
      );
    }
    // All FP8 affordable at k = 7; none at k = 0.
    expect(answerConfiguration(r, { ...base, weightBudget: 1, layerwise: true }).answer.k).toBe(7);
    expect(answerConfiguration(r, { ...base, weightBudget: 0, layerwise: true }).answer.k).toBe(0);
  });

  it('a click cycles a pin: unpinned → fp8 → nvfp4 → unpinned, above wildcards', () => {
    expect(cyclePin('', 2, 'q')).toBe('2.q=fp8');
    expect(cyclePin('2.q=fp8', 2, 'q')).toBe('2.q=nvfp4');
    expect(cyclePin('2.q=nvfp4', 2, 'q')).toBe('');
    expect(cyclePin('2.q=fp8,*.down=nvfp4', 1, 'down')).toBe('2.q=fp8,*.down=nvfp4,1.down=fp8');
  });

  it('A/B difference counts blocks FP8 in one mask only', () => {
    const a = rankGlobally(scored);
    const b = rankPerTensor(scored);
    const ma = masks(a, answerConfiguration(a, base)).map((m) => Uint8Array.from(m));
    const mb = masks(b, answerConfiguration(b, { ...base, policy: 'uniform' })).map((m) => Uint8Array.from(m));
    const d = abDifference({ ranking: a, masks: ma }, { ranking: b, masks: mb });
    let aOnly = 0;
    let bOnly = 0;
    ma.forEach((m, i) => m.forEach((x, k) => ((aOnly += x & ~mb[i][k] & 1), (bOnly += mb[i][k] & ~x & 1))));
    expect([d.aOnly, d.bOnly]).toEqual([aOnly, bOnly]);
    expect(d.aOnly + d.both).toBe(3);
  });
});

describe('instruments: share URL fields', () => {
  const state: ShareState = {
    ...structuredClone(DEFAULT_SHARE_STATE),
    pins: '0.q=fp8,*.down=nvfp4',
    bpw: 5.25,
    layerwise: true,
    ab: { policy: 'magnitude', weightBudget: 0.2, clipping: 'mse', pins: '1.up=fp8' },
  };

  it('round trip, spelled as the CLI', () => {
    const q = encodeShareQuery(state);
    const p = new URLSearchParams(q);
    expect(p.get('pin')).toBe('1:0.q=fp8,*.down=nvfp4');
    expect(p.get('bpw')).toBe('1:5.25');
    expect(p.get('policy')).toBe('layerwise');
    expect(p.get('ab')).toBe('1:magnitude:0.2:mse:1.up=fp8');
    const back = decodeShareQuery(q);
    expect(back.errors).toEqual([]);
    expect(back.state).toEqual({ ...state, policy: 'fgmp' });
  });

  it('old links still decode to no instruments', () => {
    const old = 'v=1&model=default&calib=default&eval=default&budget=0.3&policy=fgmp&view=heatmap';
    const d = decodeShareQuery(old);
    expect(d.errors).toEqual([]);
    expect(d.state.pins).toBeUndefined();
    expect(d.state.ab).toBeUndefined();
    expect(encodeShareQuery(d.state)).not.toMatch(/pin=|bpw=|ab=/);
  });

  it('malformed fields are reported and left out', () => {
    const d = decodeShareQuery('v=1&pin=1:0.zz=fp8&bpw=2:4&ab=1:fgmp:1.5:mse');
    expect(d.errors.map((e) => e.field)).toEqual(['pin', 'bpw', 'ab']);
    expect(d.errors[0].message).toMatch(/unknown projection "zz"/);
    expect(d.errors[1].message).toMatch(/field version 2/);
    expect([d.state.pins, d.state.bpw, d.state.ab]).toEqual([undefined, undefined, null]);
  });

  it('pins and layerwise change the perplexity key; B is a whole configuration', () => {
    const plain = { ...structuredClone(DEFAULT_SHARE_STATE) };
    expect(perplexityKey({ ...plain, pins: '0.q=fp8' })).not.toBe(perplexityKey(plain));
    expect(perplexityKey({ ...plain, layerwise: true })).not.toBe(perplexityKey(plain));
    // Baselines ignore pins and layerwise.
    expect(perplexityKey({ ...plain, pins: '0.q=fp8' }, 'fp8')).toBe(perplexityKey(plain, 'fp8'));
    const b = abState(state)!;
    expect([b.policy, b.weightBudget, b.clipping, b.pins, b.layerwise, b.ab]).toEqual([
      'magnitude',
      0.2,
      'mse',
      '1.up=fp8',
      false,
      null,
    ]);
  });
});

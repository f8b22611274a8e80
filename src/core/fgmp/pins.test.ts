import { describe, expect, it } from 'vitest';
import { mulberry32, unit } from '../random';
import type { Projection } from '../model/types';
import { allMasks, answerBlockCount, rankGlobally, rankPerTensor, type ScoredTensor } from './policy';
import {
  answerPinnedBlockCount,
  answerPinnedBudget,
  formatPins,
  parsePins,
  pinnedPrecision,
  unmatchedPins,
} from './pins';

function tensors(seed: number, ties = false): ScoredTensor[] {
  const rnd = unit(mulberry32(seed));
  const shapes: [number, Projection, number, number][] = [
    [0, 'q', 3, 32],
    [0, 'down', 2, 40],
    [1, 'q', 3, 32],
    [1, 'gate', 4, 16],
    [1, 'down', 2, 40],
  ];
  return shapes.map(([layer, proj, rows, cols]) => {
    const n = rows * Math.ceil(cols / 16);
    return {
      layer,
      proj,
      rows,
      cols,
      scores: Float64Array.from({ length: n }, () => (ties ? Math.floor(rnd() * 4) : rnd())),
    };
  });
}

/** Brute force: pinned tensors set, then the m unpinned blocks of highest score (stable canonical order). */
function bruteForce(ts: ScoredTensor[], spec: string, k: number): Uint8Array[] {
  const pins = parsePins(spec);
  const masks = ts.map((t) => new Uint8Array(t.scores.length));
  const free: { t: number; b: number; s: number; id: number }[] = [];
  let pinnedFp8 = 0;
  let id = 0;
  ts.forEach((t, i) => {
    const p = pinnedPrecision(pins, t.layer, t.proj);
    for (let b = 0; b < t.scores.length; b++, id++) {
      if (p === 'fp8') {
        masks[i][b] = 1;
        pinnedFp8++;
      } else if (p === null) free.push({ t: i, b, s: t.scores[b], id });
    }
  });
  free.sort((x, y) => y.s - x.s || x.id - y.id);
  for (const f of free.slice(0, k - pinnedFp8)) masks[f.t][f.b] = 1;
  return masks;
}

describe('pins', () => {
  it('parse, format and match with wildcards (the last matching pin wins)', () => {
    const pins = parsePins(' *.down=fp8, 0.*=nvfp4 ,1.q=fp8');
    expect(formatPins(pins)).toBe('*.down=fp8,0.*=nvfp4,1.q=fp8');
    expect(pinnedPrecision(pins, 3, 'down')).toBe('fp8');
    expect(pinnedPrecision(pins, 0, 'down')).toBe('nvfp4');
    expect(pinnedPrecision(pins, 1, 'q')).toBe('fp8');
    expect(pinnedPrecision(pins, 1, 'k')).toBeNull();
    expect(parsePins('')).toEqual([]);
    expect(() => parsePins('0.qq=fp8')).toThrow(/unknown projection "qq"/);
    expect(() => parsePins('x.q=fp8')).toThrow(/is not LAYER.PROJ=fp8\|nvfp4/);
    expect(() => parsePins('0.q=fp16')).toThrow(/is not LAYER.PROJ/);
  });

  it('hold exactly and the rest is filled by the global order: equal to brute force at every k', () => {
    for (const [seed, ties] of [
      [1, false],
      [2, true],
    ] as const) {
      const ts = tensors(seed, ties);
      const ranking = rankGlobally(ts);
      for (const spec of ['*.down=fp8', '0.*=nvfp4', '*.down=fp8,0.*=nvfp4', '1.gate=nvfp4,0.q=fp8']) {
        const pins = parsePins(spec);
        let lo = 0;
        let hi = ranking.totalBlocks;
        ranking.tensors.forEach((t) => {
          const p = pinnedPrecision(pins, t.layer, t.proj);
          if (p === 'fp8') lo += t.grid.blockCount;
          if (p === 'nvfp4') hi -= t.grid.blockCount;
        });
        for (let k = lo; k <= hi; k++) {
          const a = answerPinnedBlockCount(ranking, pins, k);
          expect(a.k).toBe(k);
          expect(allMasks(ranking, a)).toEqual(bruteForce(ts, spec, k));
        }
      }
    }
  });

  it('without pins equals the plain answer', () => {
    const ranking = rankGlobally(tensors(3));
    for (const k of [0, 5, 17, ranking.totalBlocks]) {
      const a = answerPinnedBlockCount(ranking, [], k);
      const b = answerBlockCount(ranking, k);
      expect(a.fp8Counts).toEqual(b.fp8Counts);
      expect(a.threshold).toBe(b.threshold);
      expect(a.nextScore).toBe(b.nextScore);
    }
  });

  it('a budget smaller than the FP8 pins, or larger than the NVFP4 pins allow, is refused', () => {
    const ranking = rankGlobally(tensors(4));
    // Both down projections: 2 rows × 3 blocks each = 12 blocks of 42.
    expect(() => answerPinnedBudget(ranking, parsePins('*.down=fp8'), 0.1)).toThrow(/pins already hold 12/);
    expect(() => answerPinnedBudget(ranking, parsePins('*.*=nvfp4'), 0.1)).toThrow(/leave at most 0/);
    expect(() => answerPinnedBudget(rankPerTensor(tensors(4)), parsePins('*.down=fp8'), 0.5)).toThrow(
      /global policies/,
    );
    expect(unmatchedPins(ranking, parsePins('7.q=fp8,*.down=fp8'))).toEqual([
      { layer: 7, proj: 'q', precision: 'fp8' },
    ]);
  });
});

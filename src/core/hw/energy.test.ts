import { describe, expect, it } from 'vitest';
import { lcg32, unit } from '../random';
import {
  activationColumnCounts,
  ENERGY_COMPONENTS,
  HardwareModel,
  pairCounts,
  simulateHardware,
  simulateLinear,
  weightColumnCounts,
  type LinearInput,
} from './energy';
import { DEFAULT_HW_PARAMS, HW_PARAM_KEYS, hwParams } from './params';
import { blockGrid } from '../fgmp/blocks';

const lcg = (seed: number) => unit(lcg32(seed));

const randomMask = (n: number, p: number, rnd: () => number) =>
  Uint8Array.from({ length: n }, () => (rnd() < p ? 1 : 0));

describe('block-pair counts', () => {
  it('match a brute-force count over every (row, token, block column) triple', () => {
    const rnd = lcg(3);
    for (const [rows, cols, tokens] of [
      [5, 48, 7],
      [3, 172, 4],
      [1, 5, 9],
      [8, 16, 1],
    ]) {
      const g = blockGrid(rows, cols);
      const wm = randomMask(g.blockCount, rnd(), rnd);
      const am = randomMask(tokens * g.blocksPerRow, rnd(), rnd);
      const want = { w8a8: 0, w8a4: 0, w4a8: 0, w4a4: 0 };
      for (let r = 0; r < rows; r++)
        for (let t = 0; t < tokens; t++)
          for (let c = 0; c < g.blocksPerRow; c++) {
            const w = wm[r * g.blocksPerRow + c];
            const a = am[t * g.blocksPerRow + c];
            if (w && a) want.w8a8++;
            else if (w) want.w8a4++;
            else if (a) want.w4a8++;
            else want.w4a4++;
          }
      const got = pairCounts(g, tokens, weightColumnCounts(g, wm), activationColumnCounts(g, tokens, am));
      expect(got).toEqual(want);
      expect(
        simulateLinear({ layer: 0, proj: 'down', rows, cols, tokens, weightMask: wm, activationMask: am }).counts,
      ).toEqual(want);
    }
  });

  it('a uniform activation share equals a mask with that share in every column', () => {
    const rnd = lcg(5);
    const g = blockGrid(4, 64);
    const wm = randomMask(g.blockCount, 0.3, rnd);
    // 8 tokens, share 0.25: exactly 2 FP8 tokens per column.
    const am = new Uint8Array(8 * 4);
    for (let c = 0; c < 4; c++) {
      am[c * 4 + c] = 1; // token c, column c ... plus token (c+4), column c
      am[(c + 4) * 4 + c] = 1;
    }
    const base = { layer: 0, proj: 'q' as const, rows: 4, cols: 64, tokens: 8, weightMask: wm };
    const a = simulateLinear({ ...base, activationMask: am });
    const b = simulateLinear({ ...base, activationFp8Share: 0.25 });
    expect(b.counts).toEqual(a.counts);
    expect(b.energy).toEqual(a.energy);
    expect(b.activationFp8Share).toBe(0.25);
  });
});

describe('energy', () => {
  const P = DEFAULT_HW_PARAMS;

  it('hand-worked layer: 1 row × 32 cols, 2 tokens, every component', () => {
    // Weight mask [1, 0]; activations: token 0 [1, 1], token 1 [0, 1].
    // Column 0: W8 = 1, A8 = 1, A4 = 1 -> w8a8 1, w8a4 1. Column 1: W4 = 1, A8 = 2 -> w4a8 2.
    const r = simulateLinear({
      layer: 0,
      proj: 'q',
      rows: 1,
      cols: 32,
      tokens: 2,
      weightMask: Uint8Array.of(1, 0),
      activationMask: Uint8Array.of(1, 1, 0, 1),
    });
    expect(r.counts).toEqual({ w8a8: 1, w8a4: 1, w4a8: 2, w4a4: 0 });
    // Weights: 16·8 + 16·4 + 8 (one NVFP4 scale) + 2 flags + 32 + 32 (tensor scales) = 266 bits.
    // Activations: 3 FP8 blocks · 128 + 1 NVFP4 block · 72 + 4 flags + 2 tokens · 32 = 524 bits.
    expect(r.weightBits).toBe(266);
    expect(r.activationBits).toBe(524);
    const e = r.energy;
    expect(e.multiply).toBeCloseTo(P.dotW8A8.value + P.dotW8A4.value + 2 * P.dotW4A8.value, 12);
    expect(e.alignAccumulate).toBeCloseTo(4 * P.alignAccumulate.value, 12);
    // Three of the four block dot products have an NVFP4 operand; none is FP4×FP4.
    expect(e.blockScale).toBeCloseTo(3 * P.blockScaleApply.value, 12);
    // Operand bits per block dot product: (w8a8) 128+128, (w8a4) 128+72, (w4a8) 2 × (72+128), plus 2 flags each.
    expect(e.operandFetch).toBeCloseTo((256 + 200 + 400 + 8) * P.operandFetchBit.value, 12);
    expect(e.outputWrite).toBeCloseTo(2 * P.outputWrite.value, 12);
    expect(e.activationUnit).toBeCloseTo(4 * P.activationUnitPerBlock.value, 15);
    // Prefill, one batch: the weights are read once, from DRAM and from the buffer.
    expect(e.weightSram).toBeCloseTo(266 * P.weightBitEnergy.value, 12);
    expect(e.weightDram).toBeCloseTo(266 * P.dramBitEnergy.value, 12);
    expect(e.activationSram).toBeCloseTo(524 * P.activationBitEnergy.value, 12);
    const sum = ENERGY_COMPONENTS.reduce((s, k) => s + e[k], 0);
    expect(e.total).toBeCloseTo(sum, 12);
    expect(e.datapath).toBeCloseTo(e.multiply + e.alignAccumulate + e.blockScale + e.operandFetch + e.outputWrite, 12);
    expect(e.weightMemory).toBeCloseTo(e.weightSram + e.weightDram, 12);
  });

  it('presets: decode reads the weights once per token, on-chip never from DRAM, batches split a prefill', () => {
    const base = {
      layer: 0,
      proj: 'q' as const,
      rows: 2,
      cols: 32,
      tokens: 6,
      weightMask: Uint8Array.of(1, 0, 0, 1),
      activationFp8Share: 0.5,
    };
    const prefill = simulateLinear(base);
    const decode = simulateLinear(base, P, { preset: 'decode' });
    const onChip = simulateLinear(base, P, { preset: 'on-chip' });
    const batched = simulateLinear(base, P, { batchTokens: 4 });
    expect(decode.energy.weightDram).toBeCloseTo(6 * prefill.energy.weightDram, 9);
    expect(decode.energy.weightSram).toBeCloseTo(6 * prefill.energy.weightSram, 9);
    expect(onChip.energy.weightDram).toBe(0);
    expect(onChip.energy.weightSram).toBe(prefill.energy.weightSram);
    expect(batched.energy.weightDram).toBeCloseTo(2 * prefill.energy.weightDram, 9); // ceil(6 / 4) batches
    expect(decode.energy.multiply).toBe(prefill.energy.multiply);
    expect(() => simulateLinear(base, P, { batchTokens: 0 })).toThrow(/batch tokens must be a positive integer/);
  });

  it('all-FP8 masks give exactly the all-FP8 reference (and all-NVFP4 the NVFP4 one) without mixed-precision overheads', () => {
    const g = blockGrid(6, 172);
    const tokens = 5;
    const base = { layer: 2, proj: 'down' as const, rows: 6, cols: 172, tokens };
    const fp8 = simulateLinear(
      {
        ...base,
        weightMask: new Uint8Array(g.blockCount).fill(1),
        activationMask: new Uint8Array(tokens * g.blocksPerRow).fill(1),
      },
      P,
      { mixedPrecisionOverheads: false },
    );
    expect(fp8.energy).toEqual(fp8.allFp8);
    const lo = simulateLinear({ ...base, weightMask: new Uint8Array(g.blockCount), activationFp8Share: 0 }, P, {
      mixedPrecisionOverheads: false,
    });
    expect(lo.energy).toEqual(lo.allNvfp4);
    // With overheads: the activation unit per block, one flag bit per weight and activation block stored and
    // moved, and two flag bits fetched per block dot product, on top.
    const withOverheads = simulateLinear(
      { ...base, weightMask: new Uint8Array(g.blockCount).fill(1), activationFp8Share: 1 },
      P,
    );
    const actBlocks = tokens * g.blocksPerRow;
    const dots = 6 * tokens * g.blocksPerRow;
    expect(withOverheads.energy.activationUnit).toBeCloseTo(actBlocks * P.activationUnitPerBlock.value, 15);
    expect(withOverheads.energy.total - fp8.allFp8.total).toBeCloseTo(
      actBlocks * P.activationUnitPerBlock.value +
        g.blockCount * (P.weightBitEnergy.value + P.dramBitEnergy.value) +
        actBlocks * P.activationBitEnergy.value +
        2 * dots * P.operandFetchBit.value,
      9,
    );
    // The reference multiplies every block dot product at FP8×FP8 and pays no block scales.
    expect(fp8.allFp8.multiply).toBeCloseTo(dots * P.dotW8A8.value, 9);
    expect(fp8.allFp8.blockScale).toBe(0);
    expect(lo.allNvfp4.blockScale).toBeCloseTo(dots * (P.blockScaleApply.value + P.scaleProduct.value), 9);
  });

  it('a weight share without a mask equals, in expectation, masks with that share in every column', () => {
    const rows = 4;
    const cols = 48;
    const tokens = 8;
    const g = blockGrid(rows, cols);
    // One FP8 block per column out of four rows: share 0.25 exactly in every column.
    const wm = new Uint8Array(g.blockCount);
    for (let c = 0; c < g.blocksPerRow; c++) wm[c * g.blocksPerRow + c] = 1;
    const base = { layer: 0, proj: 'k' as const, rows, cols, tokens, activationFp8Share: 0.5 };
    const a = simulateLinear({ ...base, weightMask: wm });
    const b = simulateLinear({ ...base, weightFp8Share: 0.25 });
    expect(b.counts).toEqual(a.counts);
    for (const k of ENERGY_COMPONENTS) expect(b.energy[k]).toBeCloseTo(a.energy[k], 9);
    expect(() => simulateLinear({ ...base })).toThrow(/weight mask or a weight FP8 share/);
    // Per-column counts (what incremental answers keep) give the mask's energy exactly.
    const c = simulateLinear({ ...base, weightFp8PerColumn: Float64Array.from([1, 1, 1]) });
    expect(c.energy).toEqual(a.energy);
    expect(() => simulateLinear({ ...base, weightFp8PerColumn: new Float64Array(2) })).toThrow(/2 entries, expected 3/);
  });

  it('FGMP-like masks land between all-NVFP4 and all-FP8; per-layer sums equal the total', () => {
    const rnd = lcg(8);
    const inputs: LinearInput[] = [];
    for (let layer = 0; layer < 2; layer++)
      for (const [proj, rows, cols] of [
        ['q', 32, 32],
        ['down', 32, 172],
      ] as const) {
        const g = blockGrid(rows, cols);
        inputs.push({
          layer,
          proj,
          rows,
          cols,
          tokens: 16,
          weightMask: randomMask(g.blockCount, 0.3, rnd),
          activationMask: randomMask(16 * g.blocksPerRow, 0.3, rnd),
        });
      }
    const rep = simulateHardware(inputs);
    expect(rep.total.total).toBeGreaterThan(rep.allNvfp4.total);
    expect(rep.total.total).toBeLessThan(rep.allFp8.total);
    expect(rep.vsFp8).toBeCloseTo(rep.total.total / rep.allFp8.total, 15);
    const layerSum = rep.perLayer.reduce((s, l) => s + l.energy.total, 0);
    expect(layerSum).toBeCloseTo(rep.total.total, 9);
    // Every field of every breakdown is summed (the totals add the fields one by one).
    for (const part of ['energy', 'allFp8', 'allNvfp4'] as const)
      for (const k of Object.keys(rep.perLinear[0][part]) as (keyof (typeof rep.perLinear)[0]['energy'])[]) {
        const sum = rep.perLinear.reduce((s, r) => s + r[part][k], 0);
        const whole = part === 'energy' ? rep.total : rep[part];
        const layers = rep.perLayer.reduce((s, l) => s + l[part][k], 0);
        // The mixed design pays every component; the uniform references skip some (no unit, FP8 no block scales).
        if (part === 'energy') expect(sum).toBeGreaterThan(0);
        if (sum === 0) expect([whole[k], layers]).toEqual([0, 0]);
        else {
          expect(whole[k] / sum).toBeCloseTo(1, 12);
          expect(layers / sum).toBeCloseTo(1, 12);
        }
      }
    expect(rep.weightBits.mixed).toBe(rep.perLinear.reduce((s, r) => s + r.weightBits, 0));
    expect(rep.weightBits.elements).toBe(2 * (32 * 32 + 32 * 172));
    expect(rep.weightBits.allFp8).toBe(8 * rep.weightBits.elements + 4 * 32);
  });

  it('rejects masks of the wrong size and missing activation information', () => {
    const base = { layer: 0, proj: 'q' as const, rows: 2, cols: 32, tokens: 3 };
    expect(() => simulateLinear({ ...base, weightMask: new Uint8Array(3), activationFp8Share: 0 })).toThrow(
      /weight mask has 3 entries, expected 4/,
    );
    expect(() => simulateLinear({ ...base, weightMask: new Uint8Array(4), activationMask: new Uint8Array(5) })).toThrow(
      /activation mask has 5 entries, expected 6/,
    );
    expect(() => simulateLinear({ ...base, weightMask: new Uint8Array(4) })).toThrow(
      /activation mask or an activation FP8 share/,
    );
    expect(() => simulateLinear({ ...base, weightMask: new Uint8Array(4), activationFp8Share: 2 })).toThrow(/\[0, 1\]/);
  });
});

describe('HardwareModel (one model, many weight masks)', () => {
  it('gives exactly simulateHardware on the masks, mask after mask, for every preset and option', () => {
    const rnd = lcg(21);
    const shapes = [
      [0, 'q', 5, 48, 7],
      [0, 'down', 3, 172, 7],
      [1, 'q', 1, 5, 7],
      [1, 'up', 8, 16, 7],
    ] as const;
    const actMasks = shapes.map(([, , , cols, tokens]) => randomMask(tokens * Math.ceil(cols / 16), 0.4, rnd));
    const optionSets = [
      {},
      { preset: 'decode' as const },
      { preset: 'on-chip' as const, batchTokens: 3 },
      { mixedPrecisionOverheads: false, fp8Scale: 'row' as const },
    ];
    for (const options of optionSets)
      for (const withActMask of [false, true]) {
        const inputs = shapes.map(([layer, proj, rows, cols, tokens], i) => ({
          layer,
          proj,
          rows,
          cols,
          tokens,
          ...(withActMask ? { activationMask: actMasks[i] } : { activationFp8Share: 0.35 }),
        }));
        const model = new HardwareModel(inputs, DEFAULT_HW_PARAMS, options);
        for (let r = 0; r < 4; r++) {
          const p = r === 0 ? 0 : r === 3 ? 1 : rnd();
          const masks = inputs.map((s) => randomMask(blockGrid(s.rows, s.cols).blockCount, p, rnd));
          const want = simulateHardware(
            inputs.map((s, i) => ({ ...s, weightMask: masks[i] })),
            DEFAULT_HW_PARAMS,
            options,
          );
          const got = model.report(inputs.map((s, i) => weightColumnCounts(blockGrid(s.rows, s.cols), masks[i])));
          expect(got).toEqual(want);
        }
      }
  });

  it('rejects column counts of the wrong shape', () => {
    const model = new HardwareModel([{ layer: 0, proj: 'q', rows: 2, cols: 32, tokens: 3, activationFp8Share: 0.5 }]);
    expect(() => model.report([new Float64Array(3)])).toThrow(/weight column counts have 3 entries, expected 2/);
    expect(() => model.report([])).toThrow(/0 column count arrays for 1 linear layers/);
  });
});

describe('parameter table', () => {
  it('has a unit and a source for every number, and FP4 pairs cost less than FP8×FP8', () => {
    for (const k of HW_PARAM_KEYS) {
      expect(DEFAULT_HW_PARAMS[k].value).toBeGreaterThan(0);
      expect(DEFAULT_HW_PARAMS[k].source.length).toBeGreaterThan(20);
      expect(DEFAULT_HW_PARAMS[k].unit).not.toBe('');
    }
    expect(DEFAULT_HW_PARAMS.dotW4A4.value).toBeLessThan(DEFAULT_HW_PARAMS.dotW8A4.value);
    expect(DEFAULT_HW_PARAMS.dotW8A4.value).toBeLessThan(DEFAULT_HW_PARAMS.dotW8A8.value);
    // Exactly one number is fitted, and it says so.
    expect(HW_PARAM_KEYS.filter((k) => DEFAULT_HW_PARAMS[k].fitted)).toEqual(['operandFetchBit']);
    expect(DEFAULT_HW_PARAMS.operandFetchBit.source).toMatch(/^fitted to the FGMP headline/);
  });

  it('takes overrides, marks them, and rejects unknown keys and bad values', () => {
    const p = hwParams({ dotW8A8: 2 });
    expect(p.dotW8A8.value).toBe(2);
    expect(p.dotW8A8.source).toMatch(/^user override/);
    expect(p.dotW4A4).toBe(DEFAULT_HW_PARAMS.dotW4A4);
    const g = blockGrid(1, 16);
    const r = simulateLinear(
      { layer: 0, proj: 'q', rows: 1, cols: 16, tokens: 1, weightMask: Uint8Array.of(1), activationFp8Share: 1 },
      p,
    );
    expect(r.energy.multiply).toBe(2 * g.blockCount);
    expect(() => hwParams({ nope: 1 } as never)).toThrow(/unknown hardware parameter "nope"/);
    expect(() => hwParams({ dotW4A4: -1 })).toThrow(/>= 0/);
  });
});

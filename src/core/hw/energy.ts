// Simulated energy of the block-granular datapath (DESIGN.md §4), counted exactly from masks.
// A weight block [row, c] meets every token's activation block [token, c] at the same input position c,
// so the block dot products of precision pair (w, a) are Σ_c W_w[c] · A_a[c], with W_w[c] the number of
// weight blocks of precision w in column c (over rows) and A_a[c] the number of activation blocks of
// precision a in column c (over tokens): O(rows·blockCols + tokens·blockCols), not O(rows·tokens·blockCols).
import type { Projection } from '../model/types';
import { blockGrid, BLOCK_SIZE, type BlockGrid } from '../fgmp/blocks';
import { storageFromCounts, type StorageOptions } from '../fgmp/mixed';
import { DEFAULT_HW_PARAMS, type HwParams } from './params';

export interface PairCounts {
  /** Block dot products by (weight precision, activation precision). */
  w8a8: number;
  w8a4: number;
  w4a8: number;
  w4a4: number;
}

export interface LinearInput {
  layer: number;
  proj: Projection;
  rows: number;
  cols: number;
  /** Weight precision mask [rows, blockCols], 1 = FP8. */
  weightMask?: Uint8Array;
  /**
   * FP8 weight blocks per block column (over rows), when the caller keeps them (fgmp/incremental.ts): the energy
   * depends on the mask only through these counts.
   */
  weightFp8PerColumn?: Float64Array;
  /** Used when neither mask nor column counts are given (a shape without a model): FP8 share in every column, in expectation. */
  weightFp8Share?: number;
  /** Tokens processed in the pass. */
  tokens: number;
  /** Realised activation precision mask [tokens, blockCols], 1 = FP8. */
  activationMask?: Uint8Array;
  /** Used when activationMask is absent: FP8 share of activation blocks, the same in every column. */
  activationFp8Share?: number;
}

/** Energy by component (pJ). The four group fields sum the components the way the views group them. */
export interface EnergyBreakdown {
  multiply: number;
  alignAccumulate: number;
  blockScale: number;
  operandFetch: number;
  outputWrite: number;
  activationUnit: number;
  weightSram: number;
  weightDram: number;
  activationSram: number;
  /** multiply + alignAccumulate + blockScale + operandFetch + outputWrite. */
  datapath: number;
  /** weightSram + weightDram. */
  weightMemory: number;
  /** activationSram. */
  activationMemory: number;
  total: number;
}

/** The components, in the order tables list them. */
export const ENERGY_COMPONENTS = [
  'multiply',
  'alignAccumulate',
  'blockScale',
  'operandFetch',
  'outputWrite',
  'activationUnit',
  'weightSram',
  'weightDram',
  'activationSram',
] as const;
export type EnergyComponent = (typeof ENERGY_COMPONENTS)[number];

export interface LinearReport {
  layer: number;
  proj: Projection;
  counts: PairCounts;
  /** Weight storage (and bits read once per pass). */
  weightBits: number;
  /** Activation bits moved in the pass. */
  activationBits: number;
  weightFp8Share: number;
  activationFp8Share: number;
  energy: EnergyBreakdown;
  /** Same counts, every weight and activation block FP8 (no mixed-precision overheads). */
  allFp8: EnergyBreakdown;
  /** Same counts, every block NVFP4 (no mixed-precision overheads). */
  allNvfp4: EnergyBreakdown;
}

export interface HardwareOptions {
  /**
   * Count the costs a mixed-precision design adds: the activation quantization unit and one
   * precision flag bit per weight and activation block. Default true; the all-FP8 / all-NVFP4
   * references are uniform designs and never pay them.
   */
  mixedPrecisionOverheads?: boolean;
  /** FP8 weight scale granularity for storage bits. */
  fp8Scale?: StorageOptions['fp8Scale'];
  /**
   * Where weights come from. `prefill` (default): streamed from DRAM and read from the on-chip buffer once
   * per batch of `batchTokens` tokens; `decode`: once per token (one token per step); `on-chip`: resident on
   * chip, read from the buffer once per batch, no DRAM.
   */
  preset?: HardwarePreset;
  /** Tokens per batch in the prefill and on-chip presets (default: the pass's tokens, i.e. one batch). */
  batchTokens?: number;
}

export type HardwarePreset = 'prefill' | 'decode' | 'on-chip';
export const HARDWARE_PRESETS: readonly HardwarePreset[] = ['prefill', 'decode', 'on-chip'];

export interface HardwareReport {
  perLinear: LinearReport[];
  perLayer: {
    layer: number;
    energy: EnergyBreakdown;
    allFp8: EnergyBreakdown;
    allNvfp4: EnergyBreakdown;
    weightBits: number;
  }[];
  total: EnergyBreakdown;
  allFp8: EnergyBreakdown;
  allNvfp4: EnergyBreakdown;
  /** total.total / allFp8.total. */
  vsFp8: number;
  /** total.total / allNvfp4.total. */
  vsNvfp4: number;
  weightBits: { mixed: number; allFp8: number; allNvfp4: number; bitsPerWeight: number; elements: number };
}

function checkMask(name: string, mask: Uint8Array, length: number): void {
  if (mask.length !== length) throw new Error(`${name} has ${mask.length} entries, expected ${length}`);
}

/** FP8 weight blocks per block column (over rows). */
export function weightColumnCounts(grid: BlockGrid, mask: Uint8Array): Float64Array {
  checkMask('weight mask', mask, grid.blockCount);
  const counts = new Float64Array(grid.blocksPerRow);
  let b = 0;
  for (let r = 0; r < grid.rows; r++) for (let c = 0; c < grid.blocksPerRow; c++) counts[c] += mask[b++] ? 1 : 0;
  return counts;
}

/** FP8 activation blocks per block column (over tokens); fractional when given as a share. */
export function activationColumnCounts(
  grid: BlockGrid,
  tokens: number,
  mask?: Uint8Array,
  share?: number,
): Float64Array {
  if (!Number.isInteger(tokens) || tokens < 0) throw new Error(`tokens must be a non-negative integer, got ${tokens}`);
  const counts = new Float64Array(grid.blocksPerRow);
  if (mask) {
    checkMask('activation mask', mask, tokens * grid.blocksPerRow);
    let b = 0;
    for (let t = 0; t < tokens; t++) for (let c = 0; c < grid.blocksPerRow; c++) counts[c] += mask[b++] ? 1 : 0;
  } else {
    if (share === undefined) throw new Error('give an activation mask or an activation FP8 share');
    if (!(share >= 0 && share <= 1)) throw new Error(`activation FP8 share must be in [0, 1], got ${share}`);
    counts.fill(share * tokens);
  }
  return counts;
}

/** Block dot products by precision pair, from column counts. */
export function pairCounts(
  grid: BlockGrid,
  tokens: number,
  weightFp8PerCol: Float64Array,
  actFp8PerCol: Float64Array,
): PairCounts {
  const out: PairCounts = { w8a8: 0, w8a4: 0, w4a8: 0, w4a4: 0 };
  for (let c = 0; c < grid.blocksPerRow; c++) {
    const w8 = weightFp8PerCol[c];
    const w4 = grid.rows - w8;
    const a8 = actFp8PerCol[c];
    const a4 = tokens - a8;
    out.w8a8 += w8 * a8;
    out.w8a4 += w8 * a4;
    out.w4a8 += w4 * a8;
    out.w4a4 += w4 * a4;
  }
  return out;
}

/** Bits of the activations moved in one pass: FP8 8 bits/elem; NVFP4 4 bits/elem + 8 per block; FP32 scale per token; flags. */
function activationBits(grid: BlockGrid, tokens: number, actFp8PerCol: Float64Array, flags: boolean): number {
  let bits = 32 * tokens;
  for (let c = 0; c < grid.blocksPerRow; c++) {
    const len = blockLength(grid, c);
    const a8 = actFp8PerCol[c];
    const a4 = tokens - a8;
    bits += a8 * 8 * len + a4 * (4 * len + 8) + (flags ? tokens : 0);
  }
  return bits;
}

const blockLength = (grid: BlockGrid, c: number) => (c === grid.blocksPerRow - 1 ? grid.lastBlockLength : BLOCK_SIZE);

/** Operand bits delivered to the lanes over every block dot product: each weight block meets `tokens` activation blocks. */
function operandBits(grid: BlockGrid, tokens: number, w8: Float64Array, a8: Float64Array, flags: boolean): number {
  let bits = 0;
  for (let c = 0; c < grid.blocksPerRow; c++) {
    const len = blockLength(grid, c);
    const fp8 = 8 * len;
    const nvfp4 = 4 * len + 8;
    bits += (w8[c] * fp8 + (grid.rows - w8[c]) * nvfp4) * tokens + (a8[c] * fp8 + (tokens - a8[c]) * nvfp4) * grid.rows;
  }
  // One precision flag per operand block per block dot product.
  if (flags) bits += 2 * grid.rows * tokens * grid.blocksPerRow;
  return bits;
}

/** Times the weights are read in a pass of `tokens` tokens. */
function weightReads(tokens: number, options: HardwareOptions): number {
  const preset = options.preset ?? 'prefill';
  if (preset === 'decode') return tokens;
  const batch = options.batchTokens ?? tokens;
  if (!(Number.isInteger(batch) && batch >= 1))
    throw new Error(`batch tokens must be a positive integer, got ${batch}`);
  return Math.max(1, Math.ceil(tokens / batch));
}

interface Tally {
  counts: PairCounts;
  operandBits: number;
  outputs: number;
  activationBlocks: number;
  weightBits: number;
  activationBits: number;
  weightReads: number;
}

function energyOf(params: HwParams, t: Tally, overheads: boolean, options: HardwareOptions): EnergyBreakdown {
  const { counts } = t;
  const multiply =
    counts.w8a8 * params.dotW8A8.value +
    counts.w8a4 * params.dotW8A4.value +
    counts.w4a8 * params.dotW4A8.value +
    counts.w4a4 * params.dotW4A4.value;
  const blockDots = counts.w8a8 + counts.w8a4 + counts.w4a8 + counts.w4a4;
  const alignAccumulate = blockDots * params.alignAccumulate.value;
  const blockScale =
    (counts.w8a4 + counts.w4a8 + counts.w4a4) * params.blockScaleApply.value + counts.w4a4 * params.scaleProduct.value;
  const operandFetch = t.operandBits * params.operandFetchBit.value;
  const outputWrite = t.outputs * params.outputWrite.value;
  const activationUnit = overheads ? t.activationBlocks * params.activationUnitPerBlock.value : 0;
  const weightSram = t.weightBits * t.weightReads * params.weightBitEnergy.value;
  const weightDram =
    (options.preset ?? 'prefill') === 'on-chip' ? 0 : t.weightBits * t.weightReads * params.dramBitEnergy.value;
  const activationSram = t.activationBits * params.activationBitEnergy.value;
  const datapath = multiply + alignAccumulate + blockScale + operandFetch + outputWrite;
  const weightMemory = weightSram + weightDram;
  return {
    multiply,
    alignAccumulate,
    blockScale,
    operandFetch,
    outputWrite,
    activationUnit,
    weightSram,
    weightDram,
    activationSram,
    datapath,
    weightMemory,
    activationMemory: activationSram,
    total: datapath + activationUnit + weightMemory + activationSram,
  };
}

const zeroEnergy = (): EnergyBreakdown => ({
  multiply: 0,
  alignAccumulate: 0,
  blockScale: 0,
  operandFetch: 0,
  outputWrite: 0,
  activationUnit: 0,
  weightSram: 0,
  weightDram: 0,
  activationSram: 0,
  datapath: 0,
  weightMemory: 0,
  activationMemory: 0,
  total: 0,
});
/** a += b field by field (written out: a loop over the keys costs more than the rest of a budget answer). */
function addInto(a: EnergyBreakdown, b: EnergyBreakdown): void {
  a.multiply += b.multiply;
  a.alignAccumulate += b.alignAccumulate;
  a.blockScale += b.blockScale;
  a.operandFetch += b.operandFetch;
  a.outputWrite += b.outputWrite;
  a.activationUnit += b.activationUnit;
  a.weightSram += b.weightSram;
  a.weightDram += b.weightDram;
  a.activationSram += b.activationSram;
  a.datapath += b.datapath;
  a.weightMemory += b.weightMemory;
  a.activationMemory += b.activationMemory;
  a.total += b.total;
}

/** A linear layer without its weight precisions: shape, tokens and the activation side (mask or share). */
export type LinearShape = Omit<LinearInput, 'weightMask' | 'weightFp8PerColumn' | 'weightFp8Share'>;

/**
 * One linear layer's energy model with everything its weight precisions do not change computed once (the
 * activation column counts and bits, the all-FP8 / all-NVFP4 references): `report` then costs O(block columns)
 * for each weight mask, given as its FP8 count per column. simulateLinear is `new LinearEnergyModel(...).report`.
 */
export class LinearEnergyModel {
  readonly grid: BlockGrid;
  private readonly a8: Float64Array;
  private readonly overheads: boolean;
  private readonly actBits: number;
  private readonly actBlocks: number;
  private readonly reads: number;
  private readonly outputs: number;
  private readonly activationShare: number;
  private readonly allFp8: EnergyBreakdown;
  private readonly allNvfp4: EnergyBreakdown;

  constructor(
    readonly shape: LinearShape,
    private readonly params: HwParams = DEFAULT_HW_PARAMS,
    private readonly options: HardwareOptions = {},
  ) {
    const grid = (this.grid = blockGrid(shape.rows, shape.cols));
    const tokens = shape.tokens;
    this.overheads = options.mixedPrecisionOverheads ?? true;
    const a8 = (this.a8 = activationColumnCounts(grid, tokens, shape.activationMask, shape.activationFp8Share));
    this.actBits = activationBits(grid, tokens, a8, this.overheads);
    this.actBlocks = tokens * grid.blocksPerRow;
    this.reads = weightReads(tokens, options);
    this.outputs = grid.rows * tokens;
    this.activationShare = this.actBlocks ? a8.reduce((s, x) => s + x, 0) / this.actBlocks : 0;

    const total = grid.rows * tokens * grid.blocksPerRow;
    const uniform = { fp8Scale: options.fp8Scale, metadata: 'never' as const };
    const allW8 = new Float64Array(grid.blocksPerRow).fill(grid.rows);
    const allA8 = new Float64Array(grid.blocksPerRow).fill(tokens);
    const none = new Float64Array(grid.blocksPerRow);
    const fp8WeightBits = storageFromCounts(
      grid.rows,
      grid.cols,
      grid.blockCount,
      grid.rows * grid.cols,
      uniform,
    ).totalBits;
    const nvfp4WeightBits = storageFromCounts(grid.rows, grid.cols, 0, 0, uniform).totalBits;
    this.allFp8 = energyOf(
      params,
      this.tally(
        { w8a8: total, w8a4: 0, w4a8: 0, w4a4: 0 },
        fp8WeightBits,
        activationBits(grid, tokens, allA8, false),
        allW8,
        allA8,
        false,
      ),
      false,
      options,
    );
    this.allNvfp4 = energyOf(
      params,
      this.tally(
        { w8a8: 0, w8a4: 0, w4a8: 0, w4a4: total },
        nvfp4WeightBits,
        activationBits(grid, tokens, none, false),
        none,
        none,
        false,
      ),
      false,
      options,
    );
  }

  private tally(c: PairCounts, wBits: number, aBits: number, w: Float64Array, a: Float64Array, flags: boolean): Tally {
    return {
      counts: c,
      operandBits: operandBits(this.grid, this.shape.tokens, w, a, flags),
      outputs: this.outputs,
      activationBlocks: this.actBlocks,
      weightBits: wBits,
      activationBits: aBits,
      weightReads: this.reads,
    };
  }

  /** The report for FP8 weight blocks per block column `w8` (over rows). */
  report(w8: Float64Array): LinearReport {
    const { grid, options, overheads } = this;
    if (w8.length !== grid.blocksPerRow)
      throw new Error(`weight column counts have ${w8.length} entries, expected ${grid.blocksPerRow}`);
    const counts = pairCounts(grid, this.shape.tokens, w8, this.a8);
    let fp8Blocks = 0;
    let fp8Elements = 0;
    for (let c = 0; c < grid.blocksPerRow; c++) {
      fp8Blocks += w8[c];
      fp8Elements += w8[c] * blockLength(grid, c);
    }
    const storage = { fp8Scale: options.fp8Scale, metadata: overheads ? ('always' as const) : ('never' as const) };
    const weightBits = storageFromCounts(grid.rows, grid.cols, fp8Blocks, fp8Elements, storage).totalBits;
    const energy = energyOf(
      this.params,
      this.tally(counts, weightBits, this.actBits, w8, this.a8, overheads),
      overheads,
      options,
    );
    return {
      layer: this.shape.layer,
      proj: this.shape.proj,
      counts,
      weightBits,
      activationBits: this.actBits,
      weightFp8Share: fp8Blocks / grid.blockCount,
      activationFp8Share: this.activationShare,
      energy,
      allFp8: { ...this.allFp8 },
      allNvfp4: { ...this.allNvfp4 },
    };
  }
}

/** FP8 weight blocks per block column of one input: from its mask, its column counts or its share. */
function weightCounts(input: LinearInput, grid: BlockGrid): Float64Array {
  if (input.weightMask) return weightColumnCounts(grid, input.weightMask);
  if (input.weightFp8PerColumn) {
    if (input.weightFp8PerColumn.length !== grid.blocksPerRow)
      throw new Error(
        `weight column counts have ${input.weightFp8PerColumn.length} entries, expected ${grid.blocksPerRow}`,
      );
    return input.weightFp8PerColumn;
  }
  const share = input.weightFp8Share;
  if (share === undefined) throw new Error('give a weight mask or a weight FP8 share');
  if (!(share >= 0 && share <= 1)) throw new Error(`weight FP8 share must be in [0, 1], got ${share}`);
  return new Float64Array(grid.blocksPerRow).fill(share * grid.rows);
}

/** Counts and energy of one linear layer for one pass over `tokens` tokens. */
export function simulateLinear(
  input: LinearInput,
  params: HwParams = DEFAULT_HW_PARAMS,
  options: HardwareOptions = {},
): LinearReport {
  const w8 = weightCounts(input, blockGrid(input.rows, input.cols));
  return new LinearEnergyModel(input, params, options).report(w8);
}

/** What no weight precision changes in a set of linear layers: the uniform storage and the element count. */
interface UniformTotals {
  elements: number;
  fp8Bits: number;
  nvfp4Bits: number;
}

function uniformTotals(shapes: readonly LinearShape[], options: HardwareOptions): UniformTotals {
  const out = { elements: 0, fp8Bits: 0, nvfp4Bits: 0 };
  const uniform = { fp8Scale: options.fp8Scale, metadata: 'never' as const };
  for (const { rows, cols } of shapes) {
    out.elements += rows * cols;
    const g = blockGrid(rows, cols);
    out.fp8Bits += storageFromCounts(rows, cols, g.blockCount, rows * cols, uniform).totalBits;
    out.nvfp4Bits += storageFromCounts(rows, cols, 0, 0, uniform).totalBits;
  }
  return out;
}

/** Per transformer layer and total, from the per-linear reports. */
function aggregate(perLinear: LinearReport[], u: UniformTotals): HardwareReport {
  const total = zeroEnergy();
  const allFp8 = zeroEnergy();
  const allNvfp4 = zeroEnergy();
  const layers = new Map<number, HardwareReport['perLayer'][number]>();
  let mixedBits = 0;
  for (const r of perLinear) {
    addInto(total, r.energy);
    addInto(allFp8, r.allFp8);
    addInto(allNvfp4, r.allNvfp4);
    let l = layers.get(r.layer);
    if (!l)
      layers.set(
        r.layer,
        (l = { layer: r.layer, energy: zeroEnergy(), allFp8: zeroEnergy(), allNvfp4: zeroEnergy(), weightBits: 0 }),
      );
    addInto(l.energy, r.energy);
    addInto(l.allFp8, r.allFp8);
    addInto(l.allNvfp4, r.allNvfp4);
    l.weightBits += r.weightBits;
    mixedBits += r.weightBits;
  }
  return {
    perLinear,
    perLayer: [...layers.values()].sort((a, b) => a.layer - b.layer),
    total,
    allFp8,
    allNvfp4,
    vsFp8: total.total / allFp8.total,
    vsNvfp4: total.total / allNvfp4.total,
    weightBits: {
      mixed: mixedBits,
      allFp8: u.fp8Bits,
      allNvfp4: u.nvfp4Bits,
      bitsPerWeight: u.elements ? mixedBits / u.elements : 0,
      elements: u.elements,
    },
  };
}

/** Per linear layer, per transformer layer and total energy and weight memory, against all-FP8 and all-NVFP4. */
export function simulateHardware(
  inputs: readonly LinearInput[],
  params: HwParams = DEFAULT_HW_PARAMS,
  options: HardwareOptions = {},
): HardwareReport {
  const perLinear = inputs.map((i) => simulateLinear(i, params, options));
  return aggregate(perLinear, uniformTotals(inputs, options));
}

/**
 * simulateHardware for many weight masks of the same layers (fgmp/incremental.ts): the per-layer models and
 * uniform totals are built once, each report costs O(Σ block columns) from the FP8 counts per column.
 */
export class HardwareModel {
  private readonly linears: LinearEnergyModel[];
  private readonly uniform: UniformTotals;

  constructor(shapes: readonly LinearShape[], params: HwParams = DEFAULT_HW_PARAMS, options: HardwareOptions = {}) {
    this.linears = shapes.map((s) => new LinearEnergyModel(s, params, options));
    this.uniform = uniformTotals(shapes, options);
  }

  /** The report for FP8 weight blocks per block column, one array per layer in the shapes' order. */
  report(weightFp8PerColumn: readonly Float64Array[]): HardwareReport {
    if (weightFp8PerColumn.length !== this.linears.length)
      throw new Error(`${weightFp8PerColumn.length} column count arrays for ${this.linears.length} linear layers`);
    return aggregate(
      this.linears.map((m, i) => m.report(weightFp8PerColumn[i])),
      this.uniform,
    );
  }
}

/** The energy figures a run reports (fgmp run --json's `energy`): totals, groups, components, per layer. */
export function energySummary(hw: HardwareReport) {
  return {
    total: hw.total.total,
    vsFp8: hw.vsFp8,
    vsNvfp4: hw.vsNvfp4,
    datapath: hw.total.datapath,
    activationUnit: hw.total.activationUnit,
    weightMemory: hw.total.weightMemory,
    activationMemory: hw.total.activationMemory,
    components: Object.fromEntries(ENERGY_COMPONENTS.map((k) => [k, hw.total[k]])) as Record<EnergyComponent, number>,
    perLayer: hw.perLayer.map((l) => ({
      layer: l.layer,
      total: l.energy.total,
      vsFp8: l.energy.total / l.allFp8.total,
    })),
  };
}

// Parameter table of the simulated hardware (DESIGN.md §4). Every number carries its unit and source;
// `assumption: true` marks numbers we derived rather than read off a publication. Energies in pJ.
//
// Datapath: a 16-lane vector MAC computes one block dot product (16 products + reduction). Its energy
// per precision pair is scaled from Horowitz (ISSCC 2014, 45 nm: 8-bit integer multiply 0.2 pJ,
// 8-bit add 0.03 pJ) by the multiplier's partial-product count, i.e. the product of the operands'
// significand widths (hidden bit included: E4M3 → 4, E2M1 → 2), plus one add per lane:
//   E(a, b) = 16 · (0.2 pJ · (m_a · m_b) / 64 + 0.03 pJ)
// FP8×FP8: 16·(0.05 + 0.03) = 1.28 pJ; FP8×FP4 / FP4×FP8: 16·(0.025 + 0.03) = 0.88 pJ;
// FP4×FP4: 16·(0.0125 + 0.03) = 0.68 pJ. Absolute values are 45 nm; ratios are what the app reports.

export interface HwParam {
  readonly value: number;
  readonly unit: string;
  readonly source: string;
  /** True when the number is our derivation or choice rather than a published figure. */
  readonly assumption: boolean;
}

export const HW_PARAM_KEYS = [
  'dotW8A8',
  'dotW8A4',
  'dotW4A8',
  'dotW4A4',
  'activationUnitPerBlock',
  'weightBitEnergy',
  'activationBitEnergy',
] as const;
export type HwParamKey = (typeof HW_PARAM_KEYS)[number];
export type HwParams = { readonly [K in HwParamKey]: HwParam };

const HOROWITZ = 'M. Horowitz, "Computing\'s energy problem (and what we can do about it)", ISSCC 2014, 45 nm';
const FGMP = 'C. Hooper et al., "FGMP: Fine-Grained Mixed-Precision Weight and Activation Quantization for Hardware-Accelerated LLM Inference", arXiv 2504.14152 (2025)';

/** One lane's multiply energy for significand widths ma, mb: Horowitz 8-bit multiply scaled by partial products. */
function laneEnergy(ma: number, mb: number): number {
  return (0.2 * (ma * mb)) / 64 + 0.03;
}

export const DEFAULT_HW_PARAMS: HwParams = {
  dotW8A8: {
    value: 16 * laneEnergy(4, 4),
    unit: 'pJ per 16-lane block dot product',
    source: `${HOROWITZ}: 8-bit mult 0.2 pJ scaled by partial products (4×4 of 8×8) + 8-bit add 0.03 pJ per lane; FP8 E4M3 × FP8 E4M3`,
    assumption: true,
  },
  dotW8A4: {
    value: 16 * laneEnergy(4, 2),
    unit: 'pJ per 16-lane block dot product',
    source: `${HOROWITZ}: scaled by partial products (4×2 of 8×8) + add per lane; weight FP8 × activation FP4 (E2M1)`,
    assumption: true,
  },
  dotW4A8: {
    value: 16 * laneEnergy(2, 4),
    unit: 'pJ per 16-lane block dot product',
    source: `${HOROWITZ}: scaled by partial products (2×4 of 8×8) + add per lane; weight FP4 (E2M1) × activation FP8`,
    assumption: true,
  },
  dotW4A4: {
    value: 16 * laneEnergy(2, 2),
    unit: 'pJ per 16-lane block dot product',
    source: `${HOROWITZ}: scaled by partial products (2×2 of 8×8) + add per lane; FP4 × FP4`,
    assumption: true,
  },
  activationUnitPerBlock: {
    value: 16 * 0.0002,
    unit: 'pJ per activation block processed',
    source: `${FGMP}: mixed-precision activation quantization unit ≈ 0.20 fJ/op (< 1% of dot-product energy); assumption: one op per element, 16 per block`,
    assumption: true,
  },
  weightBitEnergy: {
    value: 20 / 64,
    unit: 'pJ per weight bit read',
    source: `${HOROWITZ}: 32 KB SRAM, 20 pJ per 64-bit access (on-chip weight buffer; use DRAM_BIT_ENERGY for off-chip weights)`,
    assumption: false,
  },
  activationBitEnergy: {
    value: 10 / 64,
    unit: 'pJ per activation bit moved',
    source: `${HOROWITZ}: 8 KB SRAM, 10 pJ per 64-bit access`,
    assumption: false,
  },
};

/** DRAM energy per bit, for a preset where weights stream from off-chip memory. */
export const DRAM_BIT_ENERGY: HwParam = {
  value: 1300 / 64,
  unit: 'pJ per bit',
  source: `${HOROWITZ}: DRAM 1.3–2.6 nJ per 64-bit access (lower end)`,
  assumption: false,
};

/** The table with user overrides applied (each overridden entry says so in its source). */
export function hwParams(overrides: Partial<Record<HwParamKey, number>> = {}, base: HwParams = DEFAULT_HW_PARAMS): HwParams {
  const out = { ...base } as Record<HwParamKey, HwParam>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!(HW_PARAM_KEYS as readonly string[]).includes(key)) throw new Error(`unknown hardware parameter "${key}" (${HW_PARAM_KEYS.join(', ')})`);
    if (value === undefined) continue;
    if (!(Number.isFinite(value) && value >= 0)) throw new Error(`hardware parameter ${key} must be a finite number >= 0, got ${value}`);
    const k = key as HwParamKey;
    out[k] = { ...base[k], value, source: `user override (default ${base[k].value} ${base[k].unit}: ${base[k].source})`, assumption: true };
  }
  return out;
}

// The hardware model on a model shape alone (no weights, no masks): FP8 shares of weight and activation
// blocks drawn independently, counted in expectation (every column holds share × rows FP8 weight blocks and
// share × tokens FP8 activation blocks). This is how the paper's operating point is checked on the
// Llama-2-7B shape, how the one fitted parameter is derived, and what the sensitivity table varies.
import { PROJECTIONS, projectionShape, type LlamaConfig } from '../model/types';
import { simulateHardware, type HardwareOptions, type HardwareReport, type LinearInput } from './energy';
import { DEFAULT_HW_PARAMS, HW_PARAM_KEYS, hwParams, type HwParamKey, type HwParams } from './params';

export interface OperatingPoint {
  /** FP8 share of weight blocks (the paper's headline: 0.3). */
  weightFp8Share: number;
  /** FP8 share of activation blocks (0.3). */
  activationFp8Share: number;
  /** Tokens in the pass. */
  tokens: number;
}

/** The paper's point: 70 % of weight and activation blocks NVFP4, a 4,096-token prefill (Llama-2's context). */
export const FGMP_OPERATING_POINT: OperatingPoint = { weightFp8Share: 0.3, activationFp8Share: 0.3, tokens: 4096 };
/** The paper's headline: 14 % less energy than all-FP8 at that point. */
export const FGMP_HEADLINE_VS_FP8 = 0.86;

/** One LinearInput per linear projection of every layer, at the point's shares. */
export function shapeInputs(config: LlamaConfig, point: OperatingPoint): LinearInput[] {
  const out: LinearInput[] = [];
  for (let layer = 0; layer < config.nLayers; layer++)
    for (const proj of PROJECTIONS) {
      const [rows, cols] = projectionShape(config, proj);
      out.push({
        layer,
        proj,
        rows,
        cols,
        tokens: point.tokens,
        weightFp8Share: point.weightFp8Share,
        activationFp8Share: point.activationFp8Share,
      });
    }
  return out;
}

export function simulateShape(
  config: LlamaConfig,
  point: OperatingPoint,
  params: HwParams = DEFAULT_HW_PARAMS,
  options: HardwareOptions = {},
): HardwareReport {
  return simulateHardware(shapeInputs(config, point), params, options);
}

/**
 * The value of one parameter that makes the point's energy `target` × all-FP8. Every component is linear in
 * its parameter, so vsFp8(v) = (a + b·v) / (c + d·v): two evaluations give a, b, c, d exactly.
 */
export function fitParameter(
  key: HwParamKey,
  target: number,
  config: LlamaConfig,
  point: OperatingPoint,
  base: HwParams = DEFAULT_HW_PARAMS,
  options: HardwareOptions = {},
): number {
  const at = (v: number) => simulateShape(config, point, hwParams({ [key]: v }, base), options);
  const r0 = at(0);
  const r1 = at(1);
  const a = r0.total.total;
  const b = r1.total.total - a;
  const c = r0.allFp8.total;
  const d = r1.allFp8.total - c;
  const v = (target * c - a) / (b - target * d);
  if (!(Number.isFinite(v) && v >= 0))
    throw new Error(`no non-negative ${key} gives ${target} of all-FP8 at this point`);
  return v;
}

export interface SensitivityRow {
  key: HwParamKey;
  /** vsFp8 with the parameter at half and at twice its value (the rest unchanged). */
  half: number;
  double: number;
}

/** How the point's energy vs all-FP8 moves when each parameter is halved or doubled. */
export function sensitivity(
  config: LlamaConfig,
  point: OperatingPoint,
  base: HwParams = DEFAULT_HW_PARAMS,
  options: HardwareOptions = {},
): SensitivityRow[] {
  return HW_PARAM_KEYS.map((key) => {
    const v = base[key].value;
    const vs = (f: number) => simulateShape(config, point, hwParams({ [key]: v * f }, base), options).vsFp8;
    return { key, half: vs(0.5), double: vs(2) };
  });
}

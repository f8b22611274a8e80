// One entry point over every quantizer, by id: what the CLI `fgmp quantize` and the UI call.
//   nvfp4                        16 E2M1 + E4M3 block scale + FP32 tensor scale
//   mxfp4 mxfp6e2m3 mxfp6e3m2 mxfp8e4m3 mxfp8e5m2 mxint8   32 elements + E8M0 scale
//   int8 int4 nf4 e4m3 e5m2 e2m3 e3m2 e2m1                 absmax scale, per tensor or per --block group
//   uint8 uint4                  zero point, per tensor or per group
//   fp32 tf32 bf16 fp16 e8m0     no scale (plain rounding)
// Clipping: mse = independent clip-ratio search per block (per tensor when there is one scale);
// mse-sweep (NVFP4 only) = every positive finite E4M3 block scale per block (clipsearch.ts), reported
// as the ratio of the chosen scale to the amax-derived one;
// kl / percentile = one tensor-level threshold, applied to each block as min(1, T / block amax).
import { quantizeNvfp4, nvfp4TensorScale, NAN_CODE, NVFP4_BLOCK } from './nvfp4.ts';
import { MX_BLOCK, MX_FORMATS, quantizeMx, type MxElement } from './mx.ts';
import { quantizeGrouped } from './grouped.ts';
import { findScalarFormat, SCALAR_FORMATS, type ScalarFormat } from './scalar.ts';
import { blockLayout, blockRange, finiteAbsMax, type BlockLayout } from './layout.ts';
import { nvfp4ClipSearch } from './fastquant.ts';
import { errorMetrics, type ErrorMetrics } from './metrics.ts';
import {
  blockClipSearch,
  klThreshold,
  percentileThreshold,
  ratiosForThreshold,
  type ClipMethod,
} from '../calib/index.ts';

export type SchemeKind = 'nvfp4' | 'mx' | 'scaled' | 'zeropoint' | 'plain';

export interface SchemeInfo {
  id: string;
  kind: SchemeKind;
  /** Default block size; undefined = the whole tensor shares one scale (or there is none). */
  defaultBlock?: number;
  description: string;
}

const UNSCALED = new Set(['fp32', 'tf32', 'bf16', 'fp16', 'e8m0']);

export const SCHEMES: readonly SchemeInfo[] = [
  {
    id: 'nvfp4',
    kind: 'nvfp4',
    defaultBlock: NVFP4_BLOCK,
    description: 'NVFP4: 16 E2M1 + E4M3 block scale + FP32 tensor scale',
  },
  ...Object.entries(MX_FORMATS).map(([id, el]) => ({
    id,
    kind: 'mx' as const,
    defaultBlock: MX_BLOCK,
    description: `OCP MX: 32 ${el.toUpperCase()} elements + E8M0 scale`,
  })),
  ...SCALAR_FORMATS.map((f) => ({
    id: f.id,
    kind: (UNSCALED.has(f.id) ? 'plain' : f.kind === 'int' && !f.signed ? 'zeropoint' : 'scaled') as SchemeKind,
    defaultBlock: f.id === 'nf4' ? 64 : undefined,
    description: UNSCALED.has(f.id)
      ? `${f.name}, no scale`
      : f.kind === 'int' && !f.signed
        ? `${f.name}, scale and zero point`
        : `${f.name}, absmax scale`,
  })),
];

export function schemeIds(): string[] {
  return SCHEMES.map((s) => s.id);
}

export function findScheme(id: string): SchemeInfo | undefined {
  return SCHEMES.find((s) => s.id === id);
}

export interface SchemeOptions {
  /** Block / group size (elements); default per scheme. */
  block?: number;
  rowLength?: number;
  clip?: ClipMethod;
  /**
   * Scalar formats: 'absmax' (default for scaled formats) maps each group's absmax to the format's largest
   * value; 'none' is an unscaled cast into the format (what `x.to(torch.float8_e4m3fn)` does); a number is
   * one given scale for the whole tensor (x / scale is cast, then multiplied back). Block formats own their
   * scales and refuse it.
   */
  scale?: 'absmax' | 'none' | number;
}

export interface SchemeResult {
  format: string;
  /** Block size used (the tensor length when one scale covers everything). */
  block: number;
  values: Float32Array;
  /** Code per element; null where the element format has no code (NaN in FP4/FP6/INT/NF4). */
  codes: (number | null)[];
  /** Effective scale per block (what a code is multiplied by); empty for unscaled formats. */
  scales: number[];
  /** NVFP4 only: FP32 tensor scale and decoded E4M3 block scales. */
  tensorScale?: number;
  blockScales?: number[];
  /** Zero-point formats only. */
  zeroPoints?: number[];
  /** Clip ratio per block when clipping was applied. */
  clip?: number[];
  metrics: ErrorMetrics;
  /** Element format, for displaying codes. */
  elementFormat?: ScalarFormat;
}

/** KL target levels: magnitude codes of the element grid (INT8 128, INT4 8, FP8 128, FP6 32, FP4 8, NF4 8). */
function klLevels(scheme: SchemeInfo): number {
  const el = scheme.kind === 'nvfp4' ? 'e2m1' : scheme.kind === 'mx' ? MX_FORMATS[scheme.id] : scheme.id;
  if (el === 'int8' || el === 'uint8') return 128;
  const f = findScalarFormat(el)!;
  if (f.kind === 'int') return f.signed ? f.maxFinite + 1 : 2 ** (f.bits - 1);
  return 2 ** (f.bits - 1);
}

export function quantizeScheme(x: Float32Array, id: string, options: SchemeOptions = {}): SchemeResult {
  const scheme = findScheme(id);
  if (!scheme) throw new RangeError(`unknown format "${id}" (known: ${schemeIds().join(', ')})`);
  const block = options.block;
  if (block !== undefined && (!Number.isInteger(block) || block < 1))
    throw new RangeError(`block must be a positive integer, got ${block}`);
  const clipMethod = options.clip ?? { kind: 'none' };
  if (options.scale !== undefined && options.scale !== 'absmax' && (scheme.kind === 'nvfp4' || scheme.kind === 'mx'))
    throw new RangeError(`${id} is a block format with its own scales; --scale applies to scalar formats`);
  if (scheme.kind === 'plain') {
    if (block !== undefined) throw new RangeError(`${id} has no scale, so a block size does not apply`);
    if (clipMethod.kind !== 'none') throw new RangeError(`${id} has no scale, so clipping does not apply`);
  }
  const n = x.length;
  const rowLength = options.rowLength ?? n;
  const blockSize = block ?? scheme.defaultBlock ?? Math.max(1, rowLength);
  const layout: BlockLayout = blockLayout(n, blockSize, rowLength);

  // run(clip) -> the scheme's full result for per-block clip ratios (undefined = no clipping)
  let run: (clip?: Float32Array) => Omit<SchemeResult, 'metrics' | 'format' | 'block'>;
  if (scheme.kind === 'nvfp4') {
    // Fixed from the unclipped amax, so clipping only moves block scales.
    const ts = nvfp4TensorScale(finiteAbsMax(x));
    run = (clip) => {
      const r = quantizeNvfp4(x, { blockSize, rowLength, tensorScale: ts, clip });
      return {
        values: r.values,
        codes: Array.from(r.codes, (c) => (c === NAN_CODE ? null : c)),
        scales: Array.from(r.scales),
        tensorScale: r.tensorScale,
        blockScales: Array.from(r.blockScales),
        elementFormat: findScalarFormat('e2m1'),
      };
    };
  } else if (scheme.kind === 'mx') {
    const el = MX_FORMATS[id] as MxElement;
    const elFmt = el === 'int8' ? undefined : findScalarFormat(el)!;
    run = (clip) => {
      const r = quantizeMx(x, el, { blockSize, rowLength, clip });
      const codes = Array.from(r.codes, (c, i) => {
        if (r.values[i] === r.values[i]) return c;
        return elFmt && elFmt.hasNaN ? c : null;
      });
      return { values: r.values, codes, scales: Array.from(r.scales), elementFormat: elFmt };
    };
  } else if (typeof options.scale === 'number' || options.scale === 'none') {
    const fmt = findScalarFormat(id)!;
    const given = options.scale === 'none' ? 1 : options.scale;
    if (!(Number.isFinite(given) && given > 0)) throw new RangeError(`scale must be a finite number > 0, got ${given}`);
    if (block !== undefined)
      throw new RangeError('a given scale covers the whole tensor, so a block size does not apply');
    if (clipMethod.kind !== 'none') throw new RangeError('a given scale is used as it is, so clipping does not apply');
    run = () => {
      const scaled = given === 1 ? x : x.map((v) => v / given);
      const r = quantizeGrouped(scaled, fmt, { granularity: 'group', groupSize: n, rowLength: n, scaling: 'none' });
      const values = given === 1 ? r.values : r.values.map((v) => v * given);
      return { values, codes: Array.from(r.codes, (c) => (c === c ? c : null)), scales: [given], elementFormat: fmt };
    };
  } else {
    const fmt = findScalarFormat(id)!;
    const scaling = scheme.kind === 'plain' ? 'none' : scheme.kind === 'zeropoint' ? 'zeropoint' : 'absmax';
    run = (clip) => {
      const r = quantizeGrouped(x, fmt, { granularity: 'group', groupSize: blockSize, rowLength, scaling, clip });
      return {
        values: r.values,
        codes: Array.from(r.codes, (c) => (c === c ? c : null)),
        scales: Array.from(r.scales),
        zeroPoints: r.zeroPoints ? Array.from(r.zeroPoints) : undefined,
        elementFormat: fmt,
      };
    };
  }

  let clip: Float32Array | undefined;
  if (clipMethod.kind === 'mse-sweep') {
    if (scheme.kind !== 'nvfp4' || blockSize !== NVFP4_BLOCK)
      throw new RangeError(`mse-sweep searches E4M3 block scales: it applies to nvfp4 (block 16), not ${id}`);
    const ts = nvfp4TensorScale(finiteAbsMax(x));
    const found = nvfp4ClipSearch(x, rowLength, ts, { grid: [1], fisherObjective: false, sweep: true });
    const r = quantizeNvfp4(x, { rowLength, tensorScale: ts, scaleCodes: found.scaleCodes });
    const ratios = new Float32Array(layout.blocks);
    for (let b = 0; b < layout.blocks; b++) {
      const [s0, s1] = blockRange(layout, b);
      const amax = finiteAbsMax(x, s0, s1);
      ratios[b] = amax > 0 ? (r.blockScales[b] * ts * 6) / amax : 1;
    }
    return {
      format: id,
      block: blockSize,
      values: r.values,
      codes: Array.from(r.codes, (c) => (c === NAN_CODE ? null : c)),
      scales: Array.from(r.scales),
      tensorScale: r.tensorScale,
      blockScales: Array.from(r.blockScales),
      elementFormat: findScalarFormat('e2m1'),
      clip: Array.from(ratios),
      metrics: errorMetrics(x, r.values),
    };
  }
  if (clipMethod.kind === 'mse') {
    clip = blockClipSearch(x, layout, (c) => run(c).values).clip;
  } else if (clipMethod.kind === 'kl') {
    clip = ratiosForThreshold(x, layout, klThreshold(x, { levels: Math.min(2048, klLevels(scheme)) }).threshold);
  } else if (clipMethod.kind === 'percentile') {
    clip = ratiosForThreshold(x, layout, percentileThreshold(x, clipMethod.p));
  }
  const r = run(clip);
  return {
    format: id,
    block: scheme.kind === 'plain' ? n : blockSize,
    ...r,
    clip: clip ? Array.from(clip) : undefined,
    metrics: errorMetrics(x, r.values),
  };
}

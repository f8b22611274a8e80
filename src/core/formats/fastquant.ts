// Memory-speed entry points of the weight quantizers: the SIMD kernels (wasm/kernels.ts) where they
// apply and load, the TS quantizers otherwise. Same options and results as quantizeNvfp4 /
// quantizeE4M3 / quantizeMx, bit for bit (kernels.test.ts). The TS functions stay the oracle.
import { quantizeNvfp4, nvfp4TensorScale, type Nvfp4Options, type Nvfp4Result } from './nvfp4.ts';
import { quantizeFp8, fp8Scales, type Fp8Options, type Fp8Result } from './fp8.ts';
import { quantizeMx, type MxElement, type MxOptions, type MxResult } from './mx.ts';
import { blockLayout, finiteAbsMax } from './layout.ts';
import { E4M3_TABLE } from './fast.ts';
import { nvfp4ClipSearchReference, type ClipSearchOptions } from './clipsearch.ts';
import { weightKernels } from './wasm/kernels.ts';

/** Which implementation ran (for benches and the UI's engine line). */
export function weightKernelEngine(): 'wasm-simd' | 'ts' {
  return weightKernels() ? 'wasm-simd' : 'ts';
}

/** finiteAbsMax of a whole array, through the kernel when it loads. */
export function finiteAbsMaxFast(x: Float32Array): number {
  const k = weightKernels();
  return k ? k.absMax(x) : finiteAbsMax(x);
}

/**
 * Kernel-only option: `codes: false` leaves the element codes out (result codes empty): a caller that
 * keeps only the values saves allocating and copying one byte per element.
 */
export interface CodesOption {
  codes?: boolean;
}

/** quantizeNvfp4 through the kernel for 16-element blocks and one tensor scale (else the TS path). */
export function quantizeNvfp4Fast(x: Float32Array, options: Nvfp4Options & CodesOption = {}): Nvfp4Result {
  const k = weightKernels();
  const blockSize = options.blockSize ?? 16;
  const ts = options.tensorScale;
  if (!k || blockSize !== 16 || (ts !== undefined && typeof ts !== 'number') || options.perRowTensorScale)
    return quantizeNvfp4(x, options);
  const layout = blockLayout(x.length, 16, options.rowLength);
  if (options.clip && options.clip.length !== layout.blocks)
    throw new RangeError(`clip has ${options.clip.length} ratios, expected one per block (${layout.blocks})`);
  if (ts !== undefined && (!(ts > 0) || !Number.isFinite(ts)))
    throw new RangeError(`tensorScale must be a positive finite number, got ${ts}`);
  const amax = ts === undefined ? k.absMax(x) : undefined;
  const tensorScale = amax !== undefined ? nvfp4TensorScale(amax) : Math.fround(ts!);
  const values = options.out ?? new Float32Array(x.length);
  if (values.length !== x.length) throw new RangeError(`out has length ${values.length}, expected ${x.length}`);
  const out = {
    values,
    codes: new Uint8Array(options.codes === false ? 0 : x.length),
    scaleCodes: new Uint8Array(layout.blocks),
    scales: new Float32Array(layout.blocks),
  };
  if (layout.rows > 0) k.nvfp4(x, layout.rowLength, tensorScale, out, options.clip, undefined, amax);
  return {
    ...out,
    blockScales: blockScalesOf(out.scaleCodes),
    tensorScales: Float32Array.of(tensorScale),
    tensorScale,
    layout,
  };
}

function blockScalesOf(codes: Uint8Array): Float32Array {
  const t = E4M3_TABLE;
  const b = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) b[i] = t[codes[i]];
  return b;
}

/** quantizeFp8 (E4M3) through the kernel; E5M2 takes the TS path. */
export function quantizeFp8Fast(
  x: Float32Array,
  kind: 'e4m3' | 'e5m2' = 'e4m3',
  options: Fp8Options & CodesOption = {},
): Fp8Result {
  const k = weightKernels();
  if (!k || kind !== 'e4m3') return quantizeFp8(x, kind, options);
  const layout = blockLayout(x.length, Math.max(1, options.rowLength ?? x.length), options.rowLength);
  const { rows, rowLength } = layout;
  const scales = fp8Scales(x, kind, options, rows, rowLength, (v) => k.absMax(v));
  for (const s of scales)
    if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`FP8 scales must be positive finite, got ${s}`);
  const values = options.out ?? new Float32Array(x.length);
  if (values.length !== x.length) throw new RangeError(`out has length ${values.length}, expected ${x.length}`);
  const codes = new Uint8Array(options.codes === false ? 0 : x.length);
  if (rows > 0) k.fp8(x, rowLength, scales.length > 1 ? scales : Float32Array.of(scales[0]), values, codes);
  return { values, codes, scales };
}

export function quantizeE4M3Fast(x: Float32Array, options: Fp8Options & CodesOption = {}): Fp8Result {
  return quantizeFp8Fast(x, 'e4m3', options);
}

/** quantizeMx through the kernel for MXFP4 (E2M1, blocks of 32); other elements take the TS path. */
export function quantizeMxFast(x: Float32Array, element: MxElement, options: MxOptions = {}): MxResult {
  const k = weightKernels();
  if (!k || element !== 'e2m1' || (options.blockSize ?? 32) !== 32) return quantizeMx(x, element, options);
  const layout = blockLayout(x.length, 32, options.rowLength);
  if (options.clip && options.clip.length !== layout.blocks)
    throw new RangeError(`clip has ${options.clip.length} ratios, expected one per block (${layout.blocks})`);
  const values = options.out ?? new Float32Array(x.length);
  if (values.length !== x.length) throw new RangeError(`out has length ${values.length}, expected ${x.length}`);
  const out = {
    values,
    codes: new Uint8Array(x.length),
    scaleCodes: new Uint8Array(layout.blocks),
    scales: new Float32Array(layout.blocks),
  };
  if (layout.rows > 0) k.mxfp4(x, layout.rowLength, out, options.clip);
  return { ...out, layout };
}

export interface ClipSearchQuantized {
  /** NVFP4 values with the chosen block scales. */
  values: Float32Array;
  codes: Uint8Array;
  scaleCodes: Uint8Array;
  /** Effective scale per block. */
  scales: Float32Array;
  /** Grid index of each block's choice (255: chosen by the sweep). */
  gridIndex: Uint8Array;
  /** Σ over blocks of each grid ratio's errors (plain, Fisher). */
  curveMse: Float64Array;
  curveFisher: Float64Array;
}

/**
 * The NVFP4 clip search (clipsearch.ts) and the quantization at the chosen scales. options.amax, when
 * given, must be the finite absolute maximum of x (finiteAbsMax): it bounds the kernel's code table.
 */
export function nvfp4ClipSearch(
  x: Float32Array,
  rowLength: number,
  tensorScale: number,
  options: ClipSearchOptions & CodesOption & { fisher?: Float32Array; amax?: number },
  out?: Float32Array,
): ClipSearchQuantized {
  const layout = blockLayout(x.length, 16, rowLength);
  if (options.fisher && options.fisher.length !== x.length)
    throw new RangeError(`Fisher has ${options.fisher.length} values, expected ${x.length}`);
  const values = out ?? new Float32Array(x.length);
  const k = weightKernels();
  tensorScale = Math.fround(tensorScale);
  const grid = Float32Array.from(options.grid);
  if (k && grid.length <= 64) {
    const o = {
      values,
      codes: new Uint8Array(options.codes === false ? 0 : x.length),
      scaleCodes: new Uint8Array(layout.blocks),
      scales: new Float32Array(layout.blocks),
      gridIndex: new Uint8Array(layout.blocks),
    };
    const c =
      layout.rows > 0
        ? k.nvfp4Search(x, rowLength, tensorScale, { ...options, grid }, o)
        : { curveMse: new Float64Array(grid.length), curveFisher: new Float64Array(grid.length) };
    return { ...o, ...c };
  }
  const r = nvfp4ClipSearchReference(x, rowLength, tensorScale, options);
  const q = quantizeNvfp4(x, { rowLength, tensorScale, out: values, scaleCodes: r.scaleCodes });
  return {
    values,
    codes: q.codes,
    scaleCodes: r.scaleCodes,
    scales: q.scales,
    gridIndex: r.gridIndex,
    curveMse: r.curveMse,
    curveFisher: r.curveFisher,
  };
}

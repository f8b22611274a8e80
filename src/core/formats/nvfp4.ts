// NVFP4 fake quantization (DESIGN.md §2): 16 E2M1 elements share an E4M3 block scale, and one
// FP32 tensor scale lifts block scales into the E4M3 range.
//   tensorScale = amax / (6 · 448)                     (or given explicitly, e.g. per token)
//   blockScale  = round_E4M3(alpha · blockAmax / 6 / tensorScale)   (alpha = clip ratio, default 1)
//   code_i      = round_E2M1(x_i / (blockScale · tensorScale))      (saturates at ±6)
//   value_i     = fround(E2M1(code_i) · fround(blockScale · tensorScale))
// Blocks run along rows; a row whose length is not a multiple of the block size ends in a shorter
// block scaled by its own values. amax ignores NaN and ±Inf (they would poison every scale);
// a NaN element dequantizes to NaN (code 0xFF: E2M1 has no NaN), ±Inf saturates to ±6·scale.
import { E4M3_TABLE, encodeE4M3Fast, float32Bits, quantizeE2M1Span } from './fast.ts';
import { blockLayout, finiteAbsMax, type BlockLayout } from './layout.ts';

export const NVFP4_BLOCK = 16;
export const E2M1_MAX = 6;
export const E4M3_MAX = 448;
/** Code written for a NaN element in a format without a NaN encoding. */
export const NAN_CODE = 0xff;

export interface Nvfp4Options {
  /** Elements per block (default 16). */
  blockSize?: number;
  /** Length of one row; blocks never cross rows. Default: the whole array is one row. */
  rowLength?: number;
  /** FP32 tensor scale: one number for the whole array, or one per row (e.g. per-token
   *  activation scales). Default: amax(x) / (6·448) over the whole array. */
  tensorScale?: number | Float32Array;
  /** Compute the default tensor scale per row instead of per tensor (ignored if tensorScale given). */
  perRowTensorScale?: boolean;
  /** Clip ratio per block (alpha in (0, 1]): the block scale uses alpha · block amax. */
  clip?: ArrayLike<number>;
  /** Output array for the dequantized values (length of x); allocated when absent. */
  out?: Float32Array;
  /** Block-scale codes chosen elsewhere (a clip search), one per block; replaces amax and clip. */
  scaleCodes?: Uint8Array;
}

export interface Nvfp4Result {
  /** Dequantized values, float32. */
  values: Float32Array;
  /** E2M1 element codes (sign in bit 3); NAN_CODE for NaN inputs. */
  codes: Uint8Array;
  /** E4M3 block scale codes. */
  scaleCodes: Uint8Array;
  /** Decoded E4M3 block scales (not multiplied by the tensor scale). */
  blockScales: Float32Array;
  /** Effective scale per block: fround(blockScale · tensorScale of its row). */
  scales: Float32Array;
  /** Tensor scales: length 1 (per tensor) or one per row. */
  tensorScales: Float32Array;
  /** tensorScales[0], for the common per-tensor case. */
  tensorScale: number;
  layout: BlockLayout;
}

/** Default NVFP4 tensor scale amax / (6·448) in float32; 1 when amax is 0 (all-zero tensor). */
export function nvfp4TensorScale(amax: number): number {
  if (!(amax > 0) || !Number.isFinite(amax)) return 1;
  const s = Math.fround(amax / (E2M1_MAX * E4M3_MAX));
  // amax below ~2688·2^-149 underflows float32; the smallest positive float32 still works.
  return s > 0 ? s : 1.401298464324817e-45;
}

export function quantizeNvfp4(x: Float32Array, options: Nvfp4Options = {}): Nvfp4Result {
  const blockSize = options.blockSize ?? NVFP4_BLOCK;
  const layout = blockLayout(x.length, blockSize, options.rowLength);
  const { rows, rowLength, blocksPerRow } = layout;
  const nBlocks = layout.blocks;
  if (options.clip && options.clip.length !== nBlocks)
    throw new RangeError(`clip has ${options.clip.length} ratios, expected one per block (${nBlocks})`);

  let tensorScales: Float32Array;
  const ts = options.tensorScale;
  if (typeof ts === 'number') {
    if (!(ts > 0) || !Number.isFinite(ts))
      throw new RangeError(`tensorScale must be a positive finite number, got ${ts}`);
    tensorScales = Float32Array.of(ts);
  } else if (ts) {
    if (ts.length !== rows && ts.length !== 1)
      throw new RangeError(`tensorScale has ${ts.length} entries, expected 1 or one per row (${rows})`);
    for (const s of ts)
      if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`tensor scales must be positive finite, got ${s}`);
    tensorScales = Float32Array.from(ts);
  } else if (options.perRowTensorScale) {
    tensorScales = new Float32Array(rows);
    for (let r = 0; r < rows; r++)
      tensorScales[r] = nvfp4TensorScale(finiteAbsMax(x, r * rowLength, (r + 1) * rowLength));
  } else {
    tensorScales = Float32Array.of(nvfp4TensorScale(finiteAbsMax(x, 0, x.length)));
  }
  const perRow = tensorScales.length > 1;

  const values = options.out ?? new Float32Array(x.length);
  if (values.length !== x.length) throw new RangeError(`out has length ${values.length}, expected ${x.length}`);
  const codes = new Uint8Array(x.length);
  const scaleCodes = new Uint8Array(nBlocks);
  const blockScales = new Float32Array(nBlocks);
  const scales = new Float32Array(nBlocks);
  const clip = options.clip;
  const givenCodes = options.scaleCodes;
  if (givenCodes && givenCodes.length !== nBlocks)
    throw new RangeError(`scaleCodes has ${givenCodes.length} entries, expected one per block (${nBlocks})`);
  // Local aliases: under tsx (Node) imported bindings are getter loads, too slow in hot loops.
  const quantizeSpan = quantizeE2M1Span;
  const encE4M3 = encodeE4M3Fast;
  const e4m3Values = E4M3_TABLE;
  const bits = float32Bits(x);

  for (let r = 0; r < rows; r++) {
    const tScale = perRow ? tensorScales[r] : tensorScales[0];
    const rowStart = r * rowLength;
    for (let bj = 0; bj < blocksPerRow; bj++) {
      const b = r * blocksPerRow + bj;
      const start = rowStart + bj * blockSize;
      const end = Math.min(start + blockSize, rowStart + rowLength);
      let amax = 0;
      for (let i = start; i < end; i++) {
        const a = Math.abs(x[i]);
        if (a > amax && a !== Infinity) amax = a;
      }
      const alpha = clip ? clip[b] : 1;
      const sCode = givenCodes ? givenCodes[b] : encE4M3((alpha * amax) / E2M1_MAX / tScale);
      const bScale = e4m3Values[sCode];
      const scale = Math.fround(bScale * tScale);
      scaleCodes[b] = sCode;
      blockScales[b] = bScale;
      scales[b] = scale;
      if (scale === 0) {
        // The block scale underflowed E4M3: every finite element is zero (NaN stays NaN).
        for (let i = start; i < end; i++) {
          const v = x[i];
          if (v !== v) {
            codes[i] = NAN_CODE;
            values[i] = NaN;
          } else {
            const c = v < 0 || (v === 0 && 1 / v < 0) ? 8 : 0;
            codes[i] = c;
            values[i] = c ? -0 : 0;
          }
        }
        continue;
      }
      quantizeSpan(x, bits, start, end, scale, codes, values);
    }
  }
  return { values, codes, scaleCodes, blockScales, scales, tensorScales, tensorScale: tensorScales[0], layout };
}

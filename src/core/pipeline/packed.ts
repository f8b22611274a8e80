// Quantized weights kept small (issue 16: a stories110M-shaped model in a browser tab). prepareWeights gives
// both fake-quantized versions of every tensor as float32 (two copies of the weights); held for a session,
// they doubled the worker's memory. Here each tensor keeps
//  - Q_lo as what NVFP4 stores: a 4-bit E2M1 code per element and an E4M3 block-scale code per block
//    (value = fround(E2M1(code) · fround(E4M3(scale code) · tensor scale)), DESIGN.md §2), about 1/7 of
//    the float32 copy. Packing checks every block against its values, so unpacking gives them bit for bit;
//    a block no code pair expresses (a NaN weight) is kept as it is;
//  - Q_hi not at all: it is FP8 of the weight at the tensor's stored FP8 scale(s), recomputed when asked for
//    by the same quantizer (quantizeE4M3Fast), so it equals prepareWeights' Q_hi bit for bit;
//  - everything else prepareWeights gives (clip ratios, scales, curves), as it is.
// Both versions come back tensor by tensor, into reused buffers where the caller only reads them (scores,
// mixing), so at most one tensor's float32 versions exist beside the model at a time.
import { E2M1_TABLE, E4M3_TABLE, quantizeE4M3Fast } from '../formats/index.ts';
import {
  blockGrid,
  mixTensor,
  prepareWeights,
  rankGlobally,
  rankPerTensor,
  scoreTensors,
  BLOCK_SIZE,
  type BlockRanking,
  type PolicyKind,
  type PreparedTensor,
  type PrepareOptions,
  type QuantizedWeight,
  type ScoreOptions,
  type ScoredTensor,
} from '../fgmp/index.ts';
import { release } from '../memory.ts';
import { PROJECTIONS, type LlamaConfig, type LlamaWeights } from '../model/types.ts';

/** NVFP4 values of one tensor as element and block-scale codes (see the header). */
export interface PackedNvfp4 {
  rows: number;
  cols: number;
  /** E4M3 code of each block's scale (row-major blocks). */
  scaleCodes: Uint8Array;
  /** E2M1 codes (sign in bit 3), two per byte: element i in the low nibble when i is even. */
  codes: Uint8Array;
  /** fround(E4M3(c) · tensor scale) for c = 0..126 (the positive codes, ascending). */
  scales: Float64Array;
  /** Blocks kept as float32 values (no code pair expresses them), by block id. */
  raw: Map<number, Float32Array>;
}

const E2M1_MAGNITUDES = [6, 4, 3, 2, 1.5, 1, 0.5] as const;

/** Index of the E2M1 magnitude nearest r ≥ 0 (0, 0.5, 1, 1.5, 2, 3, 4, 6). */
function nearestE2M1(r: number): number {
  if (r < 1.25) return r < 0.25 ? 0 : r < 0.75 ? 1 : 2;
  if (r < 2.5) return r < 1.75 ? 3 : 4;
  return r < 3.5 ? 5 : r < 5 ? 6 : 7;
}

/** The largest c in 1..126 with scales[c] <= x (1 when none). */
function scaleBelow(scales: Float64Array, x: number): number {
  let lo = 1;
  let hi = 126;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (scales[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Codes for values[start, end) at scale s, into `out` (one code per element); false when some value is not
 * fround(E2M1(code) · s) for any code (the sign is the value's, -0 included).
 */
function codeBlock(values: Float32Array, start: number, end: number, s: number, out: Uint8Array): boolean {
  for (let i = start; i < end; i++) {
    const v = values[i];
    const a = Math.abs(v);
    const k = s > 0 ? nearestE2M1(a / s) : 0;
    if (Math.fround(E2M1_TABLE[k] * s) !== a) return false;
    out[i - start] = v < 0 || (v === 0 && 1 / v < 0) ? k | 8 : k;
  }
  return true;
}

/**
 * Packs NVFP4 fake-quantized values [rows, cols] (blocks of 16 along rows) made with `tensorScale`. Each block
 * takes the first scale code (trying the block's largest magnitude as 6, 4, 3, … times a scale) under which
 * every value has a code; unpackNvfp4 gives `values` back bit for bit.
 */
export function packNvfp4(values: Float32Array, rows: number, cols: number, tensorScale: number): PackedNvfp4 {
  const grid = blockGrid(rows, cols);
  if (values.length !== rows * cols) throw new Error(`Q_lo has ${values.length} values, expected ${rows * cols}`);
  const scales = new Float64Array(127);
  for (let c = 0; c < 127; c++) scales[c] = Math.fround(E4M3_TABLE[c] * tensorScale);
  const scaleCodes = new Uint8Array(grid.blockCount);
  const codes = new Uint8Array(Math.ceil(values.length / 2));
  const raw = new Map<number, Float32Array>();
  const block = new Uint8Array(BLOCK_SIZE);
  let b = 0;
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < grid.blocksPerRow; j++, b++) {
      const start = r * cols + j * BLOCK_SIZE;
      const end = Math.min(start + BLOCK_SIZE, (r + 1) * cols);
      let m = 0;
      let nan = false;
      for (let i = start; i < end; i++) {
        const a = Math.abs(values[i]);
        if (a > m) m = a;
        else if (a !== a) nan = true;
      }
      let code = -1;
      if (nan) code = -1;
      else if (m === 0) code = codeBlock(values, start, end, 0, block) ? 0 : -1;
      else if (Number.isFinite(m))
        search: for (const q of E2M1_MAGNITUDES) {
          const c0 = scaleBelow(scales, m / q);
          for (let c = Math.max(1, c0 - 1); c <= Math.min(126, c0 + 1); c++)
            if (Math.fround(q * scales[c]) === m && codeBlock(values, start, end, scales[c], block)) {
              code = c;
              break search;
            }
        }
      if (code < 0) {
        raw.set(b, values.slice(start, end));
        continue;
      }
      scaleCodes[b] = code;
      for (let i = start; i < end; i++) codes[i >> 1] |= block[i - start] << ((i & 1) << 2);
    }
  return { rows, cols, scaleCodes, codes, scales, raw };
}

/** The values packNvfp4 packed, into `out` (allocated when absent). */
export function unpackNvfp4(p: PackedNvfp4, out: Float32Array = new Float32Array(p.rows * p.cols)): Float32Array {
  const { rows, cols, scaleCodes, codes, scales, raw } = p;
  if (out.length < rows * cols) throw new Error(`output holds ${out.length} values, expected ${rows * cols}`);
  const blocksPerRow = Math.ceil(cols / BLOCK_SIZE);
  const e2m1 = E2M1_TABLE;
  let b = 0;
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < blocksPerRow; j++, b++) {
      const start = r * cols + j * BLOCK_SIZE;
      const end = Math.min(start + BLOCK_SIZE, (r + 1) * cols);
      const kept = raw.size ? raw.get(b) : undefined;
      if (kept) {
        out.set(kept, start);
        continue;
      }
      const s = scales[scaleCodes[b]];
      // The float32 store rounds the product once: fround(E2M1(code) · s), the quantizer's value.
      for (let i = start; i < end; i++) out[i] = e2m1[(codes[i >> 1] >> ((i & 1) << 2)) & 15] * s;
    }
  return out;
}

/** A prepared tensor without its float32 versions: Q_lo packed, Q_hi recomputed (see the header). */
export interface CompactTensor {
  layer: PreparedTensor['layer'];
  proj: PreparedTensor['proj'];
  rows: number;
  cols: number;
  weight: Float32Array;
  quant: Omit<QuantizedWeight, 'qLo' | 'qHi'>;
  lo: PackedNvfp4;
}

/** prepareWeights' result, held compact (see the header); its tensors come back one at a time. */
export class CompactWeights {
  private scratch: { lo: Float32Array; hi: Float32Array } | null = null;

  private constructor(
    readonly tensors: readonly CompactTensor[],
    /** Each tensor's Fisher, asked for when read (not held: the worker may keep the Fisher in storage, spill.ts). */
    private readonly fisherOf: PrepareOptions['fisher'],
  ) {}

  /** The Fisher tensor i was prepared with (as options.fisher gives it). */
  fisher(i: number): Float32Array | undefined {
    const t = this.tensors[i];
    return this.fisherOf?.(t.layer, t.proj);
  }

  /** prepareWeights(config, weights, options), one layer at a time, each tensor packed as soon as quantized. */
  static prepare(config: LlamaConfig, weights: LlamaWeights, options: PrepareOptions = {}): CompactWeights {
    const layers = options.layers ?? Array.from({ length: config.nLayers }, (_, l) => l);
    const total = layers.length * PROJECTIONS.length;
    const tensors: CompactTensor[] = [];
    for (const layer of layers) {
      const done = tensors.length;
      for (const t of prepareWeights(config, weights, {
        ...options,
        layers: [layer],
        onProgress: options.onProgress && ((d) => options.onProgress!(done + d, total)),
      }))
        tensors.push(compact(t));
    }
    return new CompactWeights(tensors, options.fisher);
  }

  /** Q_lo of tensor i, into `out` (allocated when absent). */
  lo(i: number, out?: Float32Array): Float32Array {
    const t = this.tensors[i];
    return unpackNvfp4(t.lo, out?.subarray(0, t.rows * t.cols));
  }

  /** Q_hi of tensor i (FP8 at its stored scales), into `out` (allocated when absent). */
  hi(i: number, out?: Float32Array): Float32Array {
    const t = this.tensors[i];
    const s = t.quant.fp8Scales;
    return quantizeE4M3Fast(t.weight, {
      rowLength: t.cols,
      scale: s.length === 1 ? s[0] : s,
      out: out?.subarray(0, t.rows * t.cols),
      codes: false,
    }).values;
  }

  /** Tensor i as prepareWeights gave it; with `reuse`, its versions sit in buffers the next call overwrites. */
  tensor(i: number, reuse = false): PreparedTensor {
    const t = this.tensors[i];
    const s = reuse ? this.buffers() : undefined;
    const { lo, ...rest } = t;
    void lo;
    return { ...rest, fisher: this.fisher(i), quant: { ...t.quant, qLo: this.lo(i, s?.lo), qHi: this.hi(i, s?.hi) } };
  }

  /**
   * The tensors as prepareWeights gives them, each version computed when read (a fresh array per read): for
   * callers that look at one tensor, or only at what is kept (grids, clip ratios).
   */
  lazy(): PreparedTensor[] {
    const lo = (i: number) => this.lo(i);
    const hi = (i: number) => this.hi(i);
    const fisher = (i: number) => this.fisher(i);
    return this.tensors.map((t, i) => {
      const { lo: packed, ...rest } = t;
      void packed;
      const quant = {
        ...t.quant,
        get qLo() {
          return lo(i);
        },
        get qHi() {
          return hi(i);
        },
      };
      return {
        ...rest,
        get fisher() {
          return fisher(i);
        },
        quant,
      };
    });
  }

  /** buildRanking(prepared, kind, options), scored tensor by tensor. */
  ranking(kind: PolicyKind, options: ScoreOptions = {}): BlockRanking {
    const scored: ScoredTensor[] = this.tensors.map((_, i) => scoreTensors([this.tensor(i, true)], kind, options)[0]);
    const ranking = kind === 'uniform' ? rankPerTensor(scored) : rankGlobally(scored);
    // Both rankings copy the scores into one array; the per-tensor ones are dead.
    for (const t of scored) if (ArrayBuffer.isView(t.scores)) release(t.scores);
    return ranking;
  }

  /** mixTensor of tensor i under an FP8 mask: a fresh array (a graph input). */
  mixed(i: number, mask: Uint8Array): Float32Array {
    const t = this.tensors[i];
    const s = this.buffers();
    return mixTensor(t.rows, t.cols, this.lo(i, s.lo), this.hi(i, s.hi), mask);
  }

  /** Bytes held besides the model and the Fisher (the packed codes and what prepareWeights kept). */
  get bytes(): number {
    let n = 0;
    for (const t of this.tensors) {
      n += t.lo.codes.byteLength + t.lo.scaleCodes.byteLength + t.quant.clipRatio.byteLength;
      for (const r of t.lo.raw.values()) n += r.byteLength;
    }
    return n;
  }

  private buffers(): { lo: Float32Array; hi: Float32Array } {
    const n = Math.max(...this.tensors.map((t) => t.rows * t.cols));
    if (!this.scratch || this.scratch.lo.length < n)
      this.scratch = { lo: new Float32Array(n), hi: new Float32Array(n) };
    return this.scratch;
  }
}

// Packs t's Q_lo and frees both float32 versions at once (quantizeWeight made them for this tensor alone),
// rather than leaving them to the collector (on the 110M shape this lowered the tab's peak by only ~27 MiB).
function compact(t: PreparedTensor): CompactTensor {
  const { qLo, qHi, ...quant } = t.quant;
  const lo = packNvfp4(qLo, t.rows, t.cols, t.quant.nvfp4TensorScale);
  if (qLo !== t.weight) release(qLo);
  if (qHi !== t.weight) release(qHi);
  return {
    layer: t.layer,
    proj: t.proj,
    rows: t.rows,
    cols: t.cols,
    weight: t.weight,
    quant,
    lo,
  };
}

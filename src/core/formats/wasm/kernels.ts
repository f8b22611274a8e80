// Loader and streaming wrappers of the SIMD weight kernels (source.ts). The same bytes run in Node, the
// app and its workers (inlined as base64; compiled synchronously on first use, so call from a worker
// or Node: a browser main thread refuses synchronous compiles over 4 KB and gets null here, and the
// callers fall back to the TS quantizers, which stay the bit-exact oracle).
// Tensors stream through a scratch area of linear memory in chunks of whole rows small enough to stay
// in cache, so main memory sees one read of the input and one write of the output, like a copy.
// Rows whose length is not a multiple of the block are copied in padded with zeros.
import { KERNELS_WASM_BASE64 } from './binary.generated.ts';
import { CODE_BUCKETS, CODE_SLOTS_MAX, LAYOUT, tableBytes } from './layout.ts';
import { E4M3 } from '../scalar.ts';

type SearchFn = (
  x: number,
  fisher: number,
  nblocks: number,
  grid: number,
  ngrid: number,
  mode: number,
  bestCodes: number,
  bestIdx: number,
  curve: number,
  table: number,
  rowBytes: number,
  keyHi: number,
) => void;

interface Exports {
  memory: WebAssembly.Memory;
  e4m3_code(a: number): number;
  nvfp4_prepare(ts: number): void;
  nvfp4_codes(
    x: number,
    scodes: number,
    nblocks: number,
    clip: number,
    table: number,
    rowBytes: number,
    keyHi: number,
  ): void;
  nvfp4_quant(
    x: number,
    out: number,
    codes: number,
    scodes: number,
    scales: number,
    nblocks: number,
    clip: number,
    given: number,
    table: number,
    rowBytes: number,
    keyHi: number,
    noCodes: number,
  ): void;
  mxfp4_codes(x: number, scodes: number, scales: number, nblocks: number, clip: number): void;
  mxfp4_quant(
    x: number,
    out: number,
    codes: number,
    scodes: number,
    scales: number,
    nblocks: number,
    clip: number,
    given: number,
  ): void;
  fp8_quant(x: number, out: number, codes: number, n16: number, s: number, r: number): void;
  fp8_quant_mul(x: number, out: number, codes: number, n16: number, s: number, r: number): void;
  fp8_quant_nc(x: number, out: number, codes: number, n16: number, s: number, r: number): void;
  fp8_quant_mul_nc(x: number, out: number, codes: number, n16: number, s: number, r: number): void;
  absmax(x: number, n16: number): number;
  /** nvfp4_search_<hasF><objF><bounds> (search-source.ts). */
  [search: `nvfp4_search_${number}`]: SearchFn;
}

/** The code table in linear memory: for which tensor scale and ratios it was built, and its extent. */
interface CodeTable {
  ts: number;
  alphas: string;
  rowBytes: number;
  /** Buckets asked for. */
  want: number;
  /** Buckets filled (0: none; the kernels use code_from_p for buckets at or above). */
  keyHi: number;
}

const f32box = new Float32Array(1);
const u32box = new Uint32Array(f32box.buffer);
const f32OfBits = (b: number) => ((u32box[0] = b), f32box[0]);

/** Smallest float32 bits b with alpha · f32(b) >= p (the product exact in f64); 0x7f800000 when none is finite. */
function boundaryBits(p: number, alpha: number): number {
  if (!(p < Infinity)) return 0x7f800000;
  f32box[0] = Math.min(p / alpha, 3.4028234663852886e38);
  let b = u32box[0];
  while (b < 0x7f800000 && alpha * f32OfBits(b) < p) b++;
  while (b > 0 && alpha * f32OfBits(b - 1) >= p) b--;
  return b;
}

/** Elements per streamed chunk (grown to one padded row when rows are longer). */
const CHUNK = 16384;
const ONE = Float32Array.of(1);

function finiteAbsMax32(x: Float32Array): number {
  let m = 0;
  for (const v of x) if (Math.abs(v) > m && Math.abs(v) !== Infinity) m = Math.abs(v);
  return m;
}

export class WeightKernels {
  readonly exports: Exports;
  private f32!: Float32Array;
  private u8!: Uint8Array;
  private f64!: Float64Array;
  private u32!: Uint32Array;
  private table: CodeTable = { ts: NaN, alphas: '', rowBytes: 0, want: 0, keyHi: 0 };
  private capacity = 0;
  /** Byte offsets of the scratch arrays for the current capacity (elements). */
  private p = { x: 0, out: 0, codes: 0, fisher: 0, scodes: 0, scales: 0, clip: 0, idx: 0, grid: 0, curve: 0 };

  constructor(exports: Exports) {
    this.exports = exports;
    this.views();
    for (const t of tableBytes((c) => E4M3.decode(c))) this.u8.set(t.bytes, t.offset);
  }

  private views(): void {
    const buf = this.exports.memory.buffer;
    this.f32 = new Float32Array(buf);
    this.u8 = new Uint8Array(buf);
    this.f64 = new Float64Array(buf);
    this.u32 = new Uint32Array(buf);
  }

  /** Scratch for `elements` (a multiple of 32) and their blocks; returns the layout. */
  private scratch(elements: number): typeof this.p {
    if (elements <= this.capacity) return this.p;
    const blocks = elements / 16;
    // Each array starts at its own offset modulo 4 KiB (stagger · k). Arrays at equal offsets mod 4 KiB
    // (as page-aligned scratch and a JS array's data usually are) make a copy between them stall on
    // 4K aliasing (a load waits for an unrelated store with the same low 12 address bits): copying
    // results out of wasm memory ran 3.4x slower (32 ms against 9.5 ms for 16M floats).
    const al = (n: number) => Math.ceil(n / 4096) * 4096;
    let o: number = LAYOUT.scratch;
    let k = 0;
    const take = (bytes: number) => {
      const r = o + ((k++ * 832) % 4096);
      o = al(r + bytes);
      return r;
    };
    const p = {
      x: take(4 * elements),
      out: take(4 * elements),
      fisher: take(4 * elements),
      codes: take(elements),
      scodes: take(blocks),
      idx: take(blocks),
      scales: take(4 * blocks),
      clip: take(4 * blocks),
      grid: take(4 * 64),
      curve: take(8 * 128),
    };
    const need = o - this.exports.memory.buffer.byteLength;
    if (need > 0) this.exports.memory.grow(Math.ceil(need / 65536));
    this.views();
    this.capacity = elements;
    this.p = p;
    return p;
  }

  /**
   * Streams rows of `x` (rowLength each) through the scratch in chunks of whole rows, padded to a
   * multiple of `block`; `kernel(rows, firstRow)` runs on each chunk, then `collect` copies results out.
   */
  private stream(
    n: number,
    rowLength: number,
    block: number,
    inputs: { src: ArrayLike<number> & { subarray?: unknown }; dst: 'x' | 'fisher' }[],
    kernel: (rows: number, firstRow: number, stride: number) => void,
    collect: (rows: number, firstRow: number, stride: number) => void,
  ): void {
    if (n === 0) return;
    const stride = Math.ceil(rowLength / block) * block;
    const rowsTotal = n / rowLength;
    const perChunk = Math.max(1, Math.floor(Math.max(CHUNK, stride) / stride));
    const p = this.scratch(Math.ceil((perChunk * stride) / 32) * 32);
    for (let r0 = 0; r0 < rowsTotal; r0 += perChunk) {
      const rows = Math.min(perChunk, rowsTotal - r0);
      for (const { src, dst } of inputs) {
        const s = src as Float32Array;
        const base = p[dst] >> 2;
        if (stride === rowLength) this.f32.set(s.subarray(r0 * rowLength, (r0 + rows) * rowLength), base);
        else
          for (let r = 0; r < rows; r++) {
            const o = base + r * stride;
            this.f32.set(s.subarray((r0 + r) * rowLength, (r0 + r + 1) * rowLength), o);
            this.f32.fill(0, o + rowLength, o + stride);
          }
      }
      kernel(rows, r0, stride);
      collect(rows, r0, stride);
    }
  }

  /** Copies element results (values f32 and codes u8; codes skipped when empty) of a chunk back into full-size arrays. */
  private collectElements(
    rows: number,
    r0: number,
    stride: number,
    rowLength: number,
    values: Float32Array,
    codes: Uint8Array,
  ): void {
    const p = this.p;
    if (stride === rowLength) {
      const n = rows * rowLength;
      values.set(this.f32.subarray(p.out >> 2, (p.out >> 2) + n), r0 * rowLength);
      if (codes.length) codes.set(this.u8.subarray(p.codes, p.codes + n), r0 * rowLength);
      return;
    }
    for (let r = 0; r < rows; r++) {
      const o = r * stride;
      values.set(this.f32.subarray((p.out >> 2) + o, (p.out >> 2) + o + rowLength), (r0 + r) * rowLength);
      if (codes.length) codes.set(this.u8.subarray(p.codes + o, p.codes + o + rowLength), (r0 + r) * rowLength);
    }
  }

  /**
   * Prepares tensor scale ts (threshold rows and the exact boundaries A[c]) and the code table for the
   * ratios `alphas` (slot 0 must be 1 for nvfp4_quant), over the buckets up to that of `amaxHint` (the
   * largest finite block amax; all buckets when absent). Each bucket holds at most one code boundary
   * for any ratio (E4M3 codes are 1/16 of a binade or more apart, a bucket 1/16 of a binade or less); a
   * bucket that would hold two (float32 subnormal amax) ends the table there, so code_from_p takes it.
   */
  private prepare(ts: number, alphas: Float32Array, amaxHint?: number): CodeTable {
    const stride = Math.ceil(alphas.length / 4) * 4;
    const rowBytes = 4 * stride;
    f32box[0] = amaxHint ?? Infinity;
    const want = Math.min(CODE_BUCKETS, amaxHint === undefined ? CODE_BUCKETS : (u32box[0] >>> 19) + 1);
    const key = alphas.join(',');
    const t = this.table;
    if (t.ts === ts && t.alphas === key && t.rowBytes === rowBytes && t.want >= want) return t;
    if (t.ts !== ts) this.exports.nvfp4_prepare(ts);
    const A = this.f64.subarray(LAYOUT.amaxTable >> 3, (LAYOUT.amaxTable >> 3) + 128);
    const tab = this.u32;
    const base = LAYOUT.codeTable >> 2;
    let keyHi = want;
    for (let slot = 0; slot < alphas.length; slot++) {
      const alpha = alphas[slot];
      let k = 0;
      let code = 0;
      for (let c = 1; c <= 126; c++) {
        const bb = boundaryBits(A[c], alpha);
        const bk = bb >>> 19;
        for (const end = Math.min(bk, keyHi); k < end; k++) tab[base + k * stride + slot] = (code << 20) | 0x80000;
        if (bk >= keyHi) break;
        if (bk < k) {
          // A second boundary in bucket k - 1: the table stops before it.
          keyHi = k - 1;
          break;
        }
        tab[base + k * stride + slot] = (code << 20) | (bb & 0x7ffff);
        k++;
        code = c;
      }
      for (; k < keyHi; k++) tab[base + k * stride + slot] = (code << 20) | 0x80000;
    }
    this.table = { ts, alphas: key, rowBytes, want, keyHi };
    return this.table;
  }

  /**
   * For the bench: what the streaming costs without a kernel (x copied in and back out through the
   * scratch, as every quantizer does), and a kernel alone on one chunk already in linear memory (run
   * n times: the compute part, no copies). Same outputs as nothing: measurement only.
   */
  roundTrip(x: Float32Array, out: Float32Array): void {
    // As rows of 16 (x.length a multiple of 16), so the chunks stay at the streaming size.
    this.stream(
      x.length,
      16,
      16,
      [{ src: x, dst: 'x' }],
      () => {},
      (rows, r0, stride) => {
        const p = this.p;
        out.set(this.f32.subarray(p.out >> 2, (p.out >> 2) + rows * stride), r0 * stride);
      },
    );
  }

  inPlace(kind: 'nvfp4' | 'fp8' | 'mxfp4', chunk: Float32Array): (n: number) => void {
    const e = this.exports;
    const len = chunk.length - (chunk.length % 32);
    const p = this.scratch(len);
    this.f32.set(chunk.subarray(0, len), p.x >> 2);
    const ts = Math.fround(finiteAbsMax32(chunk) / 2688) || 1;
    const t = this.prepare(ts, ONE);
    const s = Math.fround(finiteAbsMax32(chunk) / 448) || 1;
    const run = {
      nvfp4: () => {
        e.nvfp4_codes(p.x, p.scodes, len / 16, 0, LAYOUT.codeTable, t.rowBytes, t.keyHi);
        e.nvfp4_quant(p.x, p.out, p.codes, p.scodes, p.scales, len / 16, 0, 1, 0, 0, 0, 0);
      },
      fp8: () => e.fp8_quant_mul(p.x, p.out, p.codes, len / 16, s, 1 / s),
      mxfp4: () => {
        e.mxfp4_codes(p.x, p.scodes, p.scales, len / 32, 0);
        e.mxfp4_quant(p.x, p.out, p.codes, p.scodes, p.scales, len / 32, 0, 1);
      },
    }[kind];
    return (n) => {
      for (let i = 0; i < n; i++) run();
    };
  }

  /** Largest finite |x[i]| (0 when there is none): what finiteAbsMax computes. */
  absMax(x: Float32Array): number {
    const n = x.length;
    const main = n - (n % 16);
    let m = 0;
    if (main > 0)
      this.stream(
        main,
        16,
        16,
        [{ src: x.subarray(0, main), dst: 'x' }],
        (rows) => {
          const a = this.exports.absmax(this.p.x, rows);
          if (a > m) m = a;
        },
        () => {},
      );
    for (let i = main; i < n; i++) {
      const a = Math.abs(x[i]);
      if (a > m && a !== Infinity) m = a;
    }
    return m;
  }

  /** NVFP4 (blocks of 16, one FP32 tensor scale): what quantizeNvfp4 computes for that case. */
  nvfp4(
    x: Float32Array,
    rowLength: number,
    tensorScale: number,
    out: { values: Float32Array; codes: Uint8Array; scaleCodes: Uint8Array; scales: Float32Array },
    clip?: ArrayLike<number>,
    givenCodes?: Uint8Array,
    amaxHint?: number,
  ): void {
    const e = this.exports;
    const t = this.prepare(tensorScale, ONE, amaxHint);
    const bpr = Math.ceil(rowLength / 16);
    this.stream(
      x.length,
      rowLength,
      16,
      [{ src: x, dst: 'x' }],
      (rows, r0) => {
        const p = this.p;
        const nb = rows * bpr;
        if (givenCodes) this.u8.set(givenCodes.subarray(r0 * bpr, r0 * bpr + nb), p.scodes);
        else {
          if (clip) for (let b = 0; b < nb; b++) this.f32[(p.clip >> 2) + b] = clip[r0 * bpr + b];
          // Codes first, then the elements (two passes over the cache-resident chunk; see nvfp4_codes).
          e.nvfp4_codes(p.x, p.scodes, nb, clip ? p.clip : 0, LAYOUT.codeTable, t.rowBytes, t.keyHi);
        }
        e.nvfp4_quant(p.x, p.out, p.codes, p.scodes, p.scales, nb, 0, 1, 0, 0, 0, out.codes.length ? 0 : 1);
      },
      (rows, r0, stride) => {
        const p = this.p;
        const nb = rows * bpr;
        this.collectElements(rows, r0, stride, rowLength, out.values, out.codes);
        if (!givenCodes) out.scaleCodes.set(this.u8.subarray(p.scodes, p.scodes + nb), r0 * bpr);
        out.scales.set(this.f32.subarray(p.scales >> 2, (p.scales >> 2) + nb), r0 * bpr);
      },
    );
  }

  /** MXFP4 (blocks of 32, E8M0 scales): what quantizeMx(x, 'e2m1') computes. */
  mxfp4(
    x: Float32Array,
    rowLength: number,
    out: { values: Float32Array; codes: Uint8Array; scaleCodes: Uint8Array; scales: Float32Array },
    clip?: ArrayLike<number>,
  ): void {
    const e = this.exports;
    const bpr = Math.ceil(rowLength / 32);
    this.stream(
      x.length,
      rowLength,
      32,
      [{ src: x, dst: 'x' }],
      (rows, r0) => {
        const p = this.p;
        const nb = rows * bpr;
        if (clip) for (let b = 0; b < nb; b++) this.f32[(p.clip >> 2) + b] = clip[r0 * bpr + b];
        // Scales first, then the elements (see nvfp4_codes).
        e.mxfp4_codes(p.x, p.scodes, p.scales, nb, clip ? p.clip : 0);
        e.mxfp4_quant(p.x, p.out, p.codes, p.scodes, p.scales, nb, 0, 1);
      },
      (rows, r0, stride) => {
        const p = this.p;
        const nb = rows * bpr;
        this.collectElements(rows, r0, stride, rowLength, out.values, out.codes);
        out.scaleCodes.set(this.u8.subarray(p.scodes, p.scodes + nb), r0 * bpr);
        out.scales.set(this.f32.subarray(p.scales >> 2, (p.scales >> 2) + nb), r0 * bpr);
      },
    );
  }

  /** FP8 E4M3 with one scale per row (scales.length = rows) or per tensor (length 1). */
  fp8(x: Float32Array, rowLength: number, scales: Float32Array, values: Float32Array, codes: Uint8Array): void {
    const e = this.exports;
    // Multiply by fl32(1/s) where that is a normal float32 (the kernel redoes near-midpoint groups).
    // Element codes are left out (the _nc kernels) when the caller keeps only values.
    const nc = codes.length === 0;
    const fp8 = (s: number) =>
      s >= 2 ** -125 && s <= 2 ** 125 ? (nc ? e.fp8_quant_mul_nc : e.fp8_quant_mul) : nc ? e.fp8_quant_nc : e.fp8_quant;
    if (scales.length > 1) {
      // One kernel call per row (its own scale); rows padded to 16.
      this.stream(
        x.length,
        rowLength,
        16,
        [{ src: x, dst: 'x' }],
        (rows, r0, stride) => {
          const p = this.p;
          for (let r = 0; r < rows; r++)
            fp8(scales[r0 + r])(
              p.x + 4 * r * stride,
              p.out + 4 * r * stride,
              p.codes + r * stride,
              stride / 16,
              scales[r0 + r],
              1 / scales[r0 + r],
            );
        },
        (rows, r0, stride) => this.collectElements(rows, r0, stride, rowLength, values, codes),
      );
      return;
    }
    // Per tensor: the flat array as rows of 16; a tail shorter than 16 goes through a padded copy.
    const n = x.length;
    const main = n - (n % 16);
    const s = scales[0];
    const flat = (src: Float32Array, vals: Float32Array, cds: Uint8Array) =>
      this.stream(
        src.length,
        16,
        16,
        [{ src, dst: 'x' }],
        (rows) => fp8(s)(this.p.x, this.p.out, this.p.codes, rows, s, 1 / s),
        (rows, r0, stride) => this.collectElements(rows, r0, stride, 16, vals, cds),
      );
    flat(x.subarray(0, main), values.subarray(0, main), codes.subarray(0, main));
    if (main < n) {
      const t = new Float32Array(16);
      t.set(x.subarray(main));
      const tv = new Float32Array(16);
      const tc = new Uint8Array(16);
      flat(t, tv, tc);
      values.set(tv.subarray(0, n - main), main);
      if (codes.length) codes.set(tc.subarray(0, n - main), main);
    }
  }

  /**
   * NVFP4 clip search (grid, optionally the E4M3 sweep) and the quantization with the chosen codes, in
   * one streamed pass: see search-source.ts. Returns per-block chosen scale codes and grid indices (255
   * for a sweep choice) and the grid curve sums (plain, Fisher) over blocks, in block order.
   */
  nvfp4Search(
    x: Float32Array,
    rowLength: number,
    tensorScale: number,
    options: {
      fisher?: Float32Array;
      grid: Float32Array;
      fisherObjective: boolean;
      sweep: boolean;
      curve?: boolean;
      /** The largest finite |x| (bounds the code table); optional. */
      amax?: number;
    },
    out: {
      values: Float32Array;
      codes: Uint8Array;
      scaleCodes: Uint8Array;
      scales: Float32Array;
      gridIndex: Uint8Array;
    },
  ): { curveMse: Float64Array; curveFisher: Float64Array } {
    const e = this.exports;
    const G = options.grid.length;
    if (G < 1 || G > CODE_SLOTS_MAX - 4) throw new RangeError(`clip grid must have 1..64 ratios, got ${G}`);
    const slots = new Float32Array(G + 1);
    slots[0] = 1;
    slots.set(options.grid, 1);
    const t = this.prepare(tensorScale, slots, options.amax);
    const bpr = Math.ceil(rowLength / 16);
    const fisher = options.fisher;
    const inputs: { src: Float32Array; dst: 'x' | 'fisher' }[] = [{ src: x, dst: 'x' }];
    if (fisher) inputs.push({ src: fisher, dst: 'fisher' });
    const grid = options.grid;
    const descending = grid.every((a, i) => i === 0 || a <= grid[i - 1]);
    const mode =
      (options.fisherObjective ? 1 : 0) |
      (options.sweep ? 2 : 0) |
      (options.curve === false ? 4 : 0) |
      (descending ? 8 : 0);
    const bounds = options.sweep || options.curve === false;
    const search = e[`nvfp4_search_${fisher ? 1 : 0}${options.fisherObjective ? 1 : 0}${bounds ? 1 : 0}`];
    let first = true;
    this.stream(
      x.length,
      rowLength,
      16,
      inputs,
      (rows) => {
        const p = this.p;
        if (first) {
          this.f32.set(options.grid, p.grid >> 2);
          this.f64.fill(0, p.curve >> 3, (p.curve >> 3) + 2 * G);
          first = false;
        }
        const nb = rows * bpr;
        search(
          p.x,
          fisher ? p.fisher : 0,
          nb,
          p.grid,
          G,
          mode,
          p.scodes,
          p.idx,
          p.curve,
          LAYOUT.codeTable,
          t.rowBytes,
          t.keyHi,
        );
        e.nvfp4_quant(p.x, p.out, p.codes, p.scodes, p.scales, nb, 0, 1, 0, 0, 0, out.codes.length ? 0 : 1);
      },
      (rows, r0, stride) => {
        const p = this.p;
        const nb = rows * bpr;
        this.collectElements(rows, r0, stride, rowLength, out.values, out.codes);
        out.scaleCodes.set(this.u8.subarray(p.scodes, p.scodes + nb), r0 * bpr);
        out.gridIndex.set(this.u8.subarray(p.idx, p.idx + nb), r0 * bpr);
        out.scales.set(this.f32.subarray(p.scales >> 2, (p.scales >> 2) + nb), r0 * bpr);
      },
    );
    const c = this.p.curve >> 3;
    return { curveMse: this.f64.slice(c, c + G), curveFisher: this.f64.slice(c + G, c + 2 * G) };
  }
}

let cached: WeightKernels | null | undefined;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The kernels, compiled on first use; null where WebAssembly SIMD or a synchronous compile is unavailable. */
export function weightKernels(): WeightKernels | null {
  if (cached !== undefined) return cached;
  try {
    const mod = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as BufferSource);
    const inst = new WebAssembly.Instance(mod, {});
    cached = new WeightKernels(inst.exports as unknown as Exports);
  } catch {
    cached = null;
  }
  return cached;
}

/** Tests and benches: force the TS path (false) or restore the default (true). */
export function setWeightKernelsEnabled(enabled: boolean): void {
  cached = enabled ? undefined : null;
}

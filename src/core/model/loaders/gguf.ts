// GGUF (llama.cpp) checkpoints with architecture "llama". A small synchronous parser over the
// whole file in memory (@huggingface/gguf reads headers through fetch/range requests only, and
// asynchronously; tests cross-check this parser against it).
// Layout (v2/v3): "GGUF", uint32 version, uint64 tensor count, uint64 kv count, kv pairs
// (string key, uint32 type, value), tensor infos (string name, uint32 n_dims, uint64 dims
// innermost first, uint32 ggml type, uint64 offset), padding to general.alignment (default 32),
// then tensor data at data_start + offset.
// llama.cpp's converters store q/k in the interleaved (Meta) order ("reverse HF permute"), which
// is what the engine uses, so no permutation happens here.

import type { LlamaConfig, LlamaModel } from '../types';
import { validateConfig } from '../types';
import {
  assembleWeights,
  bfloat16At,
  canonicalNames,
  CheckpointError,
  dataView,
  finishReport,
  float16At,
  float32At,
  formatBytes,
  LITTLE_ENDIAN_HOST,
  namedTensors,
  q8_0At,
  tensorRow,
  type LoadedCheckpoint,
  type TensorReport,
} from './common';
import { canonicalShape } from './llama2c';
import { Llama2cTokenizer } from '../../tokenizer/llama2c';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as uint32 LE

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** ggml tensor types this loader reads (ids from ggml.h). */
export const GGML_TYPES: Record<number, { name: string; blockElems: number; blockBytes: number }> = {
  0: { name: 'F32', blockElems: 1, blockBytes: 4 },
  1: { name: 'F16', blockElems: 1, blockBytes: 2 },
  8: { name: 'Q8_0', blockElems: 32, blockBytes: 34 },
  30: { name: 'BF16', blockElems: 1, blockBytes: 2 },
};
const GGML_TYPE_NAMES: Record<number, string> = {
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
};

/** Fixed widths of the scalar value types; strings take at least 8 bytes, arrays at least 12. */
const VALUE_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const minValueBytes = (type: number) => VALUE_BYTES[type] ?? (type === GgufValueType.STRING ? 8 : 12);
/** Arrays of arrays deeper than this are refused (llama.cpp writes none; a deep one is an attack). */
export const GGUF_MAX_ARRAY_DEPTH = 64;

/**
 * The strings of a GGUF string array, left in the file: offsets and lengths only, so a vocabulary of
 * a million tokens costs 12 bytes per token instead of a JS string each.
 */
export class GgufStringArray {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly starts: Float64Array,
    private readonly lengths: Uint32Array,
  ) {}
  get length(): number {
    return this.lengths.length;
  }
  bytesAt(i: number): Uint8Array {
    return this.bytes.subarray(this.starts[i], this.starts[i] + this.lengths[i]);
  }
  byteLength(i: number): number {
    return this.lengths[i];
  }
  at(i: number): string {
    return utf8Decoder.decode(this.bytesAt(i));
  }
  toArray(): string[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i));
  }
}

type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array;

/** A GGUF array: numbers in a typed array (bools as 0/1 bytes), strings as a GgufStringArray, arrays as GgufArray[]. */
export interface GgufArray {
  readonly itemType: GgufValueType;
  readonly values: NumericArray | GgufStringArray | GgufArray[];
}

export type GgufValue = number | bigint | boolean | string | GgufArray;

export const isGgufArray = (v: GgufValue | undefined): v is GgufArray =>
  typeof v === 'object' && v !== null && 'itemType' in v;

/** A value as plain JS (arrays as arrays), for comparisons and display. */
export function ggufValueToJs(v: GgufValue): unknown {
  if (!isGgufArray(v)) return v;
  const a = v.values;
  if (a instanceof GgufStringArray) return a.toArray();
  if (Array.isArray(a)) return a.map(ggufValueToJs);
  if (v.itemType === GgufValueType.BOOL) return Array.from(a as Uint8Array, (x) => x !== 0);
  return Array.from(a as ArrayLike<number | bigint>);
}

const typeName = (t: number) => GgufValueType[t]?.toLowerCase() ?? `type ${t}`;

/** A value and its stored type for messages: `a string ("32")`, `a float32 (1e-5)`, `an array of 3 uint8`. */
function describeValue(v: GgufValue): string {
  if (isGgufArray(v)) return `an array of ${v.values.length} ${typeName(v.itemType)}`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`;
  if (typeof v === 'boolean') return `a bool (${v})`;
  return `a number (${v})`;
}

function describeKey(g: GgufFile, key: string): string {
  const v = g.metadata.get(key);
  if (v === undefined) return 'nothing';
  const t = g.metadataTypes.get(key);
  if (isGgufArray(v) || t === undefined || t === GgufValueType.STRING) return describeValue(v);
  return `a ${typeName(t)} (${v})`;
}

const utf8Decoder = new TextDecoder();

export interface GgufTensorInfo {
  name: string;
  /** As stored: innermost (column) dimension first. */
  dims: number[];
  type: number;
  /** Absolute byte offset in the file. */
  offset: number;
  byteLength: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, GgufValue>;
  /** The stored value type of each key (GgufValueType). */
  metadataTypes: Map<string, GgufValueType>;
  tensors: Map<string, GgufTensorInfo>;
  alignment: number;
  dataStart: number;
}

export function isGguf(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && dataView(bytes).getUint32(0, true) === GGUF_MAGIC;
}

class Reader {
  offset = 0;
  private dv: DataView;
  constructor(
    private bytes: Uint8Array,
    private file: string,
  ) {
    this.dv = dataView(bytes);
  }
  need(n: number, what: string): void {
    if (this.offset + n > this.bytes.byteLength) {
      throw new CheckpointError(
        `truncated file: ${this.file} ends inside the GGUF header (${what} needs ${formatBytes(this.offset + n)}, the file has ${formatBytes(this.bytes.byteLength)})`,
      );
    }
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  /** uint64 as a number, rejecting values that cannot be sizes or offsets in this file. */
  size(what: string, max = this.bytes.byteLength): number {
    this.need(8, what);
    const v = this.dv.getBigUint64(this.offset, true);
    this.offset += 8;
    if (v > BigInt(Math.floor(max))) {
      throw new CheckpointError(
        `${this.file}: GGUF ${what} = ${v} is impossible for a file of ${formatBytes(this.bytes.byteLength)} (truncated, corrupt or not a GGUF file)`,
      );
    }
    return Number(v);
  }
  /** A string's [start, length) without decoding it. */
  stringRange(what: string): [number, number] {
    const n = this.size(`${what} length`);
    this.need(n, what);
    const start = this.offset;
    this.offset += n;
    return [start, n];
  }
  string(what: string): string {
    const [start, n] = this.stringRange(what);
    return utf8Decoder.decode(this.bytes.subarray(start, start + n));
  }
  scalar(type: number, what: string): GgufValue {
    const dv = this.dv;
    if (type === GgufValueType.STRING) return this.string(what);
    const width = VALUE_BYTES[type];
    if (width === undefined)
      throw new CheckpointError(`${this.file}: GGUF metadata ${what} has unknown value type ${type}`);
    this.need(width, what);
    const o = this.offset;
    this.offset += width;
    switch (type) {
      case GgufValueType.UINT8:
        return dv.getUint8(o);
      case GgufValueType.INT8:
        return dv.getInt8(o);
      case GgufValueType.UINT16:
        return dv.getUint16(o, true);
      case GgufValueType.INT16:
        return dv.getInt16(o, true);
      case GgufValueType.UINT32:
        return dv.getUint32(o, true);
      case GgufValueType.INT32:
        return dv.getInt32(o, true);
      case GgufValueType.FLOAT32:
        return dv.getFloat32(o, true);
      case GgufValueType.BOOL:
        return dv.getUint8(o) !== 0;
      case GgufValueType.UINT64:
        return dv.getBigUint64(o, true);
      case GgufValueType.INT64:
        return dv.getBigInt64(o, true);
      default:
        return dv.getFloat64(o, true);
    }
  }
  /** Item type and count of an array, the count checked against the bytes left before anything is allocated. */
  private arrayHead(what: string): { itemType: number; n: number } {
    const itemType = this.u32(`${what} item type`);
    if (itemType !== GgufValueType.ARRAY && itemType !== GgufValueType.STRING && VALUE_BYTES[itemType] === undefined)
      throw new CheckpointError(`${this.file}: GGUF metadata ${what} is an array of unknown value type ${itemType}`);
    const n = this.size(`${what} count`, (this.bytes.byteLength - this.offset - 8) / minValueBytes(itemType));
    return { itemType, n };
  }
  /** An array of scalars or strings (no nesting): typed arrays, strings left in the file. */
  private flatArray(itemType: number, n: number, what: string): GgufArray {
    if (itemType === GgufValueType.STRING) {
      const starts = new Float64Array(n);
      const lengths = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const [start, len] = this.stringRange(what);
        if (len > 0xffffffff) throw new CheckpointError(`${this.file}: GGUF metadata ${what} has a string over 4 GiB`);
        starts[i] = start;
        lengths[i] = len;
      }
      return { itemType, values: new GgufStringArray(this.bytes, starts, lengths) };
    }
    const width = VALUE_BYTES[itemType];
    if (!LITTLE_ENDIAN_HOST && width > 1) throw new CheckpointError('GGUF arrays are read on little-endian hosts only');
    this.need(n * width, what);
    const src = this.bytes.slice(this.offset, this.offset + n * width); // a copy: aligned, and detached from the file
    this.offset += n * width;
    const b = src.buffer;
    const big = new DataView(b);
    const values: NumericArray = (() => {
      switch (itemType) {
        case GgufValueType.UINT8:
        case GgufValueType.BOOL:
          return new Uint8Array(b);
        case GgufValueType.INT8:
          return new Int8Array(b);
        case GgufValueType.UINT16:
          return new Uint16Array(b);
        case GgufValueType.INT16:
          return new Int16Array(b);
        case GgufValueType.UINT32:
          return new Uint32Array(b);
        case GgufValueType.INT32:
          return new Int32Array(b);
        case GgufValueType.FLOAT32:
          return new Float32Array(b);
        case GgufValueType.FLOAT64:
          return new Float64Array(b);
        case GgufValueType.UINT64:
          return BigUint64Array.from({ length: n }, (_, i) => big.getBigUint64(8 * i, true));
        default:
          return BigInt64Array.from({ length: n }, (_, i) => big.getBigInt64(8 * i, true));
      }
    })();
    return { itemType, values };
  }
  /** Any value; nested arrays are read with an explicit stack (no recursion), at most GGUF_MAX_ARRAY_DEPTH deep. */
  value(type: number, what: string): GgufValue {
    if (type !== GgufValueType.ARRAY) return this.scalar(type, what);
    type Frame = { itemType: number; n: number; out: GgufArray[] };
    const open = (): Frame | GgufArray => {
      const { itemType, n } = this.arrayHead(what);
      if (itemType !== GgufValueType.ARRAY) return this.flatArray(itemType, n, what);
      return { itemType, n, out: [] };
    };
    const first = open();
    if (!('out' in first)) return first;
    const stack: Frame[] = [first];
    let done: GgufArray | undefined;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (done) {
        top.out.push(done);
        done = undefined;
      }
      if (top.out.length === top.n) {
        stack.pop();
        done = { itemType: GgufValueType.ARRAY, values: top.out };
        continue;
      }
      // The next array sits at depth stack.length + 1 (the outermost is depth 1).
      if (stack.length >= GGUF_MAX_ARRAY_DEPTH)
        throw new CheckpointError(
          `${this.file}: GGUF metadata ${what} nests arrays more than ${GGUF_MAX_ARRAY_DEPTH} deep (corrupt or hostile file)`,
        );
      const next = open();
      if ('out' in next) stack.push(next);
      else done = next;
    }
    return done!;
  }
}

/** Parses the header (metadata and tensor infos) and checks every tensor's byte range. */
export function parseGguf(bytes: Uint8Array, file = 'model.gguf'): GgufFile {
  if (!isGguf(bytes)) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new CheckpointError(
      `${file} is not a GGUF file: expected magic "GGUF" (47 47 55 46), found ${head || 'nothing'}`,
    );
  }
  const r = new Reader(bytes, file);
  r.offset = 4;
  const version = r.u32('version');
  if (version !== 2 && version !== 3)
    throw new CheckpointError(`${file}: GGUF version ${version} is not supported (2 and 3 are)`);
  // A tensor info takes at least 24 bytes and a kv pair at least 13: bound the counts by the file size.
  const tensorCount = r.size('tensor count', bytes.byteLength / 24);
  const kvCount = r.size('metadata count', bytes.byteLength / 13);
  const metadata = new Map<string, GgufValue>();
  const metadataTypes = new Map<string, GgufValueType>();
  for (let i = 0; i < kvCount; i++) {
    const key = r.string(`key ${i}`);
    const type = r.u32(`type of ${key}`);
    if (metadata.has(key)) throw new CheckpointError(`${file}: GGUF metadata key ${key} appears twice`);
    metadata.set(key, r.value(type, key));
    metadataTypes.set(key, type);
  }
  const alignmentValue = metadata.get('general.alignment') ?? 32;
  const alignmentType = metadataTypes.get('general.alignment') ?? GgufValueType.UINT32;
  if (alignmentType !== GgufValueType.UINT32)
    throw new CheckpointError(
      `${file}: general.alignment must be a uint32, found ${alignmentType === GgufValueType.STRING || alignmentType === GgufValueType.ARRAY ? describeValue(alignmentValue) : `a ${typeName(alignmentType)} (${alignmentValue})`}`,
    );
  const alignment = Number(alignmentValue);
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0 || alignment > 1 << 20) {
    throw new CheckpointError(
      `${file}: general.alignment = ${alignmentValue} is invalid (a positive multiple of 8 expected)`,
    );
  }
  const infos: { name: string; dims: number[]; type: number; rel: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = r.string(`tensor ${i} name`);
    const nDims = r.u32(`${name} n_dims`);
    if (nDims < 1 || nDims > 4)
      throw new CheckpointError(`${file}: tensor ${name} has ${nDims} dimensions (1..4 allowed)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(r.size(`${name} dimension ${d}`, Number.MAX_SAFE_INTEGER));
    const type = r.u32(`${name} type`);
    const rel = r.size(`${name} offset`);
    infos.push({ name, dims, type, rel });
  }
  const dataStart = Math.ceil(r.offset / alignment) * alignment;
  const tensors = new Map<string, GgufTensorInfo>();
  for (const t of infos) {
    if (t.rel % alignment !== 0)
      throw new CheckpointError(
        `${file}: tensor ${t.name} offset ${t.rel} is not a multiple of the alignment ${alignment}`,
      );
    const numel = t.dims.reduce((a, d) => a * d, 1);
    const info = GGML_TYPES[t.type];
    // Unsupported types are reported when a needed tensor has one; others are simply not read.
    const byteLength = info ? (numel / info.blockElems) * info.blockBytes : 0;
    if (info && (numel % info.blockElems !== 0 || t.dims[0] % info.blockElems !== 0)) {
      throw new CheckpointError(
        `${file}: tensor ${t.name} (${info.name}) has rows of ${t.dims[0]} elements, not a multiple of its block size ${info.blockElems}`,
      );
    }
    const offset = dataStart + t.rel;
    if (offset + byteLength > bytes.byteLength) {
      throw new CheckpointError(
        `truncated file: ${file} tensor ${t.name} [${t.dims.join(', ')}] ${info?.name ?? t.type} needs bytes up to ${formatBytes(offset + byteLength)}, the file has ${formatBytes(bytes.byteLength)}`,
      );
    }
    if (tensors.has(t.name)) throw new CheckpointError(`${file}: tensor ${t.name} is listed twice`);
    tensors.set(t.name, { name: t.name, dims: t.dims, type: t.type, offset, byteLength });
  }
  return { version, metadata, metadataTypes, tensors, alignment, dataStart };
}

function ggufName(canonical: string): string {
  const parts = canonical.split('.');
  if (parts.length === 1)
    return { tokenEmbedding: 'token_embd.weight', finalNorm: 'output_norm.weight', classifier: 'output.weight' }[
      canonical
    ]!;
  const leaf = {
    attnNorm: 'attn_norm',
    q: 'attn_q',
    k: 'attn_k',
    v: 'attn_v',
    o: 'attn_output',
    ffnNorm: 'ffn_norm',
    gate: 'ffn_gate',
    up: 'ffn_up',
    down: 'ffn_down',
  }[parts[2]]!;
  return `blk.${parts[1]}.${leaf}.weight`;
}

/** float32 metadata (rms epsilon, rope base) as the shortest decimal that rounds to it: 1e-5, not 9.99999974737875e-6. */
function shortestF32(x: number): number {
  if (x !== Math.fround(x)) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

function metaNumber(g: GgufFile, name: string, key: string, fallback?: number): number {
  const v = g.metadata.get(key);
  if (v === undefined) {
    if (fallback === undefined) throw new CheckpointError(`${name}: GGUF metadata ${key} is missing`);
    return fallback;
  }
  if (typeof v !== 'number' && typeof v !== 'bigint')
    throw new CheckpointError(`${name}: GGUF metadata ${key} must be a number, found ${describeKey(g, key)}`);
  const x = Number(v);
  if (!Number.isFinite(x)) throw new CheckpointError(`${name}: GGUF metadata ${key} = ${x} is not a finite number`);
  return x;
}

/** llama.cpp's RoPE scaling keys: linear is supported; YaRN and Llama 3's rope_freqs tensor are not. */
function ropeScalingFromGguf(g: GgufFile, name: string): LlamaConfig['ropeScaling'] {
  if (g.tensors.has('rope_freqs.weight'))
    throw new CheckpointError(
      `${name}: tensor rope_freqs.weight (Llama 3 RoPE scaling as per-frequency factors) is not supported; load the Hugging Face safetensors (config.json rope_scaling) instead`,
    );
  const type = g.metadata.get('llama.rope.scaling.type');
  if (type !== undefined && typeof type !== 'string')
    throw new CheckpointError(
      `${name}: GGUF metadata llama.rope.scaling.type must be a string, found ${describeKey(g, 'llama.rope.scaling.type')}`,
    );
  const legacy = g.metadata.has('llama.rope.scale_linear') ? metaNumber(g, name, 'llama.rope.scale_linear') : undefined;
  if (type === undefined || type === 'none')
    return legacy !== undefined && legacy !== 1 ? { type: 'linear', factor: legacy } : undefined;
  if (type !== 'linear')
    throw new CheckpointError(
      `${name}: GGUF RoPE scaling ${JSON.stringify(type)} is not supported (none and linear are)`,
    );
  return { type: 'linear', factor: metaNumber(g, name, 'llama.rope.scaling.factor', legacy ?? 1) };
}

export function loadGguf(bytes: Uint8Array, name = 'model.gguf'): LoadedCheckpoint {
  const g = parseGguf(bytes, name);
  const arch = g.metadata.get('general.architecture');
  if (arch !== 'llama')
    throw new CheckpointError(
      `${name}: GGUF architecture is ${typeof arch === 'string' ? JSON.stringify(arch) : arch === undefined ? 'missing' : describeKey(g, 'general.architecture')}; only "llama" is supported`,
    );
  const emb = g.tensors.get('token_embd.weight');
  if (!emb || emb.dims.length !== 2) throw new CheckpointError(`${name}: GGUF has no 2-D token_embd.weight`);
  const dim = metaNumber(g, name, 'llama.embedding_length');
  const nHeads = metaNumber(g, name, 'llama.attention.head_count');
  const hasOutput = g.tensors.has('output.weight');
  const c: LlamaConfig = {
    dim,
    hiddenDim: metaNumber(g, name, 'llama.feed_forward_length'),
    nLayers: metaNumber(g, name, 'llama.block_count'),
    nHeads,
    nKvHeads: metaNumber(g, name, 'llama.attention.head_count_kv', nHeads),
    vocabSize: metaNumber(g, name, 'llama.vocab_size', emb.dims[1]),
    maxSeqLen: metaNumber(g, name, 'llama.context_length'),
    ropeTheta: shortestF32(metaNumber(g, name, 'llama.rope.freq_base', 10000)),
    normEps: shortestF32(metaNumber(g, name, 'llama.attention.layer_norm_rms_epsilon', 1e-5)),
    // llama.cpp ties the output to token_embd when output.weight is absent.
    sharedClassifier: !hasOutput,
  };
  const ropeScaling = ropeScalingFromGguf(g, name);
  if (ropeScaling) c.ropeScaling = ropeScaling;
  const ropeDims = g.metadata.get('llama.rope.dimension_count');
  if (ropeDims !== undefined && Number(ropeDims) !== dim / nHeads) {
    throw new CheckpointError(
      `${name}: llama.rope.dimension_count ${describeKey(g, 'llama.rope.dimension_count')} differs from the head size ${dim / nHeads} (partial RoPE is not supported)`,
    );
  }
  try {
    validateConfig(c);
  } catch (e) {
    throw new CheckpointError(`${name}: ${(e as Error).message}`);
  }

  const tensors: TensorReport[] = [];
  for (const cname of canonicalNames(c)) {
    const stored = ggufName(cname);
    const t = g.tensors.get(stored);
    if (!t) throw new CheckpointError(`${name}: tensor ${stored} is missing`);
    const shape = canonicalShape(c, cname);
    const asRowMajor = [...t.dims].reverse();
    if (asRowMajor.length !== shape.length || asRowMajor.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `${name}: tensor ${stored} has shape [${asRowMajor.join(', ')}] (GGUF dims [${t.dims.join(', ')}]), the metadata implies [${shape.join(', ')}]`,
      );
    }
    const type = GGML_TYPES[t.type];
    if (!type) {
      throw new CheckpointError(
        `${name}: tensor ${stored} has ggml type ${GGML_TYPE_NAMES[t.type] ?? t.type}; supported: ${Object.values(
          GGML_TYPES,
        )
          .map((x) => x.name)
          .join(', ')}`,
      );
    }
    tensors.push(tensorRow(cname, stored, shape, type.name));
  }
  // Tokenizer before weights: a corrupt vocabulary fails the load before anything large is made.
  const { tokenizer, warning } = ggufTokenizer(g, name, c.vocabSize);
  const convert = (cname: string): Float32Array => {
    const t = g.tensors.get(ggufName(cname))!;
    const n = t.dims.reduce((a, d) => a * d, 1);
    switch (GGML_TYPES[t.type].name) {
      case 'F32':
        return float32At(bytes, t.offset, n);
      case 'F16':
        return float16At(bytes, t.offset, n);
      case 'BF16':
        return bfloat16At(bytes, t.offset, n);
      default:
        return q8_0At(bytes, t.offset, n);
    }
  };
  const weights = assembleWeights(c, convert);
  const warnings: string[] = warning ? [warning] : [];
  const model: LlamaModel = { config: c, weights, source: { format: 'gguf', name, bytes: bytes.byteLength } };
  if (tokenizer) model.tokenizer = tokenizer;
  const report = finishReport(
    {
      format: 'gguf',
      variant: `GGUF v${g.version}`,
      name,
      bytes: bytes.byteLength,
      tensors,
      nanCount: 0,
      nonFinite: { nan: 0, inf: 0 },
      warnings,
    },
    namedTensors(model),
  );
  return { model, report };
}

/** token_type values of GGUF (llama.cpp llama_token_type). */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

/** U+2581 (sentencepiece's space) in UTF-8. */
const SP_SPACE = [0xe2, 0x96, 0x81];

/**
 * The sentencepiece vocabulary of a GGUF (tokenizer.ggml.model "llama") as a llama2.c-style
 * tokenizer, the same conversion llama2.c's tokenizer.py export does: U+2581 becomes a space.
 * No tokenizer or another tokenizer model gives a warning; a corrupt one (wrong types or lengths,
 * special ids outside the vocabulary) a CheckpointError. A vocabulary larger than the model's
 * embedding is cut to it, with a warning naming what was dropped.
 */
export function ggufTokenizer(
  g: GgufFile,
  name: string,
  modelVocab: number,
): { tokenizer?: Llama2cTokenizer; warning?: string } {
  const model = g.metadata.get('tokenizer.ggml.model');
  if (model === undefined) return { warning: 'tokenizer not loaded: the GGUF has no tokenizer.ggml.model' };
  if (model !== 'llama')
    return {
      warning: `tokenizer not loaded: tokenizer.ggml.model is ${typeof model === 'string' ? JSON.stringify(model) : describeKey(g, 'tokenizer.ggml.model')}; only "llama" (sentencepiece BPE) is supported`,
    };
  const bad = (what: string) => new CheckpointError(`${name}: ${what}`);
  const tokens = g.metadata.get('tokenizer.ggml.tokens');
  const scores = g.metadata.get('tokenizer.ggml.scores');
  const types = g.metadata.get('tokenizer.ggml.token_type');
  if (!isGgufArray(tokens) || !(tokens.values instanceof GgufStringArray))
    throw bad(`tokenizer.ggml.tokens must be an array of strings, found ${describeKey(g, 'tokenizer.ggml.tokens')}`);
  const n = tokens.values.length;
  if (n === 0) throw bad('tokenizer.ggml.tokens is empty');
  const numeric = (v: GgufValue | undefined) =>
    isGgufArray(v) &&
    !(v.values instanceof GgufStringArray) &&
    !Array.isArray(v.values) &&
    ![GgufValueType.BOOL, GgufValueType.UINT64, GgufValueType.INT64].includes(v.itemType);
  if (!numeric(scores) || (scores as GgufArray).values.length !== n)
    throw bad(
      `tokenizer.ggml.scores must be a number array of ${n} (one per token), found ${describeKey(g, 'tokenizer.ggml.scores')}`,
    );
  if (types !== undefined && (!numeric(types) || types === undefined || (types as GgufArray).values.length !== n))
    throw bad(
      `tokenizer.ggml.token_type must be an integer array of ${n} (one per token), found ${describeKey(g, 'tokenizer.ggml.token_type')}`,
    );
  // Only the model's embedding can be scored: a longer vocabulary is cut to it.
  const kept = Math.min(n, modelVocab);
  const warning =
    n > modelVocab
      ? `tokenizer has ${n} tokens, the model's embedding ${modelVocab}: tokens ${modelVocab}..${n - 1} are dropped (text is encoded with ids 0..${modelVocab - 1} only)`
      : n < modelVocab
        ? `tokenizer has ${n} tokens, the model ${modelVocab}`
        : undefined;
  const scoreValues = Float32Array.from((scores as GgufArray).values as ArrayLike<number>).subarray(0, kept);
  for (let i = 0; i < kept; i++)
    if (!Number.isFinite(scoreValues[i])) throw bad(`tokenizer.ggml.scores[${i}] = ${scoreValues[i]} is not finite`);
  // One byte blob for all pieces (no object per token): U+2581 replaced by a space at the byte level.
  const src = tokens.values;
  let total = 0;
  for (let i = 0; i < kept; i++) total += src.byteLength(i);
  const blob = new Uint8Array(total);
  const offsets = new Uint32Array(kept + 1);
  let o = 0;
  for (let i = 0; i < kept; i++) {
    const b = src.bytesAt(i);
    for (let j = 0; j < b.length; j++) {
      if (b[j] === SP_SPACE[0] && b[j + 1] === SP_SPACE[1] && b[j + 2] === SP_SPACE[2]) {
        blob[o++] = 0x20;
        j += 2;
      } else blob[o++] = b[j];
    }
    offsets[i + 1] = o;
  }
  const typeValues = types ? ((types as GgufArray).values as ArrayLike<number>) : undefined;
  const matchable = typeValues
    ? Uint8Array.from({ length: kept }, (_, i) =>
        Number(typeValues[i]) === TOKEN_TYPE.NORMAL || Number(typeValues[i]) === TOKEN_TYPE.USER_DEFINED ? 1 : 0,
      )
    : undefined;
  const special = (key: string, fallback: number) => {
    const v = g.metadata.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' && typeof v !== 'bigint')
      throw bad(`${key} must be an integer, found ${describeKey(g, key)}`);
    const id = Number(v);
    if (!Number.isInteger(id) || id < 0 || id >= kept)
      throw bad(`${key} = ${v} is outside the vocabulary (0..${kept - 1})`);
    return id;
  };
  const bosId = special('tokenizer.ggml.bos_token_id', Math.min(1, kept - 1));
  const eosId = special('tokenizer.ggml.eos_token_id', Math.min(2, kept - 1));
  let maxLen = 0;
  for (let i = 0; i < kept; i++) maxLen = Math.max(maxLen, offsets[i + 1] - offsets[i]);
  const tokenizer = new Llama2cTokenizer({ bytes: blob.subarray(0, o), offsets }, scoreValues, maxLen, {
    bosId,
    eosId,
    matchable,
    addDummyPrefix: g.metadata.get('tokenizer.ggml.add_space_prefix') !== false,
  });
  return { tokenizer, warning };
}

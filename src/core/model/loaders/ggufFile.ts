// The GGUF container (llama.cpp): header, metadata and tensor infos, read synchronously from the
// whole file in memory. Every count is checked against the bytes left before anything is allocated;
// arrays become typed arrays (strings stay in the file as offsets), nested arrays are read with an
// explicit stack and at most GGUF_MAX_ARRAY_DEPTH deep.
// Layout (v2/v3): "GGUF", uint32 version, uint64 tensor count, uint64 kv count, kv pairs
// (string key, uint32 type, value), tensor infos (string name, uint32 n_dims, uint64 dims
// innermost first, uint32 ggml type, uint64 offset), padding to general.alignment (default 32),
// then tensor data at data_start + offset.

import { CheckpointError, dataView, formatBytes, LITTLE_ENDIAN_HOST } from './common';

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
export const GGML_TYPE_NAMES: Record<number, string> = {
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
export function describeValue(v: GgufValue): string {
  if (isGgufArray(v)) return `an array of ${v.values.length} ${typeName(v.itemType)}`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`;
  if (typeof v === 'boolean') return `a bool (${v})`;
  return `a number (${v})`;
}

export function describeKey(g: GgufFile, key: string): string {
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

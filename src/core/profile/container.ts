// The safetensors container of a profile (docs/profile-format.md §1): an 8-byte little-endian header length
// N, N bytes of JSON (space-padded so the data starts 8-aligned), then the tensors' bytes. Reading goes
// through a byte-range source, so a profile can be opened with two small reads (a local file, an
// ArrayBuffer, or HTTP Range requests) and tensors fetched on demand.

export type SafeDtype = 'F64' | 'F32' | 'U8' | 'I32';
export const DTYPE_BYTES: Record<SafeDtype, number> = { F64: 8, F32: 4, U8: 1, I32: 4 };
export type TypedFor<D extends SafeDtype> = D extends 'F64'
  ? Float64Array
  : D extends 'F32'
    ? Float32Array
    : D extends 'U8'
      ? Uint8Array
      : Int32Array;

/** Header length limit (the explorer must never allocate a hostile size). */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export interface TensorEntry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  /** Byte offsets relative to the start of the data buffer. */
  begin: number;
  end: number;
}

/** Random access to the bytes of a file. */
export interface ByteSource {
  /** Total bytes, when known (a file, a buffer, an HTTP response with Content-Range). */
  size(): Promise<number>;
  /** Exactly `length` bytes from `offset` (fewer only at the end of the file). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ParsedHeader {
  /** N, the JSON header's length. */
  headerBytes: number;
  /** File offset of the data buffer (8 + N). */
  dataStart: number;
  dataBytes: number;
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
}

export class ProfileFormatError extends Error {
  constructor(message: string) {
    super(`invalid profile: ${message}`);
    this.name = 'ProfileFormatError';
  }
}

const fail = (msg: string): never => {
  throw new ProfileFormatError(msg);
};

/** Header bytes (length prefix + padded JSON) for tensors laid out in the given order. */
export function encodeHeader(
  metadata: Record<string, string>,
  tensors: readonly { name: string; dtype: SafeDtype; shape: readonly number[] }[],
): { bytes: Uint8Array; entries: TensorEntry[]; dataBytes: number } {
  const json: Record<string, unknown> = { __metadata__: metadata };
  const entries: TensorEntry[] = [];
  let off = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in json) throw new Error(`tensor name "${t.name}" given twice`);
    const n = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    entries.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], begin: off, end: off + n });
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  let text = JSON.stringify(json);
  const enc = new TextEncoder();
  let body = enc.encode(text);
  const pad = (8 - ((8 + body.length) % 8)) % 8;
  if (pad) {
    text += ' '.repeat(pad);
    body = enc.encode(text);
  }
  const bytes = new Uint8Array(8 + body.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(body.length), true);
  bytes.set(body, 8);
  return { bytes, entries, dataBytes: off };
}

const isNonNegInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Reads and validates the header: lengths, JSON, entries, offsets (contiguous, in bounds) and the file size. */
export async function readHeader(src: ByteSource): Promise<ParsedHeader> {
  const size = await src.size();
  if (size < 8) fail(`file is ${size} bytes, shorter than the 8-byte header length`);
  const head = await src.read(0, 8);
  if (head.length < 8) fail('file ends inside the 8-byte header length');
  const n64 = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n64 === 0n) fail('header length is 0');
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(n64);
  if (8 + n > size) fail(`header length ${n} runs past the end of the ${size}-byte file (truncated?)`);
  const raw = await src.read(8, n);
  if (raw.length < n) fail(`file ends inside the ${n}-byte header (truncated)`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    fail(`header is not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header JSON is not an object');
  const obj = json as Record<string, unknown>;
  const metaRaw = obj.__metadata__;
  if (typeof metaRaw !== 'object' || metaRaw === null || Array.isArray(metaRaw))
    fail('header has no __metadata__ object');
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(metaRaw as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`__metadata__ value "${k}" is not a string`);
    metadata[k] = v as string;
  }
  const tensors = new Map<string, TensorEntry>();
  for (const [name, e] of Object.entries(obj)) {
    if (name === '__metadata__') continue;
    const t = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof t !== 'object' || t === null) fail(`tensor "${name}" is not an object`);
    if (typeof t!.dtype !== 'string' || !(t!.dtype in DTYPE_BYTES))
      fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(t!.dtype)} (F64, F32, U8, I32)`);
    if (!Array.isArray(t!.shape) || !t!.shape.every(isNonNegInt))
      fail(`tensor "${name}" has an invalid shape ${JSON.stringify(t!.shape)}`);
    const off = t!.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isNonNegInt(off[0]) || !isNonNegInt(off[1]) || off[1] < off[0])
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    const dtype = t!.dtype as SafeDtype;
    const shape = t!.shape as number[];
    const [begin, end] = off as [number, number];
    const want = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end - begin !== want)
      fail(`tensor "${name}" holds ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${want}`);
    tensors.set(name, { name, dtype, shape, begin, end });
  }
  // Contiguous, non-overlapping, covering the data buffer (safetensors' own rule).
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const t of sorted) {
    if (t.begin < pos) fail(`tensor "${t.name}" overlaps another tensor (bytes ${t.begin}..${t.end})`);
    if (t.begin > pos) fail(`data buffer has a hole at bytes ${pos}..${t.begin} before tensor "${t.name}"`);
    pos = t.end;
  }
  const dataStart = 8 + n;
  if (dataStart + pos > size) fail(`tensors need ${pos} data bytes but the file holds ${size - dataStart} (truncated)`);
  if (dataStart + pos < size) fail(`file has ${size - dataStart - pos} bytes after the last tensor`);
  return { headerBytes: n, dataStart, dataBytes: pos, metadata, tensors };
}

/** Decodes little-endian tensor bytes into a fresh typed array (copied, so it is aligned). */
export function decodeTensor<D extends SafeDtype>(dtype: D, bytes: Uint8Array): TypedFor<D> {
  const copy = bytes.slice().buffer;
  const n = bytes.length / DTYPE_BYTES[dtype];
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!little && dtype !== 'U8') throw new Error('big-endian platforms are not supported');
  switch (dtype) {
    case 'F64':
      return new Float64Array(copy, 0, n) as TypedFor<D>;
    case 'F32':
      return new Float32Array(copy, 0, n) as TypedFor<D>;
    case 'I32':
      return new Int32Array(copy, 0, n) as TypedFor<D>;
    default:
      return new Uint8Array(copy, 0, n) as TypedFor<D>;
  }
}

/** The bytes of a typed array as stored (little-endian platforms: a view, no copy). */
export function tensorBytes(a: Float64Array | Float32Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A byte source over bytes already in memory. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: async () => bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

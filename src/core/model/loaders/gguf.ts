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
  namedTensors,
  q8_0At,
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

export type GgufValue = number | bigint | boolean | string | GgufValue[];

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
  private utf8 = new TextDecoder();
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
  string(what: string): string {
    const n = this.size(`${what} length`);
    this.need(n, what);
    const s = this.utf8.decode(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }
  value(type: number, what: string): GgufValue {
    const dv = this.dv;
    const fixed = (n: number, read: (o: number) => GgufValue) => {
      this.need(n, what);
      const v = read(this.offset);
      this.offset += n;
      return v;
    };
    switch (type) {
      case GgufValueType.UINT8:
        return fixed(1, (o) => dv.getUint8(o));
      case GgufValueType.INT8:
        return fixed(1, (o) => dv.getInt8(o));
      case GgufValueType.UINT16:
        return fixed(2, (o) => dv.getUint16(o, true));
      case GgufValueType.INT16:
        return fixed(2, (o) => dv.getInt16(o, true));
      case GgufValueType.UINT32:
        return fixed(4, (o) => dv.getUint32(o, true));
      case GgufValueType.INT32:
        return fixed(4, (o) => dv.getInt32(o, true));
      case GgufValueType.FLOAT32:
        return fixed(4, (o) => dv.getFloat32(o, true));
      case GgufValueType.BOOL:
        return fixed(1, (o) => dv.getUint8(o) !== 0);
      case GgufValueType.STRING:
        return this.string(what);
      case GgufValueType.UINT64:
        return fixed(8, (o) => dv.getBigUint64(o, true));
      case GgufValueType.INT64:
        return fixed(8, (o) => dv.getBigInt64(o, true));
      case GgufValueType.FLOAT64:
        return fixed(8, (o) => dv.getFloat64(o, true));
      case GgufValueType.ARRAY: {
        const itemType = this.u32(`${what} item type`);
        // Every item takes at least one byte, so the count is bounded by the bytes left.
        const n = this.size(`${what} count`, this.bytes.byteLength - this.offset);
        const out: GgufValue[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.value(itemType, what);
        return out;
      }
      default:
        throw new CheckpointError(`${this.file}: GGUF metadata ${what} has unknown value type ${type}`);
    }
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
  for (let i = 0; i < kvCount; i++) {
    const key = r.string(`key ${i}`);
    const type = r.u32(`type of ${key}`);
    metadata.set(key, r.value(type, key));
  }
  const alignmentValue = metadata.get('general.alignment') ?? 32;
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
  return { version, metadata, tensors, alignment, dataStart };
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

function metaNumber(g: GgufFile, key: string, fallback?: number): number {
  const v = g.metadata.get(key);
  if (v === undefined) {
    if (fallback === undefined) throw new CheckpointError(`GGUF metadata ${key} is missing`);
    return fallback;
  }
  if (typeof v !== 'number' && typeof v !== 'bigint')
    throw new CheckpointError(`GGUF metadata ${key} = ${String(v)} is not a number`);
  return Number(v);
}

export function loadGguf(bytes: Uint8Array, name = 'model.gguf'): LoadedCheckpoint {
  const g = parseGguf(bytes, name);
  const arch = g.metadata.get('general.architecture');
  if (arch !== 'llama')
    throw new CheckpointError(`${name}: GGUF architecture is ${JSON.stringify(arch)}; only "llama" is supported`);
  const emb = g.tensors.get('token_embd.weight');
  if (!emb || emb.dims.length !== 2) throw new CheckpointError(`${name}: GGUF has no 2-D token_embd.weight`);
  const dim = metaNumber(g, 'llama.embedding_length');
  const nHeads = metaNumber(g, 'llama.attention.head_count');
  const hasOutput = g.tensors.has('output.weight');
  const c: LlamaConfig = {
    dim,
    hiddenDim: metaNumber(g, 'llama.feed_forward_length'),
    nLayers: metaNumber(g, 'llama.block_count'),
    nHeads,
    nKvHeads: metaNumber(g, 'llama.attention.head_count_kv', nHeads),
    vocabSize: metaNumber(g, 'llama.vocab_size', emb.dims[1]),
    maxSeqLen: metaNumber(g, 'llama.context_length'),
    ropeTheta: shortestF32(metaNumber(g, 'llama.rope.freq_base', 10000)),
    normEps: shortestF32(metaNumber(g, 'llama.attention.layer_norm_rms_epsilon', 1e-5)),
    // llama.cpp ties the output to token_embd when output.weight is absent.
    sharedClassifier: !hasOutput,
  };
  const ropeDims = g.metadata.get('llama.rope.dimension_count');
  if (ropeDims !== undefined && Number(ropeDims) !== dim / nHeads) {
    throw new CheckpointError(
      `${name}: llama.rope.dimension_count ${ropeDims} differs from the head size ${dim / nHeads} (partial RoPE is not supported)`,
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
    tensors.push({
      name: cname,
      storedName: stored,
      shape,
      dtype: type.name,
      numel: shape.reduce((a, b) => a * b, 1),
      nanCount: 0,
    });
  }
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
  const warnings: string[] = [];
  const model: LlamaModel = { config: c, weights, source: { format: 'gguf', name, bytes: bytes.byteLength } };
  try {
    model.tokenizer = tokenizerFromGguf(g);
  } catch (e) {
    warnings.push(`tokenizer not loaded: ${(e as Error).message}`);
  }
  if (model.tokenizer && model.tokenizer.vocabSize !== c.vocabSize) {
    warnings.push(`tokenizer has ${model.tokenizer.vocabSize} tokens, the model ${c.vocabSize}`);
  }
  const report = finishReport(
    { format: 'gguf', variant: `GGUF v${g.version}`, name, bytes: bytes.byteLength, tensors, nanCount: 0, warnings },
    namedTensors(model),
  );
  return { model, report };
}

/** token_type values of GGUF (llama.cpp llama_token_type). */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

/**
 * The sentencepiece vocabulary of a GGUF (tokenizer.ggml.model "llama") as a llama2.c-style
 * tokenizer, the same conversion llama2.c's tokenizer.py export does: U+2581 becomes a space.
 */
export function tokenizerFromGguf(g: GgufFile): Llama2cTokenizer {
  const model = g.metadata.get('tokenizer.ggml.model');
  if (model === undefined) throw new Error('the GGUF has no tokenizer.ggml.model');
  if (model !== 'llama')
    throw new Error(`tokenizer.ggml.model is ${JSON.stringify(model)}; only "llama" (sentencepiece BPE) is supported`);
  const tokens = g.metadata.get('tokenizer.ggml.tokens');
  const scores = g.metadata.get('tokenizer.ggml.scores');
  const types = g.metadata.get('tokenizer.ggml.token_type');
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string'))
    throw new Error('tokenizer.ggml.tokens is missing or not a string array');
  if (!Array.isArray(scores) || scores.length !== tokens.length)
    throw new Error('tokenizer.ggml.scores is missing or has the wrong length');
  if (types !== undefined && (!Array.isArray(types) || types.length !== tokens.length))
    throw new Error('tokenizer.ggml.token_type has the wrong length');
  const enc = new TextEncoder();
  const pieces = (tokens as string[]).map((t) => enc.encode(t.replace(/\u2581/g, ' ')));
  const matchable = (types as number[] | undefined)?.map(
    (t) => t === TOKEN_TYPE.NORMAL || t === TOKEN_TYPE.USER_DEFINED,
  );
  return new Llama2cTokenizer(pieces, Float32Array.from(scores as number[]), Math.max(...pieces.map((p) => p.length)), {
    bosId: metaOpt(g, 'tokenizer.ggml.bos_token_id', 1),
    eosId: metaOpt(g, 'tokenizer.ggml.eos_token_id', 2),
    matchable,
    addDummyPrefix: g.metadata.get('tokenizer.ggml.add_space_prefix') !== false,
  });
}

function metaOpt(g: GgufFile, key: string, fallback: number): number {
  const v = g.metadata.get(key);
  return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : fallback;
}

// Byte-level builders for the hostile corpus: a GGUF writer that takes raw key/value payloads (so a
// file can lie about types, counts and nesting), a safetensors writer that takes any header JSON,
// and a minimal Hugging Face BPE tokenizer.json. They follow the format specifications and share no
// code with the loaders.

import type { LlamaModel } from '../../types';
import type { GgufKv, GgufTensorSpec } from '../fixtures';

const utf8 = new TextEncoder();

export class Bytes {
  private parts: number[] = [];
  private dv = new DataView(new ArrayBuffer(8));
  private push(n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(this.dv.getUint8(i));
    return this;
  }
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    this.dv.setUint32(0, v >>> 0, true);
    return this.push(4);
  }
  i32(v: number): this {
    this.dv.setInt32(0, v, true);
    return this.push(4);
  }
  f32(v: number): this {
    this.dv.setFloat32(0, v, true);
    return this.push(4);
  }
  u64(v: bigint | number): this {
    this.dv.setBigUint64(0, BigInt(v), true);
    return this.push(8);
  }
  i64(v: bigint | number): this {
    this.dv.setBigInt64(0, BigInt(v), true);
    return this.push(8);
  }
  str(s: string): this {
    const b = utf8.encode(s);
    this.u64(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A metadata pair as the file stores it: key, value type, value bytes. */
export interface RawKv {
  key: string;
  type: number;
  value: Uint8Array;
}

export const kv = {
  u32: (key: string, v: number): RawKv => ({ key, type: 4, value: new Bytes().u32(v).bytes() }),
  i32: (key: string, v: number): RawKv => ({ key, type: 5, value: new Bytes().i32(v).bytes() }),
  f32: (key: string, v: number): RawKv => ({ key, type: 6, value: new Bytes().f32(v).bytes() }),
  u64: (key: string, v: bigint): RawKv => ({ key, type: 10, value: new Bytes().u64(v).bytes() }),
  str: (key: string, v: string): RawKv => ({ key, type: 8, value: new Bytes().str(v).bytes() }),
  strings: (key: string, v: string[]): RawKv => {
    const b = new Bytes().u32(8).u64(v.length);
    v.forEach((s) => b.str(s));
    return { key, type: 9, value: b.bytes() };
  },
  f32s: (key: string, v: number[]): RawKv => {
    const b = new Bytes().u32(6).u64(v.length);
    v.forEach((x) => b.f32(x));
    return { key, type: 9, value: b.bytes() };
  },
  i32s: (key: string, v: number[]): RawKv => {
    const b = new Bytes().u32(5).u64(v.length);
    v.forEach((x) => b.i32(x));
    return { key, type: 9, value: b.bytes() };
  },
  raw: (key: string, type: number, value: Uint8Array): RawKv => ({ key, type, value }),
};

/** The fixtures' typed metadata as raw pairs. */
export function rawKvs(kvs: GgufKv[]): RawKv[] {
  return kvs.map((k) => {
    switch (k.type) {
      case 'u32':
        return kv.u32(k.key, k.value as number);
      case 'i32':
        return kv.i32(k.key, k.value as number);
      case 'f32':
        return kv.f32(k.key, k.value as number);
      case 'u64':
        return kv.u64(k.key, BigInt(k.value as number));
      case 'bool':
        return kv.raw(k.key, 7, Uint8Array.of(k.value ? 1 : 0));
      case 'string':
        return kv.str(k.key, k.value);
      case 'array-string':
        return kv.strings(k.key, k.value);
      case 'array-f32':
        return kv.f32s(k.key, k.value);
      case 'array-i32':
        return kv.i32s(k.key, k.value);
    }
  });
}

export interface GgufOptions {
  alignment?: number;
  /** Written instead of the real counts (lying headers). */
  tensorCount?: bigint;
  kvCount?: bigint;
  /** Tensor offsets written instead of the real ones, by tensor name. */
  offsets?: Record<string, bigint>;
  /** Filled in: where the data section starts and each tensor's absolute offset. */
  layout?: { dataStart: number; offsets: Record<string, number> };
}

export function writeRawGguf(kvs: RawKv[], tensors: GgufTensorSpec[], o: GgufOptions = {}): Uint8Array {
  const alignment = o.alignment ?? 32;
  const b = new Bytes().raw(utf8.encode('GGUF')).u32(3);
  b.u64(o.tensorCount ?? BigInt(tensors.length)).u64(o.kvCount ?? BigInt(kvs.length));
  for (const k of kvs) b.str(k.key).u32(k.type).raw(k.value);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const dims = t.rawDims ?? [...t.shape].reverse().map(BigInt);
    b.str(t.name).u32(dims.length);
    dims.forEach((d) => b.u64(d));
    b.u32(t.type).u64(o.offsets?.[t.name] ?? BigInt(offset));
    offsets.push(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  while (b.length % alignment !== 0) b.u8(0);
  const head = b.bytes();
  const out = new Uint8Array(head.length + offset);
  out.set(head);
  tensors.forEach((t, i) => out.set(t.data, head.length + offsets[i]));
  if (o.layout) {
    o.layout.dataStart = head.length;
    tensors.forEach((t, i) => (o.layout!.offsets[t.name] = head.length + offsets[i]));
  }
  return out;
}

/** A safetensors file from any header object (offsets as given) and a data section. */
export function writeRawSafetensors(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  let json = headerText ?? JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const j = utf8.encode(json);
  const out = new Uint8Array(8 + j.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(j.length), true);
  out.set(j, 8);
  out.set(data, 8 + j.length);
  return out;
}

/** A minimal BPE tokenizer.json over `pieces` (id = index), merging "a" + "b" style pairs listed in merges. */
export function bpeTokenizerJson(pieces: string[], merges: string[]): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: [0, 1, 2].map((id) => ({
      id,
      content: pieces[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: false,
      vocab: Object.fromEntries(pieces.map((p, i) => [p, i])),
      merges,
    },
  };
}

/** Pieces of a small vocabulary: <unk> <s> </s>, letters, then "ab"-style merges. */
export function smallVocab(n: number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const out = ['<unk>', '<s>', '</s>'];
  for (let i = 0; out.length < n; i++) out.push(i < 26 ? letters[i] : `${letters[i % 26]}${letters[(i / 26) | 0]}`);
  return out;
}

export const json = (v: unknown) => utf8.encode(JSON.stringify(v));

/** Exact V8 message of JSON.parse on some text (what "is not valid JSON" quotes). */
export function jsonParseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the text parses');
}

export type { LlamaModel };

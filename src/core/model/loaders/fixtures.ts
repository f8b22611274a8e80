// Writers of small checkpoint files in every format the loaders read, for tests (and for anyone who
// needs a fabricated GGUF / safetensors / llama2.c v1/v2 file). They follow the format
// specifications directly and share no layout code with the loaders.

import type { LlamaModel } from '../types';

const utf8 = new TextEncoder();

/** float32 -> IEEE half bits, round to nearest even, overflow to infinity. */
export function f32ToF16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** float32 -> bfloat16 bits, round to nearest even. */
export function f32ToBf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

export type FloatDtype = 'F32' | 'F16' | 'BF16';

export function encodeFloats(a: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = dtype === 'F16' ? f32ToF16Bits(a[i]) : f32ToBf16Bits(a[i]);
  return new Uint8Array(out.buffer);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- llama2.c v1 / v2 (export.py)

/** Q8_0 of llama2.c export.py quantize_q80: per group scale = max|w| / 127, q = round(w / scale). */
export function quantizeQ80(w: Float32Array, groupSize: number): { q: Int8Array; scales: Float32Array } {
  const q = new Int8Array(w.length);
  const scales = new Float32Array(w.length / groupSize);
  for (let g = 0; g < scales.length; g++) {
    let max = 0;
    for (let j = 0; j < groupSize; j++) max = Math.max(max, Math.abs(w[g * groupSize + j]));
    const s = Math.fround(max / 127);
    scales[g] = s;
    for (let j = 0; j < groupSize; j++)
      q[g * groupSize + j] = s === 0 ? 0 : Math.round(Math.fround(w[g * groupSize + j] / s));
  }
  return { q, scales };
}

/** llama2.c export.py version1_export (fp32) or version2_export (Q8_0, runq.c layout). */
export function writeLlama2cVersioned(model: LlamaModel, version: 1 | 2, groupSize = 64): Uint8Array {
  const c = model.config;
  const w = model.weights;
  const header = new Uint8Array(256);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, 0x616b3432, true);
  dv.setInt32(4, version, true);
  [c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.maxSeqLen].forEach((v, i) =>
    dv.setInt32(8 + 4 * i, v, true),
  );
  header[36] = c.sharedClassifier ? 1 : 0;
  if (version === 2) dv.setInt32(37, groupSize, true);
  const f32 = (a: Float32Array) => encodeFloats(a, 'F32');
  const norms = [...w.layers.map((l) => l.attnNorm), ...w.layers.map((l) => l.ffnNorm), w.finalNorm];
  const mats = [
    w.tokenEmbedding,
    ...w.layers.map((l) => l.q),
    ...w.layers.map((l) => l.k),
    ...w.layers.map((l) => l.v),
    ...w.layers.map((l) => l.o),
    ...w.layers.map((l) => l.gate),
    ...w.layers.map((l) => l.down),
    ...w.layers.map((l) => l.up),
    ...(c.sharedClassifier ? [] : [w.classifier]),
  ];
  const parts: Uint8Array[] = [header, ...norms.map(f32)];
  for (const m of mats) {
    if (version === 1) parts.push(f32(m));
    else {
      const { q, scales } = quantizeQ80(m, groupSize);
      parts.push(new Uint8Array(q.buffer), f32(scales));
    }
  }
  return concat(parts);
}

// ---------------------------------------------------------------- safetensors

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** A safetensors file: uint64 LE header size, JSON header (padded with spaces to 8 bytes), data. */
export function writeSafetensors(
  tensors: RawTensor[],
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const jsonBytes = utf8.encode(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  return concat([len, jsonBytes, ...tensors.map((t) => t.data)]);
}

/** HF convert_llama_weights_to_hf permute: view(n_heads, rows/n_heads/2, 2, cols).transpose(1, 2). */
export function hfPermute(w: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  const half = rows / nHeads / 2;
  const out = new Float32Array(rows * cols);
  // out index (h, j, i) <- in index (h, i, j), with the middle two axes swapped.
  for (let h = 0; h < nHeads; h++)
    for (let j = 0; j < 2; j++)
      for (let i = 0; i < half; i++) {
        const dst = ((h * 2 + j) * half + i) * cols;
        const src = ((h * half + i) * 2 + j) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
  return out;
}

/** The HF tensors (names, HF-permuted q/k) of a model, in a given dtype. */
export function hfTensors(model: LlamaModel, dtype: FloatDtype): RawTensor[] {
  const c = model.config;
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const t = (name: string, a: Float32Array, shape: number[]): RawTensor => ({
    name,
    dtype,
    shape,
    data: encodeFloats(a, dtype),
  });
  const out = [t('model.embed_tokens.weight', model.weights.tokenEmbedding, [c.vocabSize, c.dim])];
  model.weights.layers.forEach((l, i) => {
    const p = `model.layers.${i}.`;
    out.push(
      t(p + 'input_layernorm.weight', l.attnNorm, [c.dim]),
      t(p + 'self_attn.q_proj.weight', hfPermute(l.q, c.nHeads, c.dim, c.dim), [c.dim, c.dim]),
      t(p + 'self_attn.k_proj.weight', hfPermute(l.k, c.nKvHeads, kv, c.dim), [kv, c.dim]),
      t(p + 'self_attn.v_proj.weight', l.v, [kv, c.dim]),
      t(p + 'self_attn.o_proj.weight', l.o, [c.dim, c.dim]),
      t(p + 'post_attention_layernorm.weight', l.ffnNorm, [c.dim]),
      t(p + 'mlp.gate_proj.weight', l.gate, [c.hiddenDim, c.dim]),
      t(p + 'mlp.up_proj.weight', l.up, [c.hiddenDim, c.dim]),
      t(p + 'mlp.down_proj.weight', l.down, [c.dim, c.hiddenDim]),
    );
  });
  out.push(t('model.norm.weight', model.weights.finalNorm, [c.dim]));
  if (!c.sharedClassifier) out.push(t('lm_head.weight', model.weights.classifier, [c.vocabSize, c.dim]));
  return out;
}

export function hfConfig(model: LlamaModel): Record<string, unknown> {
  const c = model.config;
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen,
    rope_theta: c.ropeTheta,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.sharedClassifier,
    hidden_act: 'silu',
    torch_dtype: 'float32',
  };
}

/** A Hugging Face model folder as files: config.json plus one model.safetensors or `shards` shards with an index. */
export function hfFiles(model: LlamaModel, dtype: FloatDtype, shards = 1): { name: string; bytes: Uint8Array }[] {
  const tensors = hfTensors(model, dtype);
  const files: { name: string; bytes: Uint8Array }[] = [
    { name: 'config.json', bytes: utf8.encode(JSON.stringify(hfConfig(model))) },
  ];
  if (shards === 1) return [...files, { name: 'model.safetensors', bytes: writeSafetensors(tensors) }];
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(tensors.length / shards);
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    part.forEach((t) => (weightMap[t.name] = name));
    files.push({ name, bytes: writeSafetensors(part) });
  }
  files.push({
    name: 'model.safetensors.index.json',
    bytes: utf8.encode(JSON.stringify({ metadata: {}, weight_map: weightMap })),
  });
  return files;
}

// ---------------------------------------------------------------- GGUF

export type GgufKv =
  | { key: string; type: 'u32' | 'i32' | 'f32' | 'u64' | 'bool'; value: number | boolean }
  | { key: string; type: 'string'; value: string }
  | { key: string; type: 'array-string'; value: string[] }
  | { key: string; type: 'array-f32' | 'array-i32'; value: number[] };

export interface GgufTensorSpec {
  name: string;
  /** Row-major shape [rows, cols] or [n]; written innermost first as GGUF wants. */
  shape: number[];
  /** ggml type id: 0 F32, 1 F16, 8 Q8_0, 30 BF16 (or anything, with raw data). */
  type: number;
  data: Uint8Array;
  /** Overrides the dims written (for corrupt-file tests). */
  rawDims?: bigint[];
}

/** Q8_0 blocks of 32: f16 scale d = amax / 127, then 32 int8 round(x / d) (ggml quantize_row_q8_0). */
export function encodeQ8_0(a: Float32Array): Uint8Array {
  const out = new Uint8Array((a.length / 32) * 34);
  for (let b = 0; b < a.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(a[b * 32 + j]));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const h = f32ToF16Bits(d);
    out[b * 34] = h & 0xff;
    out[b * 34 + 1] = h >> 8;
    for (let j = 0; j < 32; j++) {
      const v = a[b * 32 + j] * id;
      out[b * 34 + 2 + j] = (Math.sign(v) * Math.round(Math.abs(v))) & 0xff; // roundf: halves away from zero
    }
  }
  return out;
}

export function writeGguf(
  kvs: GgufKv[],
  tensors: GgufTensorSpec[],
  options: { alignment?: number; version?: number; magic?: string } = {},
): Uint8Array {
  const alignment = options.alignment ?? 32;
  const parts: number[] = [];
  const bytesOut: Uint8Array[] = [];
  const flush = () => {
    bytesOut.push(Uint8Array.from(parts));
    parts.length = 0;
  };
  const buf = new DataView(new ArrayBuffer(8));
  const u32 = (v: number) => {
    buf.setUint32(0, v, true);
    for (let i = 0; i < 4; i++) parts.push(buf.getUint8(i));
  };
  const u64 = (v: bigint | number) => {
    buf.setBigUint64(0, BigInt(v), true);
    for (let i = 0; i < 8; i++) parts.push(buf.getUint8(i));
  };
  const i32 = (v: number) => {
    buf.setInt32(0, v, true);
    for (let i = 0; i < 4; i++) parts.push(buf.getUint8(i));
  };
  const f32 = (v: number) => {
    buf.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) parts.push(buf.getUint8(i));
  };
  const str = (s: string) => {
    const b = utf8.encode(s);
    u64(b.length);
    for (const x of b) parts.push(x);
  };
  for (const ch of options.magic ?? 'GGUF') parts.push(ch.charCodeAt(0));
  u32(options.version ?? 3);
  u64(tensors.length);
  u64(kvs.length);
  for (const kv of kvs) {
    str(kv.key);
    switch (kv.type) {
      case 'u32':
        u32(4);
        u32(kv.value as number);
        break;
      case 'i32':
        u32(5);
        i32(kv.value as number);
        break;
      case 'f32':
        u32(6);
        f32(kv.value as number);
        break;
      case 'bool':
        u32(7);
        parts.push(kv.value ? 1 : 0);
        break;
      case 'u64':
        u32(10);
        u64(kv.value as number);
        break;
      case 'string':
        u32(8);
        str(kv.value);
        break;
      case 'array-string':
        u32(9);
        u32(8);
        u64(kv.value.length);
        kv.value.forEach(str);
        break;
      case 'array-f32':
        u32(9);
        u32(6);
        u64(kv.value.length);
        kv.value.forEach(f32);
        break;
      case 'array-i32':
        u32(9);
        u32(5);
        u64(kv.value.length);
        kv.value.forEach(i32);
        break;
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    str(t.name);
    const dims = t.rawDims ?? [...t.shape].reverse().map(BigInt);
    u32(dims.length);
    dims.forEach((d) => u64(d));
    u32(t.type);
    u64(offset);
    offsets.push(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  while (parts.length % alignment !== 0) parts.push(0);
  flush();
  const headerLength = bytesOut[0].length;
  const out = new Uint8Array(headerLength + offset);
  out.set(bytesOut[0]);
  tensors.forEach((t, i) => out.set(t.data, headerLength + offsets[i]));
  return out;
}

/** GGUF tensor specs of a model (Meta/interleaved q/k, as llama.cpp stores them), every matrix in `matrixType`. */
export function ggufTensors(model: LlamaModel, matrixType: 0 | 1 | 8 | 30 = 0): GgufTensorSpec[] {
  const c = model.config;
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const enc = (a: Float32Array, type: number) =>
    type === 0
      ? encodeFloats(a, 'F32')
      : type === 1
        ? encodeFloats(a, 'F16')
        : type === 30
          ? encodeFloats(a, 'BF16')
          : encodeQ8_0(a);
  const mat = (name: string, a: Float32Array, shape: number[]): GgufTensorSpec => ({
    name,
    shape,
    type: matrixType,
    data: enc(a, matrixType),
  });
  const vec = (name: string, a: Float32Array): GgufTensorSpec => ({
    name,
    shape: [a.length],
    type: 0,
    data: enc(a, 0),
  });
  const out = [mat('token_embd.weight', model.weights.tokenEmbedding, [c.vocabSize, c.dim])];
  model.weights.layers.forEach((l, i) => {
    const p = `blk.${i}.`;
    out.push(
      vec(p + 'attn_norm.weight', l.attnNorm),
      mat(p + 'attn_q.weight', l.q, [c.dim, c.dim]),
      mat(p + 'attn_k.weight', l.k, [kv, c.dim]),
      mat(p + 'attn_v.weight', l.v, [kv, c.dim]),
      mat(p + 'attn_output.weight', l.o, [c.dim, c.dim]),
      vec(p + 'ffn_norm.weight', l.ffnNorm),
      mat(p + 'ffn_gate.weight', l.gate, [c.hiddenDim, c.dim]),
      mat(p + 'ffn_up.weight', l.up, [c.hiddenDim, c.dim]),
      mat(p + 'ffn_down.weight', l.down, [c.dim, c.hiddenDim]),
    );
  });
  out.push(vec('output_norm.weight', model.weights.finalNorm));
  if (!c.sharedClassifier) out.push(mat('output.weight', model.weights.classifier, [c.vocabSize, c.dim]));
  return out;
}

/** llama.cpp's llama metadata for a model, plus an optional sentencepiece vocabulary. */
export function ggufLlamaMetadata(
  model: LlamaModel,
  vocab?: { tokens: string[]; scores: number[]; types: number[] },
): GgufKv[] {
  const c = model.config;
  const kvs: GgufKv[] = [
    { key: 'general.architecture', type: 'string', value: 'llama' },
    { key: 'general.name', type: 'string', value: 'fixture' },
    { key: 'llama.context_length', type: 'u32', value: c.maxSeqLen },
    { key: 'llama.embedding_length', type: 'u32', value: c.dim },
    { key: 'llama.block_count', type: 'u32', value: c.nLayers },
    { key: 'llama.feed_forward_length', type: 'u32', value: c.hiddenDim },
    { key: 'llama.rope.dimension_count', type: 'u32', value: c.dim / c.nHeads },
    { key: 'llama.attention.head_count', type: 'u32', value: c.nHeads },
    { key: 'llama.attention.head_count_kv', type: 'u32', value: c.nKvHeads },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: 'f32', value: c.normEps },
    { key: 'llama.rope.freq_base', type: 'f32', value: c.ropeTheta },
    { key: 'general.alignment', type: 'u32', value: 32 },
  ];
  if (vocab) {
    kvs.push(
      { key: 'tokenizer.ggml.model', type: 'string', value: 'llama' },
      { key: 'tokenizer.ggml.tokens', type: 'array-string', value: vocab.tokens },
      { key: 'tokenizer.ggml.scores', type: 'array-f32', value: vocab.scores },
      { key: 'tokenizer.ggml.token_type', type: 'array-i32', value: vocab.types },
      { key: 'tokenizer.ggml.bos_token_id', type: 'u32', value: 1 },
      { key: 'tokenizer.ggml.eos_token_id', type: 'u32', value: 2 },
    );
  }
  return kvs;
}

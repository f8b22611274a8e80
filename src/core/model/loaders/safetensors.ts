// Hugging Face LlamaForCausalLM checkpoints: model.safetensors (or shards listed in
// model.safetensors.index.json) + config.json (+ tokenizer.json, wrapped by the caller).
// safetensors: uint64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the data; offsets are relative to the end of the header.
// HF permutes q/k rows for rotate-half RoPE; they are permuted back to the interleaved order here.

import type { LlamaConfig, LlamaModel, Tokenizer } from '../types';
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
  unpermuteHfRows,
  type LoadedCheckpoint,
  type TensorReport,
} from './common';
import { canonicalShape } from './llama2c';

const MAX_HEADER_BYTES = 100_000_000;
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

interface SafetensorsEntry {
  file: string;
  dtype: string;
  shape: number[];
  /** Absolute byte range inside the file. */
  begin: number;
  end: number;
  bytes: Uint8Array;
}

/** A safetensors file starts with a plausible header length followed by '{'. */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 10) return false;
  const n = Number(dataView(bytes).getBigUint64(0, true));
  return n > 1 && n <= bytes.byteLength - 8 && bytes[8] === 0x7b;
}

/** Parses and validates one file's header (no tensor data is read). */
export function readSafetensorsHeader(bytes: Uint8Array, file: string): Map<string, SafetensorsEntry> {
  if (bytes.byteLength < 8)
    throw new CheckpointError(
      `truncated file: ${file} has ${formatBytes(bytes.byteLength)}, a safetensors header needs at least 8`,
    );
  const n = dataView(bytes).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    throw new CheckpointError(
      n > BigInt(MAX_HEADER_BYTES)
        ? `${file}: declared safetensors header of ${n} bytes is implausibly large: not a safetensors file?`
        : `truncated file: ${file} declares a ${n}-byte header, but only ${formatBytes(bytes.byteLength - 8)} follow`,
    );
  }
  const headerLength = Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${file}: safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new CheckpointError(`${file}: safetensors header is not a JSON object`);
  const dataStart = 8 + headerLength;
  const out = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (
      typeof v?.dtype !== 'string' ||
      !Array.isArray(v.shape) ||
      !Array.isArray(v.data_offsets) ||
      v.data_offsets.length !== 2
    ) {
      throw new CheckpointError(`${file}: tensor ${name} has a malformed header entry`);
    }
    const shape = v.shape as unknown[];
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      throw new CheckpointError(`${file}: tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    const [b, e] = v.data_offsets as unknown[];
    if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e) || (b as number) < 0 || (e as number) < (b as number)) {
      throw new CheckpointError(`${file}: tensor ${name} has invalid data_offsets ${JSON.stringify(v.data_offsets)}`);
    }
    const begin = dataStart + (b as number);
    const end = dataStart + (e as number);
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    const width = DTYPE_BYTES[v.dtype];
    // Shape and byte range must agree before anything is allocated (numel may be astronomically large).
    if (width !== undefined && numel * width !== end - begin) {
      throw new CheckpointError(
        `${file}: tensor ${name} is ${v.dtype} [${shape.join(', ')}] = ${numel} elements (${formatBytes(numel * width)}) but its data_offsets span ${formatBytes(end - begin)}`,
      );
    }
    if (end > bytes.byteLength) {
      throw new CheckpointError(
        `truncated file: ${file} tensor ${name} needs bytes up to ${formatBytes(end)}, the file has ${formatBytes(bytes.byteLength)}`,
      );
    }
    out.set(name, { file, dtype: v.dtype, shape: shape as number[], begin, end, bytes });
  }
  return out;
}

function hfName(canonical: string): string {
  const parts = canonical.split('.');
  if (parts.length === 1) {
    return {
      tokenEmbedding: 'model.embed_tokens.weight',
      finalNorm: 'model.norm.weight',
      classifier: 'lm_head.weight',
    }[canonical]!;
  }
  const leaf = {
    attnNorm: 'input_layernorm',
    q: 'self_attn.q_proj',
    k: 'self_attn.k_proj',
    v: 'self_attn.v_proj',
    o: 'self_attn.o_proj',
    ffnNorm: 'post_attention_layernorm',
    gate: 'mlp.gate_proj',
    up: 'mlp.up_proj',
    down: 'mlp.down_proj',
  }[parts[2]]!;
  return `model.layers.${parts[1]}.${leaf}.weight`;
}

function num(config: Record<string, unknown>, key: string, fallback?: number): number {
  const v = config[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new CheckpointError(`config.json has no ${key}`);
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new CheckpointError(`config.json: ${key} = ${JSON.stringify(v)} is not a number`);
  return v;
}

/** LlamaConfig from a Hugging Face config.json (LlamaForCausalLM). */
export function configFromHf(config: Record<string, unknown>): { config: LlamaConfig; warnings: string[] } {
  const warnings: string[] = [];
  const archs = Array.isArray(config.architectures) ? (config.architectures as string[]) : [];
  if (config.model_type !== 'llama' && !archs.includes('LlamaForCausalLM')) {
    throw new CheckpointError(
      `config.json describes model_type ${JSON.stringify(config.model_type)} (architectures ${JSON.stringify(archs)}); only Llama (LlamaForCausalLM) is supported`,
    );
  }
  if (config.rope_scaling !== undefined && config.rope_scaling !== null) {
    throw new CheckpointError(
      `config.json: rope_scaling ${JSON.stringify(config.rope_scaling)} is not supported (plain RoPE only)`,
    );
  }
  if (config.attention_bias === true || config.mlp_bias === true)
    throw new CheckpointError('config.json: attention/MLP biases are not supported');
  if (config.hidden_act !== undefined && config.hidden_act !== 'silu')
    throw new CheckpointError(
      `config.json: hidden_act ${JSON.stringify(config.hidden_act)} is not supported (silu only)`,
    );
  const dim = num(config, 'hidden_size');
  const nHeads = num(config, 'num_attention_heads');
  const c: LlamaConfig = {
    dim,
    hiddenDim: num(config, 'intermediate_size'),
    nLayers: num(config, 'num_hidden_layers'),
    nHeads,
    nKvHeads: num(config, 'num_key_value_heads', nHeads),
    vocabSize: num(config, 'vocab_size'),
    maxSeqLen: num(config, 'max_position_embeddings'),
    ropeTheta: num(config, 'rope_theta', 10000),
    // transformers' LlamaConfig defaults: rms_norm_eps 1e-6, tie_word_embeddings false.
    normEps: num(config, 'rms_norm_eps', 1e-6),
    sharedClassifier: config.tie_word_embeddings === true,
  };
  const headDim = config.head_dim;
  if (headDim !== undefined && headDim !== null && headDim !== dim / nHeads) {
    throw new CheckpointError(
      `config.json: head_dim ${headDim} differs from hidden_size / num_attention_heads = ${dim / nHeads} (not supported)`,
    );
  }
  try {
    validateConfig(c);
  } catch (e) {
    throw new CheckpointError(`config.json: ${(e as Error).message}`);
  }
  return { config: c, warnings };
}

export interface SafetensorsInput {
  shards: { name: string; bytes: Uint8Array }[];
  config: Record<string, unknown>;
  index?: { weight_map?: Record<string, string> };
  tokenizer?: Tokenizer;
}

export function loadSafetensors(input: SafetensorsInput): LoadedCheckpoint {
  const { config: c, warnings } = configFromHf(input.config);
  const shardNames = new Set(input.shards.map((s) => s.name));
  if (input.index) {
    const map = input.index.weight_map;
    if (!map || typeof map !== 'object') throw new CheckpointError('model.safetensors.index.json has no weight_map');
    const missing = [...new Set(Object.values(map))].filter((f) => !shardNames.has(f));
    if (missing.length > 0)
      throw new CheckpointError(
        `missing safetensors shards listed in the index: ${missing.join(', ')} (given: ${[...shardNames].join(', ')})`,
      );
  } else if (input.shards.length > 1) {
    warnings.push(
      `${input.shards.length} safetensors files without model.safetensors.index.json; tensors are taken from whichever file has them`,
    );
  }
  const entries = new Map<string, SafetensorsEntry>();
  for (const s of input.shards) {
    for (const [name, e] of readSafetensorsHeader(s.bytes, s.name)) {
      if (entries.has(name))
        throw new CheckpointError(`tensor ${name} appears in both ${entries.get(name)!.file} and ${s.name}`);
      entries.set(name, e);
    }
  }
  if (!c.sharedClassifier && !entries.has('lm_head.weight')) {
    throw new CheckpointError('config.json says tie_word_embeddings is false but there is no lm_head.weight');
  }

  const kvRows = (c.dim / c.nHeads) * c.nKvHeads;
  const tensors: TensorReport[] = [];
  const used = new Set<string>();
  // Check every expected tensor before converting any of them.
  for (const name of canonicalNames(c)) {
    const stored = hfName(name);
    const e = entries.get(stored);
    if (!e) throw new CheckpointError(`tensor ${stored} is missing from ${[...shardNames].join(', ')}`);
    const shape = canonicalShape(c, name);
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `tensor ${stored} has shape [${e.shape.join(', ')}], config.json implies [${shape.join(', ')}]`,
      );
    }
    if (DTYPE_BYTES[e.dtype] === undefined)
      throw new CheckpointError(`tensor ${stored} has dtype ${e.dtype}; supported: F32, F16, BF16`);
    used.add(stored);
    tensors.push({
      name,
      storedName: stored,
      shape,
      dtype: e.dtype,
      numel: shape.reduce((a, b) => a * b, 1),
      nanCount: 0,
    });
  }
  const unused = [...entries.keys()].filter((n) => !used.has(n) && !/rotary_emb\.inv_freq$/.test(n));
  if (c.sharedClassifier && unused.includes('lm_head.weight')) unused.splice(unused.indexOf('lm_head.weight'), 1);
  if (unused.length > 0)
    warnings.push(
      `ignored ${unused.length} tensors not used by a Llama model: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', ...' : ''}`,
    );

  const convert = (name: string): Float32Array => {
    const e = entries.get(hfName(name))!;
    const n = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
    const offset = e.begin;
    const a =
      e.dtype === 'F32'
        ? float32At(e.bytes, offset, n)
        : e.dtype === 'F16'
          ? float16At(e.bytes, offset, n)
          : bfloat16At(e.bytes, offset, n);
    const leaf = name.split('.').pop();
    if (leaf === 'q') return unpermuteHfRows(a, c.nHeads, c.dim, c.dim);
    if (leaf === 'k') return unpermuteHfRows(a, c.nKvHeads, kvRows, c.dim);
    return a;
  };
  if (input.tokenizer && input.tokenizer.vocabSize > c.vocabSize) {
    warnings.push(
      `tokenizer has ${input.tokenizer.vocabSize} tokens but the model only ${c.vocabSize}: ids above ${c.vocabSize - 1} cannot be scored`,
    );
  }
  const weights = assembleWeights(c, convert);
  const totalBytes = input.shards.reduce((a, s) => a + s.bytes.byteLength, 0);
  const name =
    input.shards.length === 1 ? input.shards[0].name : `${input.shards[0].name} (+${input.shards.length - 1} shards)`;
  const model: LlamaModel = {
    config: c,
    weights,
    tokenizer: input.tokenizer,
    source: { format: 'safetensors', name, bytes: totalBytes },
  };
  const report = finishReport(
    {
      format: 'safetensors',
      variant: `safetensors, ${input.shards.length} file${input.shards.length > 1 ? 's' : ''}`,
      name,
      bytes: totalBytes,
      tensors,
      nanCount: 0,
      warnings,
    },
    namedTensors(model),
  );
  return { model, report };
}

// GGUF (llama.cpp) checkpoints with architecture "llama": the container is read by ggufFile.ts
// (tests cross-check it against @huggingface/gguf), the vocabulary by ggufTokenizer.ts; this module
// maps llama.* metadata and tensors to a LlamaModel.
// llama.cpp's converters store q/k in the interleaved (Meta) order ("reverse HF permute"), which
// is what the engine uses, so no permutation happens here.

import type { LlamaConfig, LlamaModel } from '../types';
import { validateConfig } from '../types';
import {
  assembleWeights,
  bfloat16At,
  canonicalNames,
  CheckpointError,
  finishReport,
  float16At,
  float32At,
  namedTensors,
  q8_0At,
  tensorRow,
  type LoadedCheckpoint,
  type TensorReport,
} from './common';
import { describeKey, GGML_TYPE_NAMES, GGML_TYPES, parseGguf, type GgufFile } from './ggufFile';
import { ggufTokenizer } from './ggufTokenizer';
import { canonicalShape } from './llama2c';

export * from './ggufFile';
export { ggufTokenizer } from './ggufTokenizer';

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

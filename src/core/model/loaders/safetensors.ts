// Hugging Face LlamaForCausalLM checkpoints: model.safetensors (or shards listed in
// model.safetensors.index.json) + config.json (+ tokenizer.json, wrapped by the caller).
// safetensors: uint64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the data; offsets are relative to the end of the header.
// HF permutes q/k rows for rotate-half RoPE; they are permuted back to the interleaved order here.

import type { LlamaConfig, LlamaModel, Tokenizer } from '../types';
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
  tensorRow,
  unpermuteHfRows,
  type LoadedCheckpoint,
  type LoadReport,
  type TensorReport,
} from './common';
import { configFromHf } from './hfConfig';
import { asObject, describeJson, Fields } from './json';
import { canonicalShape } from './llama2c';
import { fitTokenizer } from '../../tokenizer/fit';

export { configFromHf } from './hfConfig';

const MAX_HEADER_BYTES = 100_000_000;
/** Element widths of every safetensors dtype (the loader converts F32, F16 and BF16). */
const SAFETENSORS_DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
};
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsEntry {
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

/** Bytes a header-only reader needs: 8, then 8 + the declared header length. */
export function safetensorsHeaderLength(first8: Uint8Array): number {
  return 8 + Number(dataView(first8).getBigUint64(0, true));
}

/**
 * Parses and validates one file's header (no tensor data is read). `fileSize` is the whole file's
 * size when `bytes` holds only its first 8 + N bytes (a header-only check). The data offsets must
 * tile the data exactly, as the safetensors format requires: no overlaps, holes or trailing bytes.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  file: string,
  fileSize = bytes.byteLength,
): Map<string, SafetensorsEntry> {
  if (fileSize < 8)
    throw new CheckpointError(
      `truncated file: ${file} has ${formatBytes(fileSize)}, a safetensors header needs at least 8`,
    );
  const n = dataView(bytes).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, fileSize - 8))) {
    throw new CheckpointError(
      n > BigInt(MAX_HEADER_BYTES)
        ? `${file}: declared safetensors header of ${n} bytes is implausibly large: not a safetensors file?`
        : `truncated file: ${file} declares a ${n}-byte header, but only ${formatBytes(fileSize - 8)} follow`,
    );
  }
  const headerLength = Number(n);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new CheckpointError(`${file}: safetensors header is not valid JSON (${(e as Error).message})`);
  }
  const header = asObject(parsed, file, 'the safetensors header');
  const dataStart = 8 + headerLength;
  const out = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      const meta = asObject(value, file, '__metadata__');
      for (const [k, v] of Object.entries(meta))
        if (typeof v !== 'string')
          throw new CheckpointError(`${file}: __metadata__.${k} must be a string, found ${describeJson(v)}`);
      continue;
    }
    const f = new Fields(asObject(value, file, `tensor ${name}`), file, `tensor ${name} `);
    const dtype = f.string('dtype');
    const shape = f.array('shape');
    const offsets = f.array('data_offsets');
    if (dtype === undefined || !shape || !offsets)
      throw new CheckpointError(
        `${file}: tensor ${name} has no ${dtype === undefined ? 'dtype' : shape ? 'data_offsets' : 'shape'}`,
      );
    const width = SAFETENSORS_DTYPE_BYTES[dtype];
    if (width === undefined)
      throw new CheckpointError(`${file}: tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      throw new CheckpointError(`${file}: tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    const [b, e] = offsets;
    if (
      offsets.length !== 2 ||
      !Number.isSafeInteger(b) ||
      !Number.isSafeInteger(e) ||
      (b as number) < 0 ||
      (e as number) < (b as number)
    ) {
      throw new CheckpointError(`${file}: tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const begin = dataStart + (b as number);
    const end = dataStart + (e as number);
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    // Shape and byte range must agree before anything is allocated (numel may be astronomically large).
    if (numel * width !== end - begin) {
      const exact = (shape as number[]).reduce((a, d) => a * BigInt(d), 1n);
      throw new CheckpointError(
        `${file}: tensor ${name} is ${dtype} [${shape.join(', ')}] = ${exact} elements (${(exact * BigInt(width)).toLocaleString('en-US')} bytes) but its data_offsets span ${formatBytes(end - begin)}`,
      );
    }
    if (end > fileSize) {
      throw new CheckpointError(
        `truncated file: ${file} tensor ${name} needs bytes up to ${formatBytes(end)}, the file has ${formatBytes(fileSize)}`,
      );
    }
    out.set(name, { file, dtype, shape: shape as number[], begin, end, bytes });
  }
  checkTiling(out, file, dataStart, fileSize);
  return out;
}

/** The format's rule (safetensors `validate`): sorted by offset, each tensor starts where the last ended, the last ends the file. */
function checkTiling(entries: Map<string, SafetensorsEntry>, file: string, dataStart: number, fileSize: number): void {
  const sorted = [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  let prev: [string, SafetensorsEntry] | undefined;
  const span = (e: SafetensorsEntry) => `[${e.begin - dataStart}, ${e.end - dataStart}]`;
  for (const [name, e] of sorted) {
    if (e.begin < cursor)
      throw new CheckpointError(
        `${file}: tensors ${prev![0]} and ${name} overlap (data_offsets ${span(prev![1])} and ${span(e)})`,
      );
    if (e.begin > cursor)
      throw new CheckpointError(
        `${file}: ${formatBytes(e.begin - cursor)} before tensor ${name} (data_offsets ${span(e)}) belong to no tensor${prev ? ` (the previous, ${prev[0]}, ends at ${prev[1].end - dataStart})` : ''}; safetensors data must be contiguous`,
      );
    cursor = e.end;
    prev = [name, e];
  }
  if (cursor !== fileSize)
    throw new CheckpointError(
      `${file}: ${formatBytes(fileSize - cursor)} after the last tensor${prev ? ` (${prev[0]} ends at data offset ${cursor - dataStart})` : ''} belong to no tensor; safetensors data must end with the last tensor`,
    );
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

export interface SafetensorsShard {
  name: string;
  /** The whole file, or (header-only inspection) its first 8 + N header bytes. */
  bytes: Uint8Array;
  /** The file's size when `bytes` holds only the header. */
  size?: number;
}

export interface SafetensorsInput {
  shards: SafetensorsShard[];
  config: unknown;
  index?: unknown;
  tokenizer?: Tokenizer;
}

/** What the headers say, checked against config.json and the index; no tensor data read. */
export interface SafetensorsHeaderInfo {
  config: LlamaConfig;
  report: LoadReport;
  entries: Map<string, SafetensorsEntry>;
  tokenizer?: Tokenizer;
  /** The shards actually used (those the index names, when there is one). */
  shards: SafetensorsShard[];
}

const INDEX = 'model.safetensors.index.json';

function indexWeightMap(index: unknown): Map<string, string> {
  const f = new Fields(asObject(index, INDEX), INDEX);
  const map = f.object('weight_map');
  if (!map) throw new CheckpointError(`${INDEX} has no weight_map`);
  const out = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string')
      throw new CheckpointError(`${INDEX}: weight_map.${tensor} must be a file name, found ${describeJson(shard)}`);
    out.set(tensor, shard);
  }
  return out;
}

/** Validates config.json, the index and every shard header; used by loadSafetensors and header-only checks. */
export function inspectSafetensors(input: SafetensorsInput): SafetensorsHeaderInfo {
  const { config: c, warnings } = configFromHf(input.config);
  let shards = input.shards;
  const weightMap = input.index === undefined ? undefined : indexWeightMap(input.index);
  if (weightMap) {
    const listed = new Set(weightMap.values());
    const given = new Set(shards.map((s) => s.name));
    const missing = [...listed].filter((f) => !given.has(f));
    if (missing.length > 0)
      throw new CheckpointError(
        `missing safetensors shards listed in the index: ${missing.join(', ')} (given: ${[...given].join(', ')})`,
      );
    const extra = shards.filter((s) => !listed.has(s.name));
    if (extra.length > 0) {
      warnings.push(`ignored ${extra.map((s) => s.name).join(', ')}: not listed in ${INDEX}`);
      shards = shards.filter((s) => listed.has(s.name));
    }
  } else if (shards.length > 1) {
    warnings.push(
      `${shards.length} safetensors files without ${INDEX}; tensors are taken from whichever file has them`,
    );
  }
  const shardNames = shards.map((s) => s.name);
  const entries = new Map<string, SafetensorsEntry>();
  for (const s of shards) {
    for (const [name, e] of readSafetensorsHeader(s.bytes, s.name, s.size ?? s.bytes.byteLength)) {
      if (entries.has(name))
        throw new CheckpointError(`tensor ${name} appears in both ${entries.get(name)!.file} and ${s.name}`);
      const listedIn = weightMap?.get(name);
      if (weightMap && listedIn !== s.name)
        throw new CheckpointError(
          listedIn === undefined
            ? `tensor ${name} of ${s.name} is not in ${INDEX}`
            : `tensor ${name} is in ${s.name} but ${INDEX} puts it in ${listedIn}`,
        );
      entries.set(name, e);
    }
  }
  for (const [name, shard] of weightMap ?? [])
    if (!entries.has(name))
      throw new CheckpointError(`${INDEX} lists tensor ${name} in ${shard}, which has no such tensor`);
  if (!c.sharedClassifier && !entries.has('lm_head.weight')) {
    throw new CheckpointError('config.json says tie_word_embeddings is false but there is no lm_head.weight');
  }

  const tensors: TensorReport[] = [];
  const used = new Set<string>();
  // Check every expected tensor before converting any of them.
  for (const name of canonicalNames(c)) {
    const stored = hfName(name);
    const e = entries.get(stored);
    if (!e) throw new CheckpointError(`tensor ${stored} is missing from ${shardNames.join(', ')}`);
    const shape = canonicalShape(c, name);
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `tensor ${stored} has shape [${e.shape.join(', ')}], config.json implies [${shape.join(', ')}]`,
      );
    }
    if (DTYPE_BYTES[e.dtype] === undefined)
      throw new CheckpointError(`tensor ${stored} has dtype ${e.dtype}; supported: F32, F16, BF16`);
    used.add(stored);
    tensors.push(tensorRow(name, stored, shape, e.dtype));
  }
  const unused = [...entries.keys()].filter((n) => !used.has(n) && !/rotary_emb\.inv_freq$/.test(n));
  if (c.sharedClassifier && unused.includes('lm_head.weight')) unused.splice(unused.indexOf('lm_head.weight'), 1);
  if (unused.length > 0)
    warnings.push(
      `ignored ${unused.length} tensors not used by a Llama model: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', ...' : ''}`,
    );
  let tokenizer: Tokenizer | undefined;
  if (input.tokenizer) {
    const fit = fitTokenizer(input.tokenizer, c.vocabSize, 'tokenizer.json');
    tokenizer = fit.tokenizer;
    if (fit.warning) warnings.push(fit.warning);
  }
  const totalBytes = shards.reduce((a, s) => a + (s.size ?? s.bytes.byteLength), 0);
  const name = shards.length === 1 ? shards[0].name : `${shards[0].name} (+${shards.length - 1} shards)`;
  const report: LoadReport = {
    format: 'safetensors',
    variant: `safetensors, ${shards.length} file${shards.length > 1 ? 's' : ''}`,
    name,
    bytes: totalBytes,
    tensors,
    nanCount: 0,
    nonFinite: { nan: 0, inf: 0 },
    warnings,
  };
  return { config: c, report, entries, tokenizer, shards };
}

export function loadSafetensors(input: SafetensorsInput): LoadedCheckpoint {
  const { config: c, report, entries, tokenizer, shards } = inspectSafetensors(input);
  for (const s of shards)
    if (s.size !== undefined && s.size !== s.bytes.byteLength)
      throw new CheckpointError(`${s.name}: only its header was read; loading the weights needs the whole file`);
  const kvRows = (c.dim / c.nHeads) * c.nKvHeads;
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
  const weights = assembleWeights(c, convert);
  const model: LlamaModel = {
    config: c,
    weights,
    tokenizer,
    source: { format: 'safetensors', name: report.name, bytes: report.bytes },
  };
  return { model, report: finishReport(report, namedTensors(model)) };
}

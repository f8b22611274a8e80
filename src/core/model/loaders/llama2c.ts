// llama2.c checkpoints (karpathy/llama2.c). Legacy "version 0" (run.c's format): 7 int32 then
// float32 arrays. Versions 1 (fp32) and 2 (int8 Q8_0) from export.py start with the magic "ak42".
// Layout notes are in ../shared/data/PROVENANCE.md and llama2.c export.py.

import { validateConfig, type LayerWeights, type LlamaConfig, type LlamaModel } from '../types';
import {
  CheckpointError,
  dataView,
  finishReport,
  float32At,
  formatBytes,
  namedTensors,
  requireBytes,
  tensorRow,
  type LoadedCheckpoint,
  type LoadReport,
  type TensorReport,
} from './common';

/** uint32 little-endian of the first 4 bytes of a version 1/2 file (export.py writes 0x616b3432). */
export const LLAMA2C_MAGIC = 0x616b3432;
const LEGACY_HEADER_BYTES = 28;
/** Declared sizes above this are rejected outright (no Llama checkpoint here comes close). */
const MAX_DIM = 1 << 20;

export function isLlama2cVersioned(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && dataView(bytes).getUint32(0, true) === LLAMA2C_MAGIC;
}

/** Reads a llama2.c checkpoint (legacy v0, or v1/v2 with the "ak42" magic). */
export function parseLlama2c(bytes: Uint8Array, name = 'model.bin'): LlamaModel {
  return loadLlama2c(bytes, name).model;
}

export function loadLlama2c(bytes: Uint8Array, name = 'model.bin'): LoadedCheckpoint {
  if (isLlama2cVersioned(bytes)) return loadVersioned(bytes, name);
  return loadLegacy(bytes, name);
}

function headerConfig(ints: number[], sharedClassifier: boolean, what: string): LlamaConfig {
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen] = ints;
  const names = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'];
  ints.forEach((v, i) => {
    if (!(v > 0 && v <= MAX_DIM)) {
      throw new CheckpointError(
        `${what}: header field ${names[i]} = ${v} is out of range (1..${MAX_DIM}); header (${ints.join(', ')}) — not a llama2.c checkpoint?`,
      );
    }
  });
  const config: LlamaConfig = {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize,
    maxSeqLen,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier,
  };
  try {
    validateConfig(config);
  } catch (e) {
    throw new CheckpointError(`${what}: ${(e as Error).message} (header ${ints.join(', ')})`);
  }
  return config;
}

interface Cursor {
  offset: number;
}

/** One fp32 array per layer stacked in the file: [layers, rows, cols]. */
function takeStacked(bytes: Uint8Array, cur: Cursor, layers: number, per: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let l = 0; l < layers; l++) {
    out.push(float32At(bytes, cur.offset, per));
    cur.offset += per * 4;
  }
  return out;
}

/** Float counts of the legacy layout, for the size check before anything is read. */
function legacyFloatCount(c: LlamaConfig): number {
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const head = c.dim / c.nHeads;
  const perLayer = 2 * c.dim + 2 * c.dim * c.dim + 2 * kv * c.dim + 3 * c.hiddenDim * c.dim;
  return (
    c.vocabSize * c.dim +
    c.nLayers * perLayer +
    c.dim +
    c.maxSeqLen * head +
    (c.sharedClassifier ? 0 : c.vocabSize * c.dim)
  );
}

function loadLegacy(bytes: Uint8Array, name: string): LoadedCheckpoint {
  if (bytes.byteLength < LEGACY_HEADER_BYTES) {
    throw new CheckpointError(
      `truncated file: a llama2.c checkpoint starts with a ${LEGACY_HEADER_BYTES}-byte header, the file has ${formatBytes(bytes.byteLength)}`,
    );
  }
  const dv = dataView(bytes);
  const ints = Array.from({ length: 7 }, (_, i) => dv.getInt32(4 * i, true));
  // Negative vocab_size means the classifier is stored separately (run.c convention).
  const sharedClassifier = ints[5] > 0;
  ints[5] = Math.abs(ints[5]);
  const config = headerConfig(ints, sharedClassifier, 'llama2.c v0 checkpoint');
  const expected = LEGACY_HEADER_BYTES + 4 * legacyFloatCount(config);
  if (bytes.byteLength < expected) {
    throw new CheckpointError(
      `truncated file: llama2.c v0 header (${ints.join(', ')}) implies ${formatBytes(expected)}, the file has ${formatBytes(bytes.byteLength)}`,
    );
  }
  if (bytes.byteLength > expected) {
    throw new CheckpointError(
      `llama2.c v0 header (${ints.join(', ')}) implies ${formatBytes(expected)}, but the file has ${formatBytes(bytes.byteLength)} ` +
        `(${formatBytes(bytes.byteLength - expected)} too many): not a legacy llama2.c checkpoint, or a different layout`,
    );
  }

  const c = config;
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const head = c.dim / c.nHeads;
  const L = c.nLayers;
  const cur: Cursor = { offset: LEGACY_HEADER_BYTES };
  const tokenEmbedding = float32At(bytes, cur.offset, c.vocabSize * c.dim);
  cur.offset += c.vocabSize * c.dim * 4;
  const attnNorm = takeStacked(bytes, cur, L, c.dim);
  const q = takeStacked(bytes, cur, L, c.dim * c.dim);
  const k = takeStacked(bytes, cur, L, kv * c.dim);
  const v = takeStacked(bytes, cur, L, kv * c.dim);
  const o = takeStacked(bytes, cur, L, c.dim * c.dim);
  const ffnNorm = takeStacked(bytes, cur, L, c.dim);
  const gate = takeStacked(bytes, cur, L, c.hiddenDim * c.dim);
  const down = takeStacked(bytes, cur, L, c.dim * c.hiddenDim);
  const up = takeStacked(bytes, cur, L, c.hiddenDim * c.dim);
  const finalNorm = float32At(bytes, cur.offset, c.dim);
  cur.offset += c.dim * 4;
  cur.offset += c.maxSeqLen * head * 4; // freq_cis_real and freq_cis_imag, [seq_len, head/2] each: unused
  let classifier = tokenEmbedding;
  if (!c.sharedClassifier) {
    classifier = float32At(bytes, cur.offset, c.vocabSize * c.dim);
    cur.offset += c.vocabSize * c.dim * 4;
  }
  requireBytes(bytes, 0, cur.offset, 'llama2.c v0 layout');

  const layers = layersFromStacks({ attnNorm, q, k, v, o, ffnNorm, gate, up, down });
  const model: LlamaModel = {
    config: c,
    weights: { tokenEmbedding, layers, finalNorm, classifier },
    source: { format: 'llama2c', name, bytes: bytes.byteLength },
  };
  const report = baseReport(model, 'llama2.c v0 (legacy)', name, bytes.byteLength, () => 'F32');
  return { model, report: finishReport(report, namedTensors(model)) };
}

/** llama2.c names of our canonical tensors (they are unnamed in the file; these follow run.c). */
const LLAMA2C_NAMES: Record<string, string> = {
  tokenEmbedding: 'token_embedding_table',
  attnNorm: 'rms_att_weight',
  q: 'wq',
  k: 'wk',
  v: 'wv',
  o: 'wo',
  ffnNorm: 'rms_ffn_weight',
  gate: 'w1',
  down: 'w2',
  up: 'w3',
  finalNorm: 'rms_final_weight',
  classifier: 'wcls',
};

/** Shape of a canonical tensor under a config. */
export function canonicalShape(c: LlamaConfig, name: string): number[] {
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const leaf = name.split('.').pop()!;
  switch (leaf) {
    case 'tokenEmbedding':
    case 'classifier':
      return [c.vocabSize, c.dim];
    case 'attnNorm':
    case 'ffnNorm':
    case 'finalNorm':
      return [c.dim];
    case 'q':
    case 'o':
      return [c.dim, c.dim];
    case 'k':
    case 'v':
      return [kv, c.dim];
    case 'gate':
    case 'up':
      return [c.hiddenDim, c.dim];
    case 'down':
      return [c.dim, c.hiddenDim];
  }
  throw new Error(`unknown tensor name ${name}`);
}

function baseReport(
  model: LlamaModel,
  variant: string,
  name: string,
  size: number,
  dtypeOf: (leaf: string) => string,
): LoadReport {
  const tensors: TensorReport[] = [];
  for (const [tname, a] of namedTensors(model)) {
    const parts = tname.split('.');
    const leaf = parts[parts.length - 1];
    const stored = parts.length === 3 ? `${LLAMA2C_NAMES[leaf]}[${parts[1]}]` : LLAMA2C_NAMES[leaf];
    const row = tensorRow(tname, stored, canonicalShape(model.config, tname), dtypeOf(leaf));
    row.numel = a.length;
    tensors.push(row);
  }
  return {
    format: 'llama2c',
    variant,
    name,
    bytes: size,
    tensors,
    nanCount: 0,
    nonFinite: { nan: 0, inf: 0 },
    warnings: [],
  };
}

const VERSIONED_HEADER_BYTES = 256;

/**
 * Versions 1 and 2 (export.py version1_export / version2_export): 256-byte header = uint32 magic,
 * int32 version, 7 int32 params, uint8 shared_classifier, (v2) int32 group_size at byte 37.
 * v1 body (fp32): rms_att[L], rms_ffn[L], rms_final, token_embedding, wq[L], wk[L], wv[L], wo[L],
 *   w1[L], w2[L], w3[L], then the classifier when not shared.
 * v2 body: the norms in fp32 as above, then each quantized tensor (token_embedding, wq[L] ... w3[L],
 *   classifier when not shared) as int8 values immediately followed by its fp32 per-group scales
 *   (the layout runq.c reads; an early export.py wrote all scales at the end, which has the same
 *   size and cannot be told apart).
 */
function loadVersioned(bytes: Uint8Array, name: string): LoadedCheckpoint {
  const dv = dataView(bytes);
  const version = dv.getInt32(4, true);
  if (version !== 1 && version !== 2) {
    throw new CheckpointError(`llama2.c checkpoint version ${version} is not supported (versions 0, 1 and 2 are)`);
  }
  const what = `llama2.c v${version} checkpoint`;
  if (bytes.byteLength < VERSIONED_HEADER_BYTES) {
    throw new CheckpointError(
      `truncated file: a ${what} starts with a ${VERSIONED_HEADER_BYTES}-byte header, the file has ${formatBytes(bytes.byteLength)}`,
    );
  }
  const ints = Array.from({ length: 7 }, (_, i) => dv.getInt32(8 + 4 * i, true));
  const flag = bytes[36];
  if (flag > 1) throw new CheckpointError(`${what}: shared_classifier flag is ${flag}, expected 0 or 1`);
  const c = headerConfig(ints, flag === 1, what);
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const L = c.nLayers;
  const sizes = {
    embedding: c.vocabSize * c.dim,
    q: c.dim * c.dim,
    k: kv * c.dim,
    v: kv * c.dim,
    o: c.dim * c.dim,
    gate: c.hiddenDim * c.dim,
    down: c.dim * c.hiddenDim,
    up: c.hiddenDim * c.dim,
  };
  const normFloats = 2 * L * c.dim + c.dim;
  const matrixFloats =
    sizes.embedding * (c.sharedClassifier ? 1 : 2) +
    L * (sizes.q + sizes.k + sizes.v + sizes.o + sizes.gate + sizes.down + sizes.up);

  let groupSize = 0;
  let expected: number;
  if (version === 1) {
    expected = VERSIONED_HEADER_BYTES + 4 * (normFloats + matrixFloats);
  } else {
    groupSize = dv.getInt32(37, true);
    if (!(groupSize > 0 && groupSize <= MAX_DIM))
      throw new CheckpointError(`${what}: group_size ${groupSize} is out of range`);
    for (const [key, n] of Object.entries(sizes)) {
      if (n % groupSize !== 0)
        throw new CheckpointError(`${what}: ${key} has ${n} elements, not a multiple of group_size ${groupSize}`);
    }
    // int8 values plus one fp32 scale per group.
    expected = VERSIONED_HEADER_BYTES + 4 * normFloats + matrixFloats + (4 * matrixFloats) / groupSize;
  }
  if (bytes.byteLength !== expected) {
    throw new CheckpointError(
      bytes.byteLength < expected
        ? `truncated file: ${what} header (${ints.join(', ')}${version === 2 ? `, group ${groupSize}` : ''}) implies ${formatBytes(expected)}, the file has ${formatBytes(bytes.byteLength)}`
        : `${what} header (${ints.join(', ')}) implies ${formatBytes(expected)}, but the file has ${formatBytes(bytes.byteLength)}: a different layout?`,
    );
  }

  const cur: Cursor = { offset: VERSIONED_HEADER_BYTES };
  const attnNorm = takeStacked(bytes, cur, L, c.dim);
  const ffnNorm = takeStacked(bytes, cur, L, c.dim);
  const finalNorm = float32At(bytes, cur.offset, c.dim);
  cur.offset += c.dim * 4;
  const take =
    version === 1
      ? (n: number) => {
          const a = float32At(bytes, cur.offset, n);
          cur.offset += n * 4;
          return a;
        }
      : (n: number) => {
          const a = dequantizeQ8Groups(bytes, cur.offset, n, groupSize);
          cur.offset += n + (4 * n) / groupSize;
          return a;
        };
  const tokenEmbedding = take(sizes.embedding);
  const stack = (n: number) => Array.from({ length: L }, () => take(n));
  const q = stack(sizes.q);
  const k = stack(sizes.k);
  const v = stack(sizes.v);
  const o = stack(sizes.o);
  const gate = stack(sizes.gate);
  const down = stack(sizes.down);
  const up = stack(sizes.up);
  const classifier = c.sharedClassifier ? tokenEmbedding : take(sizes.embedding);
  requireBytes(bytes, 0, cur.offset, `${what} layout`);

  const layers = layersFromStacks({ attnNorm, q, k, v, o, ffnNorm, gate, up, down });
  const model: LlamaModel = {
    config: c,
    weights: { tokenEmbedding, layers, finalNorm, classifier },
    source: { format: 'llama2c', name, bytes: bytes.byteLength },
  };
  const variant = version === 1 ? 'llama2.c v1 (fp32)' : `llama2.c v2 (int8 Q8_0, group ${groupSize})`;
  const report = baseReport(model, variant, name, bytes.byteLength, (leaf) =>
    version === 2 && !leaf.endsWith('Norm') ? `Q8_0/${groupSize}` : 'F32',
  );
  return { model, report: finishReport(report, namedTensors(model)) };
}

/** n int8 values at `offset` followed by n/groupSize fp32 scales: value * scale of its group. */
function dequantizeQ8Groups(bytes: Uint8Array, offset: number, n: number, groupSize: number): Float32Array {
  const scales = float32At(bytes, offset + n, n / groupSize);
  const out = new Float32Array(n);
  const q = new Int8Array(bytes.buffer, bytes.byteOffset + offset, n);
  for (let g = 0, i = 0; g < scales.length; g++) {
    const s = scales[g];
    for (let j = 0; j < groupSize; j++, i++) out[i] = q[i] * s;
  }
  return out;
}

/** Per-layer weights from the per-tensor stacks llama2.c files store (every layer of one tensor together). */
function layersFromStacks(stacks: { [K in keyof LayerWeights]: Float32Array[] }): LayerWeights[] {
  return stacks.q.map((_, l) => ({
    attnNorm: stacks.attnNorm[l],
    q: stacks.q[l],
    k: stacks.k[l],
    v: stacks.v[l],
    o: stacks.o[l],
    ffnNorm: stacks.ffnNorm[l],
    gate: stacks.gate[l],
    up: stacks.up[l],
    down: stacks.down[l],
  }));
}

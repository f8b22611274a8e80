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
    c.vocabSize * c.dim + c.nLayers * perLayer + c.dim + c.maxSeqLen * head + (c.sharedClassifier ? 0 : c.vocabSize * c.dim)
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

  const layers: LayerWeights[] = [];
  for (let l = 0; l < L; l++) {
    layers.push({ attnNorm: attnNorm[l], q: q[l], k: k[l], v: v[l], o: o[l], ffnNorm: ffnNorm[l], gate: gate[l], up: up[l], down: down[l] });
  }
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

function baseReport(model: LlamaModel, variant: string, name: string, size: number, dtypeOf: (leaf: string) => string): LoadReport {
  const tensors: TensorReport[] = [];
  for (const [tname, a] of namedTensors(model)) {
    const parts = tname.split('.');
    const leaf = parts[parts.length - 1];
    const stored = parts.length === 3 ? `${LLAMA2C_NAMES[leaf]}[${parts[1]}]` : LLAMA2C_NAMES[leaf];
    tensors.push({ name: tname, storedName: stored, shape: canonicalShape(model.config, tname), dtype: dtypeOf(leaf), numel: a.length, nanCount: 0 });
  }
  return { format: 'llama2c', variant, name, bytes: size, tensors, nanCount: 0, warnings: [] };
}

function loadVersioned(bytes: Uint8Array, name: string): LoadedCheckpoint {
  const version = dataView(bytes).getInt32(4, true);
  throw new CheckpointError(`llama2.c checkpoint version ${version} is not supported yet (${name})`);
}

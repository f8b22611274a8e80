// Shared pieces of every checkpoint loader: the error type, the load report, bounds-checked binary
// reading and float conversions. Loaders validate every declared size against the bytes actually
// present before allocating anything, so a hostile or truncated header fails fast with a message.

import type { LayerWeights, LlamaConfig, LlamaModel, LlamaWeights } from '../types';

export type CheckpointFormat = 'llama2c' | 'gguf' | 'safetensors';

/** A checkpoint that cannot be loaded: truncated, foreign, inconsistent or unsupported. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** One tensor as the file stores it. */
export interface TensorReport {
  /** Our canonical name (tokenEmbedding, layers.3.q, finalNorm, classifier, ...). */
  name: string;
  /** The name inside the file (e.g. blk.3.attn_q.weight), or a description for unnamed llama2.c arrays. */
  storedName: string;
  /** Shape as [rows, cols] (row-major, out x in) or [n] for vectors. */
  shape: number[];
  /** Element type as stored in the file: F32, F16, BF16, Q8_0, ... */
  dtype: string;
  numel: number;
  /** NaN values in the loaded (dequantized) float32 tensor (the same as nonFinite.nan). */
  nanCount: number;
  /** NaN and ±Inf values in the loaded (dequantized) float32 tensor, counted separately. */
  nonFinite: NonFiniteCount;
}

export interface NonFiniteCount {
  nan: number;
  /** +Inf and -Inf together. */
  inf: number;
}

export interface LoadReport {
  format: CheckpointFormat;
  /** Format-specific variant, e.g. "llama2.c v0 (legacy)" or "GGUF v3". */
  variant: string;
  name: string;
  bytes: number;
  tensors: TensorReport[];
  /** NaN weights over all tensors; loaders load them (so they can be inspected) and callers warn. */
  nanCount: number;
  /** NaN and ±Inf weights over all tensors (nan equals nanCount). */
  nonFinite: NonFiniteCount;
  /** Non-fatal oddities worth showing to the user. */
  warnings: string[];
}

export interface LoadedCheckpoint {
  model: LlamaModel;
  report: LoadReport;
}

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function formatBytes(n: number): string {
  return `${n.toLocaleString('en-US')} bytes`;
}

/** Throws a truncation error when [offset, offset + length) is not inside the file. */
export function requireBytes(bytes: Uint8Array, offset: number, length: number, what: string): void {
  if (!Number.isFinite(length) || length < 0 || offset + length > bytes.byteLength) {
    throw new CheckpointError(
      `truncated file: ${what} needs ${formatBytes(offset + length)} but the file has ${formatBytes(bytes.byteLength)}`,
    );
  }
}

export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * float32 little-endian array at `offset`: a zero-copy view when aligned on a little-endian host,
 * otherwise one copy. Callers have already checked the range.
 */
export function float32At(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const abs = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && abs % 4 === 0) return new Float32Array(bytes.buffer, abs, count);
  const out = new Float32Array(count);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4));
  } else {
    const dv = dataView(bytes);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(offset + 4 * i, true);
  }
  return out;
}

const f16Table = (() => {
  // All 65536 half values, so conversion is one lookup per element.
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v: number;
    if (exp === 0) v = frac * 2 ** -24;
    else if (exp === 31) v = frac ? NaN : Infinity;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    t[h] = sign * v;
  }
  return t;
})();

export function f16ToF32(h: number): number {
  return f16Table[h & 0xffff];
}

function u16At(bytes: Uint8Array, offset: number, count: number): Uint16Array {
  const abs = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && abs % 2 === 0) return new Uint16Array(bytes.buffer, abs, count);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes[offset + 2 * i] | (bytes[offset + 2 * i + 1] << 8);
  return out;
}

export function float16At(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const src = u16At(bytes, offset, count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = f16Table[src[i]];
  return out;
}

export function bfloat16At(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const src = u16At(bytes, offset, count);
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
  return out;
}

/** GGML Q8_0: blocks of 34 bytes, an f16 scale then 32 int8 values. */
export function q8_0At(bytes: Uint8Array, offset: number, count: number): Float32Array {
  if (count % 32 !== 0)
    throw new CheckpointError(`Q8_0 tensor of ${count} elements is not a whole number of 32-blocks`);
  const out = new Float32Array(count);
  for (let b = 0, o = offset; b < count / 32; b++, o += 34) {
    const d = f16Table[bytes[o] | (bytes[o + 1] << 8)];
    for (let j = 0; j < 32; j++) out[b * 32 + j] = d * ((bytes[o + 2 + j] << 24) >> 24);
  }
  return out;
}

export function countNaN(a: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) n++;
  return n;
}

/** NaN and ±Inf counted apart (v - v is NaN exactly for both, so finite values cost one test). */
export function countNonFinite(a: Float32Array): NonFiniteCount {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
    }
  }
  return { nan, inf };
}

/** A fresh tensor row (counts filled in by finishReport). */
export function tensorRow(name: string, storedName: string, shape: number[], dtype: string): TensorReport {
  return {
    name,
    storedName,
    shape,
    dtype,
    numel: shape.reduce((a, b) => a * b, 1),
    nanCount: 0,
    nonFinite: { nan: 0, inf: 0 },
  };
}

function listTensors(rows: TensorReport[], count: (t: TensorReport) => number): string {
  const worst = rows.filter((t) => count(t) > 0).map((t) => `${t.name} (${count(t)})`);
  return `${worst.length} tensor${worst.length === 1 ? '' : 's'}: ${worst.slice(0, 5).join(', ')}${worst.length > 5 ? ', ...' : ''}`;
}

/** Adds the NaN / Inf counts to each tensor and the total, and a warning naming the tensors when any are present. */
export function finishReport(report: LoadReport, arrays: Map<string, Float32Array>): LoadReport {
  const total: NonFiniteCount = { nan: 0, inf: 0 };
  for (const t of report.tensors) {
    const a = arrays.get(t.name);
    t.nonFinite = a ? countNonFinite(a) : { nan: 0, inf: 0 };
    t.nanCount = t.nonFinite.nan;
    total.nan += t.nonFinite.nan;
    total.inf += t.nonFinite.inf;
  }
  report.nanCount = total.nan;
  report.nonFinite = total;
  if (total.nan > 0)
    report.warnings.push(`${total.nan} NaN weight values in ${listTensors(report.tensors, (t) => t.nonFinite.nan)}`);
  if (total.inf > 0)
    report.warnings.push(
      `${total.inf} infinite (±Inf) weight values in ${listTensors(report.tensors, (t) => t.nonFinite.inf)}`,
    );
  return report;
}

/** The model's tensors by canonical name, in file-independent order (shared classifier listed once). */
export function namedTensors(model: LlamaModel): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  const w = model.weights;
  m.set('tokenEmbedding', w.tokenEmbedding);
  w.layers.forEach((l, i) => {
    m.set(`layers.${i}.attnNorm`, l.attnNorm);
    m.set(`layers.${i}.q`, l.q);
    m.set(`layers.${i}.k`, l.k);
    m.set(`layers.${i}.v`, l.v);
    m.set(`layers.${i}.o`, l.o);
    m.set(`layers.${i}.ffnNorm`, l.ffnNorm);
    m.set(`layers.${i}.gate`, l.gate);
    m.set(`layers.${i}.up`, l.up);
    m.set(`layers.${i}.down`, l.down);
  });
  m.set('finalNorm', w.finalNorm);
  if (!model.config.sharedClassifier) m.set('classifier', w.classifier);
  return m;
}

/** Builds the weights from a source that returns each canonical tensor (already shape-checked by it). */
export function assembleWeights(c: LlamaConfig, get: (name: string) => Float32Array): LlamaWeights {
  const tokenEmbedding = get('tokenEmbedding');
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    layers.push({
      attnNorm: get(`layers.${i}.attnNorm`),
      q: get(`layers.${i}.q`),
      k: get(`layers.${i}.k`),
      v: get(`layers.${i}.v`),
      o: get(`layers.${i}.o`),
      ffnNorm: get(`layers.${i}.ffnNorm`),
      gate: get(`layers.${i}.gate`),
      up: get(`layers.${i}.up`),
      down: get(`layers.${i}.down`),
    });
  }
  const finalNorm = get('finalNorm');
  const classifier = c.sharedClassifier ? tokenEmbedding : get('classifier');
  return { tokenEmbedding, layers, finalNorm, classifier };
}

/** Canonical tensor names of a config, in file-independent order (classifier only when separate). */
export function canonicalNames(c: LlamaConfig): string[] {
  const names = ['tokenEmbedding'];
  for (let i = 0; i < c.nLayers; i++) {
    for (const leaf of ['attnNorm', 'q', 'k', 'v', 'o', 'ffnNorm', 'gate', 'up', 'down'])
      names.push(`layers.${i}.${leaf}`);
  }
  names.push('finalNorm');
  if (!c.sharedClassifier) names.push('classifier');
  return names;
}

/**
 * Undoes Hugging Face's q/k row permutation (convert_llama_weights_to_hf `permute`): HF stores,
 * per head, the even-indexed rotary rows first then the odd ones (rotate-half RoPE); the engine
 * uses the interleaved (Meta / llama2.c) order. meta[h*hs + 2i + j] = hf[h*hs + j*hs/2 + i].
 */
export function unpermuteHfRows(hf: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  const hs = rows / nHeads;
  const half = hs / 2;
  const out = new Float32Array(rows * cols);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * hs + j * half + i) * cols;
        out.set(hf.subarray(src, src + cols), (h * hs + 2 * i + j) * cols);
      }
    }
  }
  return out;
}

/** The inverse of unpermuteHfRows (what HF's converter does), for writers and tests. */
export function permuteToHfRows(meta: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  const hs = rows / nHeads;
  const half = hs / 2;
  const out = new Float32Array(rows * cols);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * hs + 2 * i + j) * cols;
        out.set(meta.subarray(src, src + cols), (h * hs + j * half + i) * cols);
      }
    }
  }
  return out;
}

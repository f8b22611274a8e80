// A table of broken checkpoint and tokenizer files, generated on demand (never committed), each with
// the exact message the loaders must give (in the spirit of Netron's test/models.json). A case
// either fails with `error` or loads with `warning` among the report's warnings. Expected byte
// counts and offsets are the corpus' own arithmetic on the files it writes.

import { randomModel, type LlamaConfig, type LlamaModel } from '../../types';
import { writeLlama2c } from '../../writers/llama2c';
import { writeLlama2cTokenizer } from '../../writers/llama2cTokenizer';
import { ggufLlamaMetadata, ggufTensors, hfConfig, hfTensors, writeLlama2cVersioned } from '../fixtures';
import type { FloatDtype, RawTensor } from '../fixtures';
import { EXPECTED_FORMATS } from '../index';
import {
  bpeTokenizerJson,
  Bytes,
  json,
  jsonParseError,
  kv,
  rawKvs,
  smallVocab,
  writeRawGguf,
  writeRawSafetensors,
} from './build';
import type { RawKv } from './build';

export type HostileFormat = 'llama2c' | 'gguf' | 'safetensors' | 'tokenizer.bin' | 'tokenizer.json';
export type HostileKind =
  | 'truncation'
  | 'lying-header'
  | 'bad-json'
  | 'overlap'
  | 'deep-nesting'
  | 'huge-count'
  | 'non-finite'
  | 'wrong-type'
  | 'out-of-range';

export interface HostileFile {
  name: string;
  bytes: Uint8Array;
}

export interface HostileCase {
  /** Unique, usable as a folder name. */
  id: string;
  format: HostileFormat;
  kind: HostileKind;
  /** The model's files (one file, or a Hugging Face folder). */
  files: HostileFile[];
  /** Given separately (CLI --tokenizer); loadCheckpoint also finds a tokenizer.bin beside a .bin. */
  tokenizer?: HostileFile;
  /** Exact message of the load error. */
  error?: string;
  /** Exact text of one warning of a successful load. */
  warning?: string;
}

const bytesOf = (n: number) => `${n.toLocaleString('en-US')} bytes`;
const utf8 = new TextEncoder();

export const HOSTILE_CONFIG: LlamaConfig = {
  dim: 8,
  hiddenDim: 16,
  nLayers: 1,
  nHeads: 2,
  nKvHeads: 1,
  vocabSize: 8,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

function withWeights(m: LlamaModel, edit: (m: LlamaModel) => void): LlamaModel {
  const copy = randomModel(m.config, 7);
  edit(copy);
  return copy;
}

function llama2cCases(): HostileCase[] {
  const m = randomModel(HOSTILE_CONFIG, 7);
  const v0 = writeLlama2c(m);
  const n = v0.length;
  const head = '8, 16, 1, 2, 1, 8, 16';
  const withInt = (i: number, v: number) => {
    const b = v0.slice();
    new DataView(b.buffer).setInt32(4 * i, v, true);
    return b;
  };
  const v1 = writeLlama2cVersioned(m, 1);
  const v2 = writeLlama2cVersioned(m, 2, 8);
  const patch = (b: Uint8Array, _at: number, f: (dv: DataView) => void) => {
    const c = b.slice();
    f(new DataView(c.buffer));
    return c;
  };
  const cannotTell = (name: string, size: number, why: string) =>
    `cannot tell the format of ${name} (${bytesOf(size)}) (as a llama2.c checkpoint: ${why}); ${EXPECTED_FORMATS}`;
  const one = (id: string, kind: HostileKind, bytes: Uint8Array, expect: { error?: string; warning?: string }) => ({
    id: `llama2c-${id}`,
    format: 'llama2c' as const,
    kind,
    files: [{ name: 'model.bin', bytes }],
    ...expect,
  });
  // Non-finite weights: -Inf in the embedding, +Inf in q, NaN in the final norm (float32 offsets in the v0 layout).
  const nonFinite = writeLlama2c(
    withWeights(m, (x) => {
      x.weights.tokenEmbedding[3] = -Infinity;
      x.weights.layers[0].q[0] = Infinity;
      x.weights.finalNorm[0] = NaN;
    }),
  );
  // v2: header 256, norms (2 * 1 * 8 + 8 floats), then the embedding's 64 int8 and its first group scale.
  const scaleAt = 256 + 4 * 24 + 64;
  return [
    one('cut-by-one', 'truncation', v0.subarray(0, n - 1), {
      error: `truncated file: llama2.c v0 header (${head}) implies ${bytesOf(n)}, the file has ${bytesOf(n - 1)}`,
    }),
    one('ten-bytes', 'truncation', v0.subarray(0, 10), {
      error: cannotTell(
        'model.bin',
        10,
        'truncated file: a llama2.c checkpoint starts with a 28-byte header, the file has 10 bytes',
      ),
    }),
    one('dim-2^30', 'lying-header', withInt(0, 2 ** 30), {
      error: cannotTell(
        'model.bin',
        n,
        'llama2.c v0 checkpoint: header field dim = 1073741824 is out of range (1..1048576); header (1073741824, 16, 1, 2, 1, 8, 16) — not a llama2.c checkpoint?',
      ),
    }),
    one('four-extra-bytes', 'lying-header', Uint8Array.from([...v0, 0, 0, 0, 0]), {
      error: `llama2.c v0 header (${head}) implies ${bytesOf(n)}, but the file has ${bytesOf(n + 4)} (4 bytes too many): not a legacy llama2.c checkpoint, or a different layout`,
    }),
    one('million-layers', 'huge-count', withInt(2, 1_000_000), {
      // 28 + 4 x (embedding 64 + layers x 592 + final norm 8 + RoPE table 16 x 4)
      error: `truncated file: llama2.c v0 header (8, 16, 1000000, 2, 1, 8, 16) implies ${bytesOf(28 + 4 * (64 + 1_000_000 * 592 + 8 + 64))}, the file has ${bytesOf(n)}`,
    }),
    one(
      'v1-flag-7',
      'wrong-type',
      patch(v1, 36, (dv) => dv.setUint8(36, 7)),
      {
        error: 'llama2.c v1 checkpoint: shared_classifier flag is 7, expected 0 or 1',
      },
    ),
    one(
      'v1-version-9',
      'lying-header',
      patch(v1, 4, (dv) => dv.setInt32(4, 9, true)),
      {
        error: 'llama2.c checkpoint version 9 is not supported (versions 0, 1 and 2 are)',
      },
    ),
    one(
      'v2-group-0',
      'out-of-range',
      patch(v2, 37, (dv) => dv.setInt32(37, 0, true)),
      {
        error: 'llama2.c v2 checkpoint: group_size 0 is out of range',
      },
    ),
    one('v1-cut', 'truncation', v1.subarray(0, v1.length - 4), {
      error: `truncated file: llama2.c v1 checkpoint header (${head}) implies ${bytesOf(v1.length)}, the file has ${bytesOf(v1.length - 4)}`,
    }),
    one('inf-and-nan-weights', 'non-finite', nonFinite, {
      warning: '2 infinite (±Inf) weight values in 2 tensors: tokenEmbedding (1), layers.0.q (1)',
    }),
    one(
      'v2-nan-scale',
      'non-finite',
      patch(v2, scaleAt, (dv) => dv.setFloat32(scaleAt, NaN, true)),
      {
        warning: '8 NaN weight values in 1 tensor: tokenEmbedding (8)',
      },
    ),
  ];
}

const GGUF_VOCAB = smallVocab(8);

function ggufCases(): HostileCase[] {
  const m = randomModel({ ...HOSTILE_CONFIG, sharedClassifier: false }, 9);
  const vocab = (tokens: string[]) => ({
    tokens,
    scores: tokens.map((_, i) => -i),
    types: tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : 1)),
  });
  const meta = (edit: (kvs: RawKv[]) => RawKv[] = (k) => k, tokens = GGUF_VOCAB) =>
    edit(rawKvs(ggufLlamaMetadata(m, vocab(tokens))));
  const replace = (key: string, v: RawKv) => (kvs: RawKv[]) => kvs.map((k) => (k.key === key ? v : k));
  const tensors = ggufTensors(m, 0);
  const good = writeRawGguf(meta(), tensors);
  // Where pair i starts: magic, version and the two counts (24 bytes), then (8 + key, 4, value) per pair.
  const keyStart = (i: number) =>
    24 +
    meta()
      .slice(0, i)
      .reduce((a, k) => a + 8 + k.key.length + 4 + k.value.length, 0);
  const file = (bytes: Uint8Array) => [{ name: 'model.gguf', bytes }];
  const one = (id: string, kind: HostileKind, bytes: Uint8Array, expect: { error?: string; warning?: string }) => ({
    id: `gguf-${id}`,
    format: 'gguf' as const,
    kind,
    files: file(bytes),
    ...expect,
  });
  const impossible = (what: string, v: bigint | number, size: number) =>
    `model.gguf: GGUF ${what} = ${v} is impossible for a file of ${bytesOf(size)} (truncated, corrupt or not a GGUF file)`;
  // 50,000 nested one-element arrays around an empty uint8 array (683 KB in the find).
  const nest = new Bytes();
  for (let i = 0; i < 50_000; i++) nest.u32(9).u64(1);
  nest.u32(0).u64(0);
  const deep = writeRawGguf([...meta(), kv.raw('evil.nest', 9, nest.bytes())], tensors);
  // A header that says 2^40 tensors, 2^62 pairs, a trillion tokens.
  const manyTensors = writeRawGguf(meta(), tensors, { tensorCount: 2n ** 40n });
  const manyKvs = writeRawGguf(meta(), tensors, { kvCount: 2n ** 62n });
  const trillion = writeRawGguf(
    meta(
      replace(
        'tokenizer.ggml.tokens',
        kv.raw(
          'tokenizer.ggml.tokens',
          9,
          new Bytes()
            .u32(8)
            .u64(10n ** 12n)
            .bytes(),
        ),
      ),
    ),
    tensors,
  );
  const longString = writeRawGguf(
    meta(replace('general.name', kv.raw('general.name', 8, new Bytes().u64(2n ** 50n).bytes()))),
    tensors,
  );
  const misaligned = writeRawGguf(meta(), tensors, { offsets: { 'blk.0.attn_q.weight': 4n } });
  const wrongDims = writeRawGguf(
    meta(),
    tensors.map((t) => (t.name === 'blk.0.attn_q.weight' ? { ...t, rawDims: [4n, 16n] } : t)),
  );
  const v1 = good.slice();
  new DataView(v1.buffer).setUint32(4, 1, true);
  // Q8_0 needs rows of 32: a wider model, one gate block's f16 scale set to +Inf and its 32 int8 to 5.
  const wide = randomModel({ ...HOSTILE_CONFIG, dim: 32, hiddenDim: 32, sharedClassifier: false }, 10);
  const layout = { dataStart: 0, offsets: {} as Record<string, number> };
  const q8 = writeRawGguf(rawKvs(ggufLlamaMetadata(wide)), ggufTensors(wide, 8), { layout });
  const g = layout.offsets['blk.0.ffn_gate.weight'];
  q8[g] = 0x00;
  q8[g + 1] = 0x7c; // f16 +Inf
  q8.fill(5, g + 2, g + 34);
  const inf16 = withWeights(m, (x) => {
    x.weights.layers[0].up[2] = -Infinity;
    x.weights.layers[0].down[0] = Infinity;
  });
  return [
    one('nested-50000', 'deep-nesting', deep, {
      error: 'model.gguf: GGUF metadata evil.nest nests arrays more than 64 deep (corrupt or hostile file)',
    }),
    one('cut-at-100', 'truncation', good.subarray(0, 100), {
      // 12 tensor infos need at least 12 x 24 bytes: the counts are checked before any pair is read.
      error: impossible('tensor count', 12, 100),
    }),
    one('cut-in-key-10', 'truncation', good.subarray(0, keyStart(10) + 10), {
      error: `truncated file: model.gguf ends inside the GGUF header (key 10 needs ${bytesOf(keyStart(10) + 8 + meta()[10].key.length)}, the file has ${bytesOf(keyStart(10) + 10)})`,
    }),
    one('cut-by-one', 'truncation', good.subarray(0, good.length - 1), {
      error: `truncated file: model.gguf tensor output.weight [8, 8] F32 needs bytes up to ${bytesOf(good.length)}, the file has ${bytesOf(good.length - 1)}`,
    }),
    one('tensor-count-2^40', 'huge-count', manyTensors, {
      error: impossible('tensor count', 2n ** 40n, manyTensors.length),
    }),
    one('kv-count-2^62', 'huge-count', manyKvs, { error: impossible('metadata count', 2n ** 62n, manyKvs.length) }),
    one('trillion-tokens', 'huge-count', trillion, {
      error: impossible('tokenizer.ggml.tokens count', 10n ** 12n, trillion.length),
    }),
    one('string-2^50', 'huge-count', longString, {
      error: impossible('general.name length', 2n ** 50n, longString.length),
    }),
    one('misaligned-offset', 'lying-header', misaligned, {
      error: 'model.gguf: tensor blk.0.attn_q.weight offset 4 is not a multiple of the alignment 32',
    }),
    one('wrong-dims', 'lying-header', wrongDims, {
      error:
        'model.gguf: tensor blk.0.attn_q.weight has shape [16, 4] (GGUF dims [4, 16]), the metadata implies [8, 8]',
    }),
    one('version-1', 'lying-header', v1, { error: 'model.gguf: GGUF version 1 is not supported (2 and 3 are)' }),
    one(
      'eps-inf',
      'non-finite',
      writeRawGguf(
        meta(
          replace('llama.attention.layer_norm_rms_epsilon', kv.f32('llama.attention.layer_norm_rms_epsilon', Infinity)),
        ),
        tensors,
      ),
      {
        error: 'model.gguf: GGUF metadata llama.attention.layer_norm_rms_epsilon = Infinity is not a finite number',
      },
    ),
    one(
      'rope-base-inf',
      'non-finite',
      writeRawGguf(meta(replace('llama.rope.freq_base', kv.f32('llama.rope.freq_base', Infinity))), tensors),
      {
        error: 'model.gguf: GGUF metadata llama.rope.freq_base = Infinity is not a finite number',
      },
    ),
    one(
      'eps-nan',
      'non-finite',
      writeRawGguf(
        meta(replace('llama.attention.layer_norm_rms_epsilon', kv.f32('llama.attention.layer_norm_rms_epsilon', NaN))),
        tensors,
      ),
      {
        error: 'model.gguf: GGUF metadata llama.attention.layer_norm_rms_epsilon = NaN is not a finite number',
      },
    ),
    one(
      'eps-0.5',
      'out-of-range',
      writeRawGguf(
        meta(replace('llama.attention.layer_norm_rms_epsilon', kv.f32('llama.attention.layer_norm_rms_epsilon', 0.5))),
        tensors,
      ),
      {
        error: 'model.gguf: invalid model config: normEps = 0.5 is outside 1e-12..0.1',
      },
    ),
    one(
      'alignment-string',
      'wrong-type',
      writeRawGguf(meta(replace('general.alignment', kv.str('general.alignment', '32'))), tensors),
      {
        error: 'model.gguf: general.alignment must be a uint32, found a string ("32")',
      },
    ),
    one(
      'alignment-u64',
      'wrong-type',
      writeRawGguf(meta(replace('general.alignment', kv.u64('general.alignment', 32n))), tensors),
      {
        error: 'model.gguf: general.alignment must be a uint32, found a uint64 (32)',
      },
    ),
    one(
      'embedding-length-string',
      'wrong-type',
      writeRawGguf(meta(replace('llama.embedding_length', kv.str('llama.embedding_length', '8'))), tensors),
      {
        error: 'model.gguf: GGUF metadata llama.embedding_length must be a number, found a string ("8")',
      },
    ),
    one(
      'architecture-u32',
      'wrong-type',
      writeRawGguf(meta(replace('general.architecture', kv.u32('general.architecture', 7))), tensors),
      {
        error: 'model.gguf: GGUF architecture is a uint32 (7); only "llama" is supported',
      },
    ),
    one(
      'unknown-value-type',
      'wrong-type',
      writeRawGguf([...meta(), kv.raw('evil.key', 99, new Uint8Array(4))], tensors),
      {
        error: 'model.gguf: GGUF metadata evil.key has unknown value type 99',
      },
    ),
    one('duplicate-key', 'lying-header', writeRawGguf([...meta(), kv.u32('llama.block_count', 1)], tensors), {
      error: 'model.gguf: GGUF metadata key llama.block_count appears twice',
    }),
    one(
      'tokens-u32',
      'wrong-type',
      writeRawGguf(
        meta(
          replace(
            'tokenizer.ggml.tokens',
            kv.raw('tokenizer.ggml.tokens', 9, new Bytes().u32(4).u64(8).raw(new Uint8Array(32)).bytes()),
          ),
        ),
        tensors,
      ),
      {
        error: 'model.gguf: tokenizer.ggml.tokens must be an array of strings, found an array of 8 uint32',
      },
    ),
    one(
      'scores-short',
      'lying-header',
      writeRawGguf(
        meta(replace('tokenizer.ggml.scores', kv.f32s('tokenizer.ggml.scores', [0, 0, 0, 0, 0, 0, 0]))),
        tensors,
      ),
      {
        error:
          'model.gguf: tokenizer.ggml.scores must be a number array of 8 (one per token), found an array of 7 float32',
      },
    ),
    one(
      'score-nan',
      'non-finite',
      writeRawGguf(
        meta(replace('tokenizer.ggml.scores', kv.f32s('tokenizer.ggml.scores', [0, 0, 0, NaN, 0, 0, 0, 0]))),
        tensors,
      ),
      {
        error: 'model.gguf: tokenizer.ggml.scores[3] = NaN is not finite',
      },
    ),
    one(
      'bos-2^32-1',
      'out-of-range',
      writeRawGguf(
        meta(replace('tokenizer.ggml.bos_token_id', kv.u32('tokenizer.ggml.bos_token_id', 2 ** 32 - 1))),
        tensors,
      ),
      {
        error: 'model.gguf: tokenizer.ggml.bos_token_id = 4294967295 is outside the vocabulary (0..7)',
      },
    ),
    one(
      'bos-minus-5',
      'out-of-range',
      writeRawGguf(meta(replace('tokenizer.ggml.bos_token_id', kv.i32('tokenizer.ggml.bos_token_id', -5))), tensors),
      {
        error: 'model.gguf: tokenizer.ggml.bos_token_id = -5 is outside the vocabulary (0..7)',
      },
    ),
    one(
      'eos-2^60',
      'out-of-range',
      writeRawGguf(
        meta(replace('tokenizer.ggml.eos_token_id', kv.u64('tokenizer.ggml.eos_token_id', 2n ** 60n))),
        tensors,
      ),
      {
        error: 'model.gguf: tokenizer.ggml.eos_token_id = 1152921504606846976 is outside the vocabulary (0..7)',
      },
    ),
    one(
      'vocab-4x-embedding',
      'out-of-range',
      writeRawGguf(
        meta((k) => k, smallVocab(32)),
        tensors,
      ),
      {
        warning:
          "tokenizer has 32 tokens, the model's embedding 8: tokens 8..31 are dropped (text is encoded with ids 0..7 only)",
      },
    ),
    one('f32-inf-weights', 'non-finite', writeRawGguf(meta(), ggufTensors(inf16, 0)), {
      warning: '2 infinite (±Inf) weight values in 2 tensors: layers.0.up (1), layers.0.down (1)',
    }),
    one('f16-inf-weights', 'non-finite', writeRawGguf(meta(), ggufTensors(inf16, 1)), {
      warning: '2 infinite (±Inf) weight values in 2 tensors: layers.0.up (1), layers.0.down (1)',
    }),
    one('bf16-inf-weights', 'non-finite', writeRawGguf(meta(), ggufTensors(inf16, 30)), {
      warning: '2 infinite (±Inf) weight values in 2 tensors: layers.0.up (1), layers.0.down (1)',
    }),
    one('q8_0-inf-scale', 'non-finite', q8, {
      warning: '32 infinite (±Inf) weight values in 1 tensor: layers.0.gate (32)',
    }),
  ];
}

/** The HF tensors of a model laid out by the corpus (so offsets can be bent), with their data. */
function stLayout(tensors: RawTensor[]): {
  header: Record<string, unknown>;
  spans: [number, number][];
  data: Uint8Array;
} {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const spans: [number, number][] = [];
  let o = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [o, o + t.data.length] };
    spans.push([o, o + t.data.length]);
    o += t.data.length;
  }
  const data = new Uint8Array(o);
  tensors.forEach((t, i) => data.set(t.data, spans[i][0]));
  return { header, spans, data };
}

const HF_TOKENIZER_PIECES = smallVocab(8);

function safetensorsCases(): HostileCase[] {
  const m = randomModel({ ...HOSTILE_CONFIG, sharedClassifier: false }, 11);
  const config = hfConfig(m);
  const tensors = hfTensors(m, 'F32');
  const names = tensors.map((t) => t.name);
  const { header, spans, data } = stLayout(tensors);
  const st = (h: unknown, d = data, text?: string) => ({
    name: 'model.safetensors',
    bytes: writeRawSafetensors(h, d, text),
  });
  const cfg = (c: unknown, text?: string) => ({
    name: 'config.json',
    bytes: text !== undefined ? utf8.encode(text) : json(c),
  });
  const one = (
    id: string,
    format: HostileFormat,
    kind: HostileKind,
    files: HostileFile[],
    expect: { error?: string; warning?: string },
  ): HostileCase => ({ id: `${format === 'safetensors' ? 'st' : 'tokjson'}-${id}`, format, kind, files, ...expect });
  const stCase = (id: string, kind: HostileKind, files: HostileFile[], expect: { error?: string; warning?: string }) =>
    one(id, 'safetensors', kind, files, expect);
  const good = [cfg(config), st(header)];
  const entry = (name: string, patch: Record<string, unknown>) => ({
    ...header,
    [name]: { ...(header[name] as object), ...patch },
  });
  const iIn = names.indexOf('model.layers.0.input_layernorm.weight');
  const iPost = names.indexOf('model.layers.0.post_attention_layernorm.weight');
  const iQ = names.indexOf('model.layers.0.self_attn.q_proj.weight');
  const last = names.length - 1;
  // A hole of 16 bytes after the q projection: later tensors move up by 16.
  const holed: Record<string, unknown> = { ...header };
  names.forEach((n, i) => {
    if (i > iQ) holed[n] = { ...(header[n] as object), data_offsets: [spans[i][0] + 16, spans[i][1] + 16] };
  });
  const holeData = new Uint8Array(data.length + 16);
  holeData.set(data.subarray(0, spans[iQ][1]));
  holeData.set(data.subarray(spans[iQ][1]), spans[iQ][1] + 16);
  const shifted: Record<string, unknown> = { ...header };
  names.forEach(
    (n, i) => (shifted[n] = { ...(header[n] as object), data_offsets: [spans[i][0] + 8, spans[i][1] + 8] }),
  );
  const full = st(header).bytes;
  const withLength = (n: bigint) => {
    const b = full.slice();
    new DataView(b.buffer).setBigUint64(0, n, true);
    return b;
  };
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const cfgText = JSON.stringify(config);
  const infModel = withWeights(m, (x) => {
    x.weights.finalNorm[0] = Infinity;
    x.weights.layers[0].down[5] = -Infinity;
  });
  const nanModel = withWeights(m, (x) => (x.weights.layers[0].v[1] = NaN));
  const stOf = (model: LlamaModel, dtype: FloatDtype) =>
    st(stLayout(hfTensors(model, dtype)).header, stLayout(hfTensors(model, dtype)).data);
  // Two shards and an index.
  const half = Math.ceil(tensors.length / 2);
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const shards = [tensors.slice(0, half), tensors.slice(half)].map((part, i) => {
    const l = stLayout(part);
    return { name: shardNames[i], bytes: writeRawSafetensors(l.header, l.data) };
  });
  const weightMap = Object.fromEntries(tensors.map((t, i) => [t.name, shardNames[i < half ? 0 : 1]]));
  const sharded = (index: unknown, text?: string) => [
    cfg(config),
    ...shards,
    { name: 'model.safetensors.index.json', bytes: text !== undefined ? utf8.encode(text) : json(index) },
  ];
  const span = (i: number) => `[${spans[i][0]}, ${spans[i][1]}]`;
  const ropeCfg = (rope: unknown) => [cfg({ ...config, rope_scaling: rope }), st(header)];
  const llama3 = {
    rope_type: 'llama3',
    factor: 8,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 8,
  };

  const cases: HostileCase[] = [
    stCase('same-offsets', 'overlap', [cfg(config), st(entry(names[iPost], { data_offsets: spans[iIn] }))], {
      error: `model.safetensors: tensors ${names[iIn]} and ${names[iPost]} overlap (data_offsets ${span(iIn)} and ${span(iIn)})`,
    }),
    stCase(
      'overlap-by-4',
      'overlap',
      [cfg(config), st(entry(names[iQ], { data_offsets: [spans[iQ][0] - 4, spans[iQ][1] - 4] }))],
      {
        error: `model.safetensors: tensors ${names[iQ - 1]} and ${names[iQ]} overlap (data_offsets ${span(iQ - 1)} and [${spans[iQ][0] - 4}, ${spans[iQ][1] - 4}])`,
      },
    ),
    stCase('hole-16', 'lying-header', [cfg(config), st(holed, holeData)], {
      error: `model.safetensors: 16 bytes before tensor ${names[iQ + 1]} (data_offsets [${spans[iQ + 1][0] + 16}, ${spans[iQ + 1][1] + 16}]) belong to no tensor (the previous, ${names[iQ]}, ends at ${spans[iQ][1]}); safetensors data must be contiguous`,
    }),
    stCase(
      'leading-8',
      'lying-header',
      [cfg(config), st(shifted, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, ...data]))],
      {
        error: `model.safetensors: 8 bytes before tensor ${names[0]} (data_offsets [8, ${spans[0][1] + 8}]) belong to no tensor; safetensors data must be contiguous`,
      },
    ),
    stCase(
      'trailing-8',
      'lying-header',
      [cfg(config), st(header, Uint8Array.from([...data, 1, 2, 3, 4, 5, 6, 7, 8]))],
      {
        error: `model.safetensors: 8 bytes after the last tensor (${names[last]} ends at data offset ${spans[last][1]}) belong to no tensor; safetensors data must end with the last tensor`,
      },
    ),
    stCase(
      'cut-by-one',
      'truncation',
      [cfg(config), { name: 'model.safetensors', bytes: full.subarray(0, full.length - 1) }],
      {
        error: `truncated file: model.safetensors tensor ${names[last]} needs bytes up to ${bytesOf(full.length)}, the file has ${bytesOf(full.length - 1)}`,
      },
    ),
    stCase(
      'header-longer-than-file',
      'lying-header',
      [cfg(config), { name: 'model.safetensors', bytes: withLength(BigInt(full.length)) }],
      {
        error: `truncated file: model.safetensors declares a ${full.length}-byte header, but only ${bytesOf(full.length - 8)} follow`,
      },
    ),
    stCase('header-2^60', 'huge-count', [cfg(config), { name: 'model.safetensors', bytes: withLength(2n ** 60n) }], {
      error:
        'model.safetensors: declared safetensors header of 1152921504606846976 bytes is implausibly large: not a safetensors file?',
    }),
    stCase('header-null', 'wrong-type', [cfg(config), st(null, new Uint8Array(0))], {
      error: 'model.safetensors: the safetensors header must be a JSON object, found null',
    }),
    stCase('header-bad-json', 'bad-json', [cfg(config), st(null, data, '{"a": ')], {
      error: `model.safetensors: safetensors header is not valid JSON (${jsonParseError('{"a":   ')})`,
    }),
    stCase('entry-null', 'wrong-type', [cfg(config), st({ ...header, 'model.norm.weight': null })], {
      error: 'model.safetensors: tensor model.norm.weight must be a JSON object, found null',
    }),
    stCase('dtype-number', 'wrong-type', [cfg(config), st(entry('model.norm.weight', { dtype: 7 }))], {
      error: 'model.safetensors: tensor model.norm.weight dtype must be a string, found the number 7',
    }),
    stCase(
      'offsets-reversed',
      'lying-header',
      [cfg(config), st(entry(names[last], { data_offsets: [spans[last][1], spans[last][0]] }))],
      {
        error: `model.safetensors: tensor ${names[last]} has invalid data_offsets [${spans[last][1]},${spans[last][0]}]`,
      },
    ),
    stCase('shape-9', 'lying-header', [cfg(config), st(entry('model.norm.weight', { shape: [9] }))], {
      error:
        'model.safetensors: tensor model.norm.weight is F32 [9] = 9 elements (36 bytes) but its data_offsets span 32 bytes',
    }),
    stCase('shape-2^60', 'huge-count', [cfg(config), st(entry('model.norm.weight', { shape: [2 ** 40, 2 ** 20] }))], {
      error: `model.safetensors: tensor model.norm.weight is F32 [1099511627776, 1048576] = 1152921504606846976 elements (4,611,686,018,427,387,904 bytes) but its data_offsets span 32 bytes`,
    }),
    stCase('metadata-number', 'wrong-type', [cfg(config), st({ ...header, __metadata__: { format: 5 } })], {
      error: 'model.safetensors: __metadata__.format must be a string, found the number 5',
    }),
    stCase('config-null', 'wrong-type', [cfg(null), st(header)], {
      error: 'config.json: the top level must be a JSON object, found null',
    }),
    stCase('config-array', 'wrong-type', [cfg([config]), st(header)], {
      error: 'config.json: the top level must be a JSON object, found an array',
    }),
    stCase('config-bad-json', 'bad-json', [cfg(null, cfgText.slice(0, 40)), st(header)], {
      error: `config.json is not valid JSON: ${jsonParseError(cfgText.slice(0, 40))}`,
    }),
    stCase('config-deep', 'deep-nesting', [cfg(null, cfgText.replace('{', `{"evil": ${deep}, `)), st(header)], {
      error: 'config.json nests JSON more than 64 levels deep: corrupt or hostile file',
    }),
    stCase('hidden-size-string', 'wrong-type', [cfg({ ...config, hidden_size: '8' }), st(header)], {
      error: 'config.json: hidden_size must be a non-negative integer, found the string "8"',
    }),
    stCase(
      'hidden-size-1e400',
      'non-finite',
      [cfg(null, cfgText.replace('"hidden_size":8', '"hidden_size":1e400')), st(header)],
      {
        error: 'config.json: hidden_size is out of range (not a finite number)',
      },
    ),
    stCase(
      'eps-1e400',
      'non-finite',
      [cfg(null, cfgText.replace('"rms_norm_eps":0.00001', '"rms_norm_eps":1e400')), st(header)],
      {
        error: 'config.json: rms_norm_eps is out of range (not a finite number)',
      },
    ),
    stCase('rope-theta-negative', 'out-of-range', [cfg({ ...config, rope_theta: -1 }), st(header)], {
      error: 'config.json: invalid model config: ropeTheta = -1 is outside 1..1000000000000',
    }),
    stCase('tie-string', 'wrong-type', [cfg({ ...config, tie_word_embeddings: 'yes' }), st(header)], {
      error: 'config.json: tie_word_embeddings must be true or false, found the string "yes"',
    }),
    stCase('architectures-string', 'wrong-type', [cfg({ ...config, architectures: 'LlamaForCausalLM' }), st(header)], {
      error: 'config.json: architectures must be an array, found the string "LlamaForCausalLM"',
    }),
    stCase('rope-yarn', 'wrong-type', ropeCfg({ rope_type: 'yarn', factor: 4 }), {
      error: 'config.json: rope_scaling type "yarn" is not supported (linear, dynamic and llama3 are)',
    }),
    stCase('rope-array', 'wrong-type', ropeCfg([llama3]), {
      error: 'config.json: rope_scaling must be an object, found an array',
    }),
    stCase('rope-llama3-no-low', 'lying-header', ropeCfg({ ...llama3, low_freq_factor: undefined }), {
      error: 'config.json: rope_scaling.low_freq_factor is missing',
    }),
    stCase('rope-factor-string', 'wrong-type', ropeCfg({ ...llama3, factor: '8' }), {
      error: 'config.json: rope_scaling.factor must be a number, found the string "8"',
    }),
    stCase(
      'rope-factor-1e400',
      'non-finite',
      [cfg(null, cfgText.replace('{', `{"rope_scaling": {"type": "linear", "factor": 1e400}, `)), st(header)],
      {
        error: 'config.json: rope_scaling.factor is out of range (not a finite number)',
      },
    ),
    stCase('rope-high-below-low', 'out-of-range', ropeCfg({ ...llama3, low_freq_factor: 4, high_freq_factor: 1 }), {
      error:
        'config.json: invalid model config: ropeScaling (llama3) highFreqFactor = 1 must be a positive number above lowFreqFactor 4',
    }),
    stCase('bf16-inf-weights', 'non-finite', [cfg(config), stOf(infModel, 'BF16')], {
      warning: '2 infinite (±Inf) weight values in 2 tensors: layers.0.down (1), finalNorm (1)',
    }),
    stCase('f16-nan-weight', 'non-finite', [cfg(config), stOf(nanModel, 'F16')], {
      warning: '1 NaN weight values in 1 tensor: layers.0.v (1)',
    }),
    stCase('index-null', 'wrong-type', sharded(null), {
      error: 'model.safetensors.index.json: the top level must be a JSON object, found null',
    }),
    stCase('index-no-weight-map', 'lying-header', sharded({ metadata: {} }), {
      error: 'model.safetensors.index.json has no weight_map',
    }),
    stCase('index-map-number', 'wrong-type', sharded({ weight_map: { ...weightMap, 'model.norm.weight': 5 } }), {
      error: 'model.safetensors.index.json: weight_map.model.norm.weight must be a file name, found the number 5',
    }),
    stCase('index-wrong-shard', 'lying-header', sharded({ weight_map: { ...weightMap, [names[0]]: shardNames[1] } }), {
      error: `tensor ${names[0]} is in ${shardNames[0]} but model.safetensors.index.json puts it in ${shardNames[1]}`,
    }),
    stCase(
      'index-phantom-tensor',
      'lying-header',
      sharded({ weight_map: { ...weightMap, 'model.layers.9.mlp.up_proj.weight': shardNames[1] } }),
      {
        error: `model.safetensors.index.json lists tensor model.layers.9.mlp.up_proj.weight in ${shardNames[1]}, which has no such tensor`,
      },
    ),
    stCase('index-bad-json', 'bad-json', sharded(null, '{"weight_map": {'), {
      error: `model.safetensors.index.json is not valid JSON: ${jsonParseError('{"weight_map": {')}`,
    }),
  ];

  // tokenizer.json beside a good folder.
  const tj = bpeTokenizerJson(HF_TOKENIZER_PIECES, ['a b']);
  const tok = (t: unknown, text?: string, extra: HostileFile[] = []) => [
    ...good,
    { name: 'tokenizer.json', bytes: text !== undefined ? utf8.encode(text) : json(t) },
    ...extra,
  ];
  const tjModel = tj.model as Record<string, unknown>;
  const tjVocab = tjModel.vocab as Record<string, number>;
  const tj32 = bpeTokenizerJson(smallVocab(32), ['a b']);
  const tjText = JSON.stringify(tj);
  const tc = (c: unknown) => ({ name: 'tokenizer_config.json', bytes: json(c) });
  const tokCase = (id: string, kind: HostileKind, files: HostileFile[], expect: { error?: string; warning?: string }) =>
    one(id, 'tokenizer.json', kind, files, expect);
  cases.push(
    tokCase('null', 'wrong-type', tok(null), {
      error: 'tokenizer.json: the top level must be a JSON object, found null',
    }),
    tokCase('model-null', 'wrong-type', tok({ ...tj, model: null }), {
      error: 'tokenizer.json: model must be an object, found null',
    }),
    tokCase('vocab-id-string', 'wrong-type', tok({ ...tj, model: { ...tjModel, vocab: { ...tjVocab, a: '3' } } }), {
      error: 'tokenizer.json: model.vocab["a"] must be a token id in 0..16777215, found the string "3"',
    }),
    tokCase('vocab-id-1e400', 'non-finite', tok(null, tjText.replace('"a":3', '"a":1e400')), {
      error:
        'tokenizer.json: model.vocab["a"] must be a token id in 0..16777215, found a number beyond the float64 range',
    }),
    tokCase('vocab-string', 'wrong-type', tok({ ...tj, model: { ...tjModel, vocab: 'x' } }), {
      error:
        'tokenizer.json: model.vocab must be an object (BPE, WordPiece) or an array (Unigram) for model type BPE, found the string "x"',
    }),
    tokCase('merge-number', 'wrong-type', tok({ ...tj, model: { ...tjModel, merges: [5] } }), {
      error: 'tokenizer.json: model.merges[0] must be "a b" or ["a", "b"], found the number 5',
    }),
    tokCase('added-id-negative', 'out-of-range', tok({ ...tj, added_tokens: [{ id: -1, content: '<unk>' }] }), {
      error: 'tokenizer.json: added_tokens[0].id must be a non-negative integer, found the number -1',
    }),
    tokCase(
      'deep-normalizer',
      'deep-nesting',
      tok(
        null,
        tjText.replace('"normalizer":null', `"normalizer":${'{"normalizer":'.repeat(10_000)}null${'}'.repeat(10_000)}`),
      ),
      {
        error: 'tokenizer.json nests JSON more than 64 levels deep: corrupt or hostile file',
      },
    ),
    tokCase('bad-json', 'bad-json', tok(null, tjText.slice(0, 30)), {
      error: `tokenizer.json is not valid JSON: ${jsonParseError(tjText.slice(0, 30))}`,
    }),
    tokCase('config-bos-number', 'wrong-type', tok(tj, undefined, [tc({ bos_token: 5 })]), {
      error: 'tokenizer_config.json: bos_token must be a string or {"content": string}, found the number 5',
    }),
    tokCase('vocab-4x-embedding', 'out-of-range', tok(tj32), {
      warning:
        "tokenizer.json has 32 tokens, the model's embedding 8: ids 8..31 cannot be scored; encoding text that needs them fails",
    }),
    tokCase('bos-beyond-embedding', 'out-of-range', tok(tj32, undefined, [tc({ bos_token: smallVocab(32)[20] })]), {
      error: "tokenizer.json: bos id 20 is outside the model's embedding (8 tokens, ids 0..7)",
    }),
  );
  return cases;
}

function tokenizerBinCases(): HostileCase[] {
  const model = { name: 'model.bin', bytes: writeLlama2c(randomModel(HOSTILE_CONFIG, 12)) };
  const pieces = ['<unk>', '\n<s>\n', '\n</s>\n', ' ', 'a', 'b', ' a', 'ab'];
  const scores = pieces.map((_, i) => (i < 4 ? 0 : -i));
  const good = writeLlama2cTokenizer(pieces, scores);
  const one = (id: string, kind: HostileKind, bytes: Uint8Array, error: string): HostileCase => ({
    id: `tokbin-${id}`,
    format: 'tokenizer.bin',
    kind,
    files: [model],
    tokenizer: { name: 'tokenizer.bin', bytes },
    error: `tokenizer tokenizer.bin: ${error}`,
  });
  const patched = (f: (dv: DataView) => void) => {
    const b = good.slice();
    f(new DataView(b.buffer));
    return b;
  };
  const big = writeLlama2cTokenizer(
    smallVocab(32),
    smallVocab(32).map(() => 0),
  );
  // Entry 3 (" ") starts after max_token_length 4 and entries 0..2 (8 + 5, 8 + 5, 8 + 6 bytes).
  const entry3 = 4 + 13 + 13 + 14;
  return [
    one(
      'cut-by-one',
      'truncation',
      good.subarray(0, good.length - 1),
      `truncated tokenizer file: token 7 needs bytes up to ${good.length}, the file has ${good.length - 1}`,
    ),
    one(
      'six-bytes',
      'truncation',
      good.subarray(0, 6),
      'truncated or wrong tokenizer file: 8 tokens need at least 68 bytes, the file has 6',
    ),
    one(
      'max-length-negative',
      'lying-header',
      patched((dv) => dv.setInt32(0, -1, true)),
      'not a llama2.c tokenizer file: max_token_length = -1',
    ),
    one(
      'token-length-2^31',
      'huge-count',
      patched((dv) => dv.setInt32(entry3 + 4, 2 ** 31 - 1, true)),
      `not a llama2.c tokenizer file: token 3 has length 2147483647 (max_token_length ${new DataView(good.buffer).getInt32(0, true)})`,
    ),
    one(
      'score-nan',
      'non-finite',
      patched((dv) => dv.setFloat32(entry3, NaN, true)),
      'not a llama2.c tokenizer file: token 3 has the score NaN',
    ),
    one(
      'vocab-4x-model',
      'out-of-range',
      big,
      `tokenizer file has ${big.length - tokenizerBytes(smallVocab(32).slice(0, 8))} bytes after 8 tokens: it was made for a larger vocabulary than the model's 8`,
    ),
  ];
}

/** Bytes of a llama2.c tokenizer file's first entries (max_token_length, then score, length, bytes each). */
function tokenizerBytes(pieces: string[]): number {
  return 4 + pieces.reduce((a, p) => a + 8 + utf8.encode(p).length, 0);
}

/** Every case, generated now (a few MB in all). */
export function hostileCorpus(): HostileCase[] {
  return [...llama2cCases(), ...ggufCases(), ...safetensorsCases(), ...tokenizerBinCases()];
}

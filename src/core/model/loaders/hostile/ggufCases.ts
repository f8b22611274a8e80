// GGUF files that must fail or warn exactly: nesting, truncation, impossible counts, lying offsets
// and dims, non-finite and out-of-range metadata, wrong value types, bad special ids, Inf weights.

import { randomModel } from '../../types';
import { ggufLlamaMetadata, ggufTensors } from '../fixtures';
import { Bytes, kv, rawKvs, smallVocab, writeRawGguf, type RawKv } from './build';
import { bytesOf, HOSTILE_CONFIG, withWeights, type Expect, type HostileCase, type HostileKind } from './cases';

const GGUF_VOCAB = smallVocab(8);

export function ggufCases(): HostileCase[] {
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
  const one = (id: string, kind: HostileKind, bytes: Uint8Array, expect: Expect) => ({
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

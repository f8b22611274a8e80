// The sentencepiece vocabulary of a GGUF (tokenizer.ggml.*) as a llama2.c-style tokenizer, built
// without an object per token and fitted to the model's embedding.

import { CheckpointError } from './common';
import {
  describeKey,
  GgufStringArray,
  GgufValueType,
  isGgufArray,
  type GgufArray,
  type GgufFile,
  type GgufValue,
} from './ggufFile';
import { Llama2cTokenizer } from '../../tokenizer/llama2c';

/** token_type values of GGUF (llama.cpp llama_token_type). */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

/** U+2581 (sentencepiece's space) in UTF-8. */
const SP_SPACE = [0xe2, 0x96, 0x81];

/**
 * The sentencepiece vocabulary of a GGUF (tokenizer.ggml.model "llama") as a llama2.c-style
 * tokenizer, the same conversion llama2.c's tokenizer.py export does: U+2581 becomes a space.
 * No tokenizer or another tokenizer model gives a warning; a corrupt one (wrong types or lengths,
 * special ids outside the vocabulary) a CheckpointError. A vocabulary larger than the model's
 * embedding is cut to it, with a warning naming what was dropped.
 */
export function ggufTokenizer(
  g: GgufFile,
  name: string,
  modelVocab: number,
): { tokenizer?: Llama2cTokenizer; warning?: string } {
  const model = g.metadata.get('tokenizer.ggml.model');
  if (model === undefined) return { warning: 'tokenizer not loaded: the GGUF has no tokenizer.ggml.model' };
  if (model !== 'llama')
    return {
      warning: `tokenizer not loaded: tokenizer.ggml.model is ${typeof model === 'string' ? JSON.stringify(model) : describeKey(g, 'tokenizer.ggml.model')}; only "llama" (sentencepiece BPE) is supported`,
    };
  const bad = (what: string) => new CheckpointError(`${name}: ${what}`);
  const tokens = g.metadata.get('tokenizer.ggml.tokens');
  const scores = g.metadata.get('tokenizer.ggml.scores');
  const types = g.metadata.get('tokenizer.ggml.token_type');
  if (!isGgufArray(tokens) || !(tokens.values instanceof GgufStringArray))
    throw bad(`tokenizer.ggml.tokens must be an array of strings, found ${describeKey(g, 'tokenizer.ggml.tokens')}`);
  const n = tokens.values.length;
  if (n === 0) throw bad('tokenizer.ggml.tokens is empty');
  const numeric = (v: GgufValue | undefined) =>
    isGgufArray(v) &&
    !(v.values instanceof GgufStringArray) &&
    !Array.isArray(v.values) &&
    ![GgufValueType.BOOL, GgufValueType.UINT64, GgufValueType.INT64].includes(v.itemType);
  if (!numeric(scores) || (scores as GgufArray).values.length !== n)
    throw bad(
      `tokenizer.ggml.scores must be a number array of ${n} (one per token), found ${describeKey(g, 'tokenizer.ggml.scores')}`,
    );
  if (types !== undefined && (!numeric(types) || types === undefined || (types as GgufArray).values.length !== n))
    throw bad(
      `tokenizer.ggml.token_type must be an integer array of ${n} (one per token), found ${describeKey(g, 'tokenizer.ggml.token_type')}`,
    );
  // Only the model's embedding can be scored: a longer vocabulary is cut to it.
  const kept = Math.min(n, modelVocab);
  const warning =
    n > modelVocab
      ? `tokenizer has ${n} tokens, the model's embedding ${modelVocab}: tokens ${modelVocab}..${n - 1} are dropped (text is encoded with ids 0..${modelVocab - 1} only)`
      : n < modelVocab
        ? `tokenizer has ${n} tokens, the model ${modelVocab}`
        : undefined;
  const scoreValues = Float32Array.from((scores as GgufArray).values as ArrayLike<number>).subarray(0, kept);
  for (let i = 0; i < kept; i++)
    if (!Number.isFinite(scoreValues[i])) throw bad(`tokenizer.ggml.scores[${i}] = ${scoreValues[i]} is not finite`);
  // One byte blob for all pieces (no object per token): U+2581 replaced by a space at the byte level.
  const src = tokens.values;
  let total = 0;
  for (let i = 0; i < kept; i++) total += src.byteLength(i);
  const blob = new Uint8Array(total);
  const offsets = new Uint32Array(kept + 1);
  let o = 0;
  for (let i = 0; i < kept; i++) {
    const b = src.bytesAt(i);
    for (let j = 0; j < b.length; j++) {
      if (b[j] === SP_SPACE[0] && b[j + 1] === SP_SPACE[1] && b[j + 2] === SP_SPACE[2]) {
        blob[o++] = 0x20;
        j += 2;
      } else blob[o++] = b[j];
    }
    offsets[i + 1] = o;
  }
  const typeValues = types ? ((types as GgufArray).values as ArrayLike<number>) : undefined;
  const matchable = typeValues
    ? Uint8Array.from({ length: kept }, (_, i) =>
        Number(typeValues[i]) === TOKEN_TYPE.NORMAL || Number(typeValues[i]) === TOKEN_TYPE.USER_DEFINED ? 1 : 0,
      )
    : undefined;
  const special = (key: string, fallback: number) => {
    const v = g.metadata.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' && typeof v !== 'bigint')
      throw bad(`${key} must be an integer, found ${describeKey(g, key)}`);
    const id = Number(v);
    if (!Number.isInteger(id) || id < 0 || id >= kept)
      throw bad(`${key} = ${v} is outside the vocabulary (0..${kept - 1})`);
    return id;
  };
  const bosId = special('tokenizer.ggml.bos_token_id', Math.min(1, kept - 1));
  const eosId = special('tokenizer.ggml.eos_token_id', Math.min(2, kept - 1));
  let maxLen = 0;
  for (let i = 0; i < kept; i++) maxLen = Math.max(maxLen, offsets[i + 1] - offsets[i]);
  const tokenizer = new Llama2cTokenizer({ bytes: blob.subarray(0, o), offsets }, scoreValues, maxLen, {
    bosId,
    eosId,
    matchable,
    addDummyPrefix: g.metadata.get('tokenizer.ggml.add_space_prefix') !== false,
  });
  return { tokenizer, warning };
}

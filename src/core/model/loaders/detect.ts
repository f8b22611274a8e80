// What a file is, from its bytes (magic numbers and structure), never from its name: a checkpoint (llama2.c
// legacy or "ak42", GGUF, safetensors, or a Hugging Face config/index beside one), a tokenizer (llama2.c
// tokenizer.bin, Hugging Face tokenizer.json), an FGMP profile (safetensors with fgmp.* metadata), a text
// (valid UTF-8 with few control characters), or unknown. Pure and cheap: it reads only the first
// DETECT_HEAD_BYTES, so the browser can sort a drop of several files before reading any of them in full.

export type FileKind = 'checkpoint' | 'tokenizer' | 'profile' | 'text' | 'unknown';

export interface Detection {
  kind: FileKind;
  /** The format within the kind, e.g. 'llama2c', 'gguf', 'safetensors', 'hf-config', 'llama2c-tokenizer'. */
  format: string;
  /** One line for the user: what was seen in the bytes. */
  reason: string;
}

/** Bytes of the file's start that detectFile needs. */
export const DETECT_HEAD_BYTES = 1 << 16;

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const LLAMA2C_MAGIC = 0x616b3432; // "ak42"
/** No Llama dimension here comes close; larger header values mean the bytes are not a llama2.c header. */
const MAX_DIM = 1 << 20;

const ascii = (b: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...b.subarray(from, Math.min(to, b.byteLength)));

/** The float count of a legacy llama2.c checkpoint with this header (src/core/model/loaders/llama2c.ts layout). */
function legacyFloats(h: number[]): number {
  const [dim, hidden, layers, heads, kvHeads, vocabSigned, seq] = h;
  const vocab = Math.abs(vocabSigned);
  const head = dim / heads;
  const kv = head * kvHeads;
  const perLayer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim;
  return vocab * dim + layers * perLayer + dim + seq * head + (vocabSigned > 0 ? 0 : vocab * dim);
}

function legacyLlama2c(head: Uint8Array, size: number): Detection | null {
  if (head.byteLength < 28) return null;
  const v = new DataView(head.buffer, head.byteOffset, 28);
  const h = Array.from({ length: 7 }, (_, i) => v.getInt32(i * 4, true));
  const [dim, hidden, layers, heads, kvHeads, vocab, seq] = h;
  const plausible =
    [dim, hidden, layers, heads, kvHeads, seq].every((x) => x > 0 && x <= MAX_DIM) &&
    vocab !== 0 &&
    Math.abs(vocab) <= MAX_DIM &&
    kvHeads <= heads &&
    dim % heads === 0;
  if (!plausible) return null;
  const expected = 28 + 4 * legacyFloats(h);
  // A plausible header with the wrong size is still a checkpoint: the loader says what is missing.
  return {
    kind: 'checkpoint',
    format: 'llama2c',
    reason:
      `llama2.c checkpoint (dim ${dim}, ${layers} layers, vocabulary ${Math.abs(vocab)})` +
      (expected === size ? '' : `, but ${size} bytes where the header implies ${expected}`),
  };
}

/** llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32 length, bytes. */
function llama2cTokenizer(head: Uint8Array, size: number): Detection | null {
  if (head.byteLength < 16) return null;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const maxLen = v.getInt32(0, true);
  if (!(maxLen >= 1 && maxLen <= 1024)) return null;
  let off = 4;
  let tokens = 0;
  while (off + 8 <= head.byteLength) {
    const score = v.getFloat32(off, true);
    const len = v.getInt32(off + 4, true);
    if (!Number.isFinite(score) || len < 1 || len > maxLen) return null;
    if (off + 8 + len > size) return null;
    off += 8 + len;
    tokens++;
    if (off === size) break;
  }
  // Every entry seen must parse, and enough of them to rule out chance (or the whole file).
  if (tokens < 8 && off !== size) return null;
  return {
    kind: 'tokenizer',
    format: 'llama2c-tokenizer',
    reason: `llama2.c tokenizer (${off === size ? `${tokens} tokens` : `first ${tokens} tokens read`}, max length ${maxLen})`,
  };
}

function safetensors(head: Uint8Array, size: number): Detection | null {
  if (head.byteLength < 10) return null;
  const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (!(n >= 2 && 8 + n <= size && head[8] === 0x7b)) return null;
  const text = new TextDecoder().decode(head.subarray(8, Math.min(head.byteLength, 8 + n)));
  if (/"fgmp\./.test(text))
    return { kind: 'profile', format: 'fgmp-profile', reason: 'FGMP profile (safetensors with fgmp metadata)' };
  return { kind: 'checkpoint', format: 'safetensors', reason: 'safetensors tensors (a Hugging Face checkpoint)' };
}

/** Valid UTF-8 (a multi-byte character cut at the end of the head is allowed). */
function utf8Text(head: Uint8Array, complete: boolean): string | null {
  let end = head.byteLength;
  if (!complete) {
    // Back off over a trailing partial sequence (at most 3 continuation bytes and its lead).
    let k = end - 1;
    while (k >= 0 && end - k <= 4 && (head[k] & 0xc0) === 0x80) k--;
    if (k >= 0 && head[k] >= 0xc0) end = k;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
  } catch {
    return null;
  }
}

function jsonKind(text: string, complete: boolean): Detection | null {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) {
    // A whole file that is one JSON value (null, 42, "x") is data, not prose.
    if (!complete) return null;
    try {
      JSON.parse(t);
    } catch {
      return null;
    }
    return { kind: 'unknown', format: 'json', reason: 'a JSON value, not a tokenizer, model config or text' };
  }
  const has = (k: string) => new RegExp(`"${k}"\\s*:`).test(t);
  if (has('added_tokens') || has('pre_tokenizer') || (has('model') && has('vocab')))
    return { kind: 'tokenizer', format: 'hf-tokenizer', reason: 'Hugging Face tokenizer.json' };
  if (has('weight_map'))
    return { kind: 'checkpoint', format: 'hf-index', reason: 'Hugging Face safetensors index (shard list)' };
  if (has('hidden_size') || has('num_hidden_layers') || has('architectures') || has('model_type'))
    return { kind: 'checkpoint', format: 'hf-config', reason: 'Hugging Face config.json (model shape)' };
  // JSON that is none of these (or does not parse) is not a text to calibrate on either.
  if (complete) {
    try {
      JSON.parse(t);
    } catch {
      return { kind: 'unknown', format: 'json', reason: 'starts like JSON but does not parse' };
    }
  }
  return { kind: 'unknown', format: 'json', reason: 'a JSON file that is neither a tokenizer nor a model config' };
}

/** What a file is, from its first bytes (`head`, up to DETECT_HEAD_BYTES) and its full size. */
export function detectFile(head: Uint8Array, size: number): Detection {
  if (size === 0) return { kind: 'unknown', format: 'empty', reason: 'the file is empty' };
  if (head.byteLength >= 4) {
    const magic = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
    if (magic === GGUF_MAGIC) return { kind: 'checkpoint', format: 'gguf', reason: 'GGUF checkpoint ("GGUF" magic)' };
    if (magic === LLAMA2C_MAGIC && head.byteLength >= 8) {
      const version = new DataView(head.buffer, head.byteOffset, 8).getInt32(4, true);
      return {
        kind: 'checkpoint',
        format: 'llama2c',
        reason: `llama2.c checkpoint ("ak42" magic, version ${version})`,
      };
    }
  }
  const found = safetensors(head, size) ?? legacyLlama2c(head, size) ?? llama2cTokenizer(head, size);
  if (found) return found;
  const complete = head.byteLength >= size;
  const text = utf8Text(head, complete);
  if (text !== null) {
    const json = jsonKind(text, complete);
    if (json) return json;
    let controls = 0;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      // C0 controls other than tab, newline, vertical tab, form feed, carriage return; and DEL.
      if ((c < 32 && (c < 9 || c > 13)) || c === 127) controls++;
    }
    if (text.length > 0 && controls <= text.length / 100)
      return { kind: 'text', format: 'utf8', reason: 'text (UTF-8)' };
  }
  const start = ascii(head, 0, 4).replace(/[^\x20-\x7e]/g, '.');
  return {
    kind: 'unknown',
    format: 'unknown',
    reason: `not a checkpoint, tokenizer, profile or text (starts with bytes "${start}")`,
  };
}

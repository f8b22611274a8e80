// llama2.c checkpoints (.bin v0, v1, v2) and llama2.c tokenizer files that must fail or warn exactly.

import { randomModel } from '../../types';
import { writeLlama2c } from '../../writers/llama2c';
import { writeLlama2cTokenizer } from '../../writers/llama2cTokenizer';
import { writeLlama2cVersioned } from '../fixtures';
import { EXPECTED_FORMATS } from '../index';
import { smallVocab } from './build';
import { bytesOf, HOSTILE_CONFIG, utf8, withWeights, type Expect, type HostileCase, type HostileKind } from './cases';

export function llama2cCases(): HostileCase[] {
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
  const one = (id: string, kind: HostileKind, bytes: Uint8Array, expect: Expect) => ({
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

export function tokenizerBinCases(): HostileCase[] {
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

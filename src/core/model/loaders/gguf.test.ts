import { gguf as hfGguf } from '@huggingface/gguf';
import { describe, expect, it } from 'vitest';
import { hasSharedData, readShared, readSharedText, SKIP_REASON } from '../../../../tests/support/sharedData';
import { parseLlama2cTokenizer } from '../../tokenizer/llama2c';
import { randomModel, type LlamaConfig, type LlamaModel } from '../types';
import { f16ToF32, namedTensors } from './common';
import { encodeFloats, f32ToF16Bits, ggufLlamaMetadata, ggufTensors, writeGguf, type GgufKv } from './fixtures';
import { ggufValueToJs, loadGguf, parseGguf } from './gguf';
import { loadCheckpoint } from './index';

const cfg: LlamaConfig = {
  dim: 64,
  hiddenDim: 96,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 32,
  maxSeqLen: 64,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: false,
};

function expectSameWeights(a: LlamaModel, b: LlamaModel, round: (x: number, name: string) => number = (x) => x): void {
  const ta = namedTensors(a);
  const tb = namedTensors(b);
  expect([...tb.keys()]).toEqual([...ta.keys()]);
  for (const [name, x] of ta) expect(tb.get(name), name).toEqual(Float32Array.from(x, (v) => round(v, name)));
}

/** Serves a byte array to @huggingface/gguf the way an HTTP server answers range requests. */
function fakeFetch(bytes: Uint8Array): typeof fetch {
  return (async (_url: unknown, init?: { headers?: Record<string, string> }) => {
    const m = /bytes=(\d+)-(\d+)/.exec(init?.headers?.Range ?? '')!;
    const begin = Number(m[1]);
    const end = Math.min(Number(m[2]) + 1, bytes.length);
    return new Response(bytes.slice(begin, end), {
      status: 206,
      headers: { 'content-range': `bytes ${begin}-${end - 1}/${bytes.length}` },
    });
  }) as unknown as typeof fetch;
}

/** Q8_0 as ggml defines it, computed here independently: d = amax/127 stored as f16, q = roundf(x / d). */
function q8_0Reference(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let b = 0; b < a.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(a[b * 32 + j]));
    const d = Math.fround(amax / 127);
    const dStored = f16ToF32(f32ToF16Bits(d));
    for (let j = 0; j < 32; j++) {
      const v = Math.fround(a[b * 32 + j] * (d ? Math.fround(1 / d) : 0));
      out[b * 32 + j] = Math.fround(dStored * (Math.sign(v) * Math.round(Math.abs(v)))) + 0;
    }
  }
  return out;
}

describe('GGUF loader on files written by the test', () => {
  it('F32: config from llama.* metadata and every weight round-trip (no q/k permutation)', () => {
    const m = randomModel(cfg, 21);
    const bytes = writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 0));
    const { model, report } = loadCheckpoint([{ name: 'tiny.gguf', bytes }]);
    expect(report.variant).toBe('GGUF v3');
    expect(model.config).toEqual(cfg);
    expectSameWeights(m, model);
    expect(model.weights.layers[1].q.buffer).toBe(bytes.buffer); // aligned F32 tensors are views
    expect(report.tensors.find((t) => t.name === 'layers.1.k')).toMatchObject({
      storedName: 'blk.1.attn_k.weight',
      shape: [32, 64],
      dtype: 'F32',
    });
  });

  it('agrees with @huggingface/gguf on metadata, tensor dims, types and the data offset', async () => {
    const m = randomModel(cfg, 22);
    const bytes = writeGguf(
      ggufLlamaMetadata(m, { tokens: ['<unk>', '<s>', '</s>', 'a'], scores: [0, 0, 0, -1], types: [2, 3, 3, 1] }),
      ggufTensors(m, 8),
    );
    const ours = parseGguf(bytes);
    const theirs = await hfGguf('https://example.invalid/tiny.gguf', { fetch: fakeFetch(bytes) });
    expect(Number(theirs.tensorDataOffset)).toBe(ours.dataStart);
    expect(
      theirs.tensorInfos.map((t) => [t.name, t.shape.map(Number), t.dtype, Number(t.offset) + ours.dataStart]),
    ).toEqual([...ours.tensors.values()].map((t) => [t.name, t.dims, t.type, t.offset]));
    const meta = theirs.metadata as unknown as Record<string, unknown>;
    for (const [k, v] of ours.metadata) {
      const plain = ggufValueToJs(v);
      const expected = typeof plain === 'bigint' ? Number(plain) : plain;
      const got = meta[k];
      if (typeof expected === 'number' && !Number.isInteger(expected)) expect(got, k).toBeCloseTo(expected, 12);
      else expect(got, k).toEqual(expected);
    }
  });

  it('dequantizes Q8_0 exactly as ggml, and F16 / BF16 matrices', () => {
    const m = randomModel({ ...cfg, sharedClassifier: true }, 23);
    const { model: q8, report } = loadGguf(writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 8)));
    expect(q8.config.sharedClassifier).toBe(true);
    expect(q8.weights.classifier).toBe(q8.weights.tokenEmbedding);
    expect(report.tensors.find((t) => t.name === 'layers.0.down')!.dtype).toBe('Q8_0');
    const orig = namedTensors(m);
    for (const [name, got] of namedTensors(q8)) {
      const want = name.endsWith('Norm') ? orig.get(name)! : q8_0Reference(orig.get(name)!);
      expect(got, name).toEqual(want);
    }
    // Q8_0 error bound: half a step of amax/127 (plus the f16 rounding of the scale).
    const a = orig.get('layers.1.up')!;
    const b = q8.weights.layers[1].up;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(0.01);

    const f16 = loadGguf(writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 1))).model;
    expectSameWeights(m, f16, (x, name) => (name.endsWith('Norm') ? x : f16ToF32(f32ToF16Bits(x))));
    const bf16 = loadGguf(writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 30))).model;
    const bf = (x: number) =>
      new Float32Array(
        new Uint32Array([new Uint16Array(encodeFloats(Float32Array.of(x), 'BF16').buffer)[0] << 16]).buffer,
      )[0];
    expectSameWeights(m, bf16, (x, name) => (name.endsWith('Norm') ? x : bf(x)));
  });

  it('reads the sentencepiece vocabulary from tokenizer.ggml.* (U+2581 as space, control tokens not matched in text)', () => {
    const m = randomModel({ ...cfg, vocabSize: 12 }, 24);
    const tokens = [
      '<unk>',
      '<s>',
      '</s>',
      '<0x61>',
      '<0x62>',
      '\u2581',
      'a',
      'b',
      '\u2581a',
      'ab',
      '\u2581ab',
      '<s>a',
    ];
    const scores = [0, 0, 0, 0, 0, -1, -2, -3, -4, -5, -6, -7];
    const types = [2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, 5];
    const { model } = loadGguf(writeGguf(ggufLlamaMetadata(m, { tokens, scores, types }), ggufTensors(m, 0)));
    const tok = model.tokenizer!;
    expect(tok.vocabSize).toBe(12);
    expect(tok.piece(10)).toBe(' ab');
    // " ab": ' '+'a' (score -4) merges first, then ' a'+'b' = ' ab' (-6).
    expect(tok.encode('ab', { bos: true })).toEqual([1, 10]);
    expect(tok.decode([1, 10, 2])).toBe('ab');
    // 'c' is neither a piece nor has a <0x63> piece: it becomes <unk> (0), as in sentencepiece.
    expect(tok.encode('c')).toEqual([5, 0]);

    // tokenizer.ggml.add_space_prefix = false switches the dummy prefix off.
    const kvs = [
      ...ggufLlamaMetadata(m, { tokens, scores, types }),
      { key: 'tokenizer.ggml.add_space_prefix', type: 'bool', value: false } as GgufKv,
    ];
    const noPrefix = loadGguf(writeGguf(kvs, ggufTensors(m, 0))).model.tokenizer!;
    expect(noPrefix.encode('ab')).toEqual([9]);
  });

  it('rejects wrong magic, truncation, huge sizes, unsupported types and mismatched shapes', () => {
    const m = randomModel(cfg, 25);
    const good = writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 0));
    expect(() =>
      loadCheckpoint([
        { name: 'x.gguf', bytes: writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 0), { magic: 'GGUG' }) },
      ]),
    ).toThrow(/cannot tell the format/);
    expect(() => loadGguf(writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 0), { magic: 'GGUG' }), 'x.gguf')).toThrow(
      /not a GGUF file: expected magic "GGUF" \(47 47 55 46\), found 47 47 55 47/,
    );
    expect(() => loadGguf(good.subarray(0, good.length - 1), 'cut.gguf')).toThrow(
      /truncated file: cut.gguf tensor .* needs bytes up to [\d,]+ bytes, the file has [\d,]+ bytes/,
    );
    expect(() => loadGguf(good.subarray(0, 100), 'cut.gguf')).toThrow(
      /cut.gguf.*(truncated|ends inside the GGUF header)/,
    );
    expect(() => loadGguf(writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 0), { version: 1 }))).toThrow(
      /GGUF version 1 is not supported/,
    );

    // A tensor claiming 2^20 x 2^20 elements (2^40) must fail on the byte range, before any allocation.
    const huge = ggufTensors(m, 0);
    huge[0] = { ...huge[0], rawDims: [2n ** 20n, 2n ** 20n] };
    expect(() => loadGguf(writeGguf(ggufLlamaMetadata(m), huge), 'huge.gguf')).toThrow(
      /token_embd.weight \[1048576, 1048576\] F32 needs bytes up to/,
    );
    // A dimension of 2^62 is refused as a number too large to be real.
    const absurd = ggufTensors(m, 0);
    absurd[1] = { ...absurd[1], rawDims: [2n ** 62n] };
    expect(() => loadGguf(writeGguf(ggufLlamaMetadata(m), absurd))).toThrow(
      /dimension 0 = 4611686018427387904 is impossible/,
    );

    const q4 = ggufTensors(m, 0);
    q4[2] = { ...q4[2], type: 2, data: new Uint8Array(((64 * 64) / 32) * 18) };
    expect(() => loadGguf(writeGguf(ggufLlamaMetadata(m), q4))).toThrow(
      /blk.0.attn_q.weight has ggml type Q4_0; supported: F32, F16, Q8_0, BF16/,
    );

    const wrongFfn = ggufLlamaMetadata(m).map(
      (kv): GgufKv => (kv.key === 'llama.feed_forward_length' ? ({ ...kv, value: 128 } as GgufKv) : kv),
    );
    expect(() => loadGguf(writeGguf(wrongFfn, ggufTensors(m, 0)))).toThrow(
      /blk.0.ffn_gate.weight has shape \[96, 64\] .* implies \[128, 64\]/,
    );
    const gpt2 = ggufLlamaMetadata(m).map(
      (kv): GgufKv => (kv.key === 'general.architecture' ? ({ ...kv, value: 'gpt2' } as GgufKv) : kv),
    );
    expect(() => loadGguf(writeGguf(gpt2, ggufTensors(m, 0)))).toThrow(/architecture is "gpt2"; only "llama"/);
  });
});

describe.skipIf(!hasSharedData)(`GGUF carrying the tok512 vocabulary (real data; ${SKIP_REASON} when absent)`, () => {
  it('encodes like tok512.bin itself (llama.cpp-style types and U+2581 spaces)', () => {
    const ref = parseLlama2cTokenizer(readShared('models/tok512.bin'), 512);
    const tokens: string[] = [];
    const types: number[] = [];
    for (let id = 0; id < 512; id++) {
      const p = id === 1 ? '<s>' : id === 2 ? '</s>' : ref.piece(id).replace(/ /g, '\u2581');
      tokens.push(p);
      types.push(id === 0 ? 2 : id < 3 ? 3 : id < 259 ? 6 : 1);
    }
    const m = randomModel({ ...cfg, vocabSize: 512, sharedClassifier: true }, 26);
    const bytes = writeGguf(ggufLlamaMetadata(m, { tokens, scores: Array.from(ref.scores), types }), ggufTensors(m, 0));
    const tok = loadGguf(bytes).model.tokenizer!;
    const text = readSharedText('text/tinystories_valid_head.txt').slice(0, 20000) + ' café 🙂';
    expect(tok.encode(text, { bos: true })).toEqual(ref.encode(text, { bos: true }));
    expect(tok.decode(tok.encode(text, { bos: true }))).toBe(text);
  });
});

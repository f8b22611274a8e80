import { describe, expect, it } from 'vitest';
import { randomModel, type LlamaConfig, type LlamaModel } from '../types';
import { namedTensors, permuteToHfRows, unpermuteHfRows, f16ToF32 } from './common';
import {
  encodeFloats,
  f32ToBf16Bits,
  f32ToF16Bits,
  hfConfig,
  hfFiles,
  hfPermute,
  hfTensors,
  writeSafetensors,
} from './fixtures';
import { loadCheckpoint } from './index';
import { loadSafetensors } from './safetensors';

const gqa: LlamaConfig = {
  dim: 48,
  hiddenDim: 80,
  nLayers: 2,
  nHeads: 6,
  nKvHeads: 2,
  vocabSize: 40,
  maxSeqLen: 32,
  ropeTheta: 500000,
  normEps: 1e-6,
  sharedClassifier: false,
};
const utf8 = new TextEncoder();

function expectSameWeights(a: LlamaModel, b: LlamaModel, round: (x: number) => number = (x) => x): void {
  const ta = namedTensors(a);
  const tb = namedTensors(b);
  expect([...tb.keys()]).toEqual([...ta.keys()]);
  for (const [name, x] of ta) expect(tb.get(name), name).toEqual(Float32Array.from(x, round));
}

describe('HF q/k permutation', () => {
  it('unpermute(HF permute(w)) is w, and differs from w (so the step is not a no-op)', () => {
    const rows = 12,
      cols = 3,
      heads = 2; // head size 6: rows 0..5 = (r0 r1)(r2 r3)(r4 r5) pairs
    const w = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const hf = hfPermute(w, heads, rows, cols);
    // Head 0 in HF order: even rows (0, 2, 4) then odd rows (1, 3, 5).
    expect(
      Array.from(hf.subarray(0, 6 * cols))
        .filter((_, i) => i % cols === 0)
        .map((x) => x / cols),
    ).toEqual([0, 2, 4, 1, 3, 5]);
    expect(unpermuteHfRows(hf, heads, rows, cols)).toEqual(w);
    expect(permuteToHfRows(w, heads, rows, cols)).toEqual(hf);
  });
});

describe('safetensors loader on files written by the test', () => {
  it('F32, GQA, separate lm_head: config and every weight round-trip, q/k back in interleaved order', () => {
    const m = randomModel(gqa, 11);
    const { model, report } = loadCheckpoint(hfFiles(m, 'F32'));
    expect(report.format).toBe('safetensors');
    expect(model.config).toEqual(gqa);
    expectSameWeights(m, model);
    expect(report.tensors.find((t) => t.name === 'layers.0.q')).toMatchObject({
      storedName: 'model.layers.0.self_attn.q_proj.weight',
      dtype: 'F32',
      shape: [48, 48],
    });
  });

  it('BF16, tied embeddings, three shards with an index', () => {
    const m = randomModel({ ...gqa, sharedClassifier: true }, 12);
    const files = hfFiles(m, 'BF16', 3);
    expect(files.filter((f) => f.name.endsWith('.safetensors'))).toHaveLength(3);
    const { model, report } = loadCheckpoint(files);
    expect(model.config.sharedClassifier).toBe(true);
    expect(model.weights.classifier).toBe(model.weights.tokenEmbedding);
    const bf16 = (x: number) => new Float32Array(new Uint32Array([f32ToBf16Bits(x) << 16]).buffer)[0];
    expectSameWeights(m, model, bf16);
    expect(report.tensors[0].dtype).toBe('BF16');
  });

  it('F16 converts exactly (checked against hand-known half bit patterns)', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x3555].map(f16ToF32)).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      -0,
      0.333251953125,
    ]);
    expect(f32ToF16Bits(1 / 3)).toBe(0x3555);
    const m = randomModel(gqa, 13);
    const { model } = loadCheckpoint(hfFiles(m, 'F16'));
    expectSameWeights(m, model, (x) => f16ToF32(f32ToF16Bits(x)));
  });

  it('rejects a truncated file, saying how many bytes were needed', () => {
    const files = hfFiles(randomModel(gqa, 1), 'F32');
    const st = files.find((f) => f.name === 'model.safetensors')!;
    const cut = [files[0], { name: st.name, bytes: st.bytes.subarray(0, st.bytes.length - 100) }];
    expect(() => loadCheckpoint(cut)).toThrow(
      /truncated file: model.safetensors tensor .* needs bytes up to [\d,]+ bytes, the file has [\d,]+ bytes/,
    );
    expect(() => loadCheckpoint([files[0], { name: st.name, bytes: st.bytes.subarray(0, 5) }])).toThrow(
      /truncated file/,
    );
  });

  it('rejects shapes that disagree with config.json', () => {
    const m = randomModel(gqa, 2);
    const config = { ...hfConfig(m), intermediate_size: 96 };
    expect(() =>
      loadSafetensors({
        shards: [{ name: 'model.safetensors', bytes: writeSafetensors(hfTensors(m, 'F32')) }],
        config,
      }),
    ).toThrow(/model.layers.0.mlp.gate_proj.weight has shape \[80, 48\], config.json implies \[96, 48\]/);
  });

  it('rejects huge declared sizes before allocating', () => {
    // A header claiming a 2^20 x 2^20 tensor (2^40 elements) backed by 16 bytes.
    const big = writeSafetensors([
      { name: 'model.embed_tokens.weight', dtype: 'F32', shape: [2 ** 20, 2 ** 20], data: new Uint8Array(16) },
    ]);
    const cfg = { name: 'config.json', bytes: utf8.encode(JSON.stringify(hfConfig(randomModel(gqa, 1)))) };
    expect(() => loadCheckpoint([cfg, { name: 'model.safetensors', bytes: big }])).toThrow(
      /1099511627776 elements .* data_offsets span 16 bytes/,
    );
    // A header length of 2^50.
    const lie = new Uint8Array(64);
    new DataView(lie.buffer).setBigUint64(0, 2n ** 50n, true);
    lie[8] = 0x7b;
    expect(() =>
      loadSafetensors({ shards: [{ name: 'x.safetensors', bytes: lie }], config: hfConfig(randomModel(gqa, 1)) }),
    ).toThrow(/implausibly large/);
  });

  it('reports what is missing: config.json, a shard, lm_head, non-Llama configs', () => {
    const m = randomModel(gqa, 3);
    const files = hfFiles(m, 'F32', 2);
    expect(() => loadCheckpoint(files.filter((f) => f.name !== 'config.json'))).toThrow(/need config.json/);
    expect(() => loadCheckpoint(files.filter((f) => !f.name.startsWith('model-00002')))).toThrow(
      /missing safetensors shards listed in the index: model-00002-of-00002.safetensors/,
    );
    const noHead = hfTensors(m, 'F32').filter((t) => t.name !== 'lm_head.weight');
    expect(() =>
      loadSafetensors({
        shards: [{ name: 'model.safetensors', bytes: writeSafetensors(noHead) }],
        config: hfConfig(m),
      }),
    ).toThrow(/no lm_head.weight/);
    expect(() =>
      loadSafetensors({
        shards: [],
        config: { ...hfConfig(m), model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] },
      }),
    ).toThrow(/only Llama/);
    const odd = {
      name: 'model.safetensors',
      bytes: writeSafetensors([
        { name: 'model.embed_tokens.weight', dtype: 'I8', shape: [40, 48], data: new Uint8Array(40 * 48) },
      ]),
    };
    expect(() => loadSafetensors({ shards: [odd], config: { ...hfConfig(m), tie_word_embeddings: true } })).toThrow(
      /dtype I8; supported: F32, F16, BF16/,
    );
  });

  it('encodes test data as the dtypes claim (guards the fixtures themselves)', () => {
    expect(Array.from(new Uint16Array(encodeFloats(Float32Array.of(1, -2), 'BF16').buffer))).toEqual([0x3f80, 0xc000]);
    expect(Array.from(new Uint16Array(encodeFloats(Float32Array.of(1, -2), 'F16').buffer))).toEqual([0x3c00, 0xc000]);
  });
});

// Real Hugging Face LlamaForCausalLM configurations (hf-configs/: SmolLM-135M, TinyLlama-1.1B,
// Llama-3.2-1B): the published config.json parses to the expected LlamaConfig (rope_scaling, GQA,
// tied embeddings); random-weight checkpoints written with each config, scaled down in width, depth
// and vocabulary but keeping every key, load from BF16 and F16 shards with an index and give back
// every weight (rounded as the dtype rounds it); a full-size TinyLlama header set is checked
// without any weight bytes.
import {
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomModel, parameterCount, type LlamaConfig, type LlamaModel } from '../types';
import { namedTensors, canonicalNames } from './common';
import { f32ToBf16Bits, f32ToF16Bits, hfTensors, writeSafetensors, type FloatDtype } from './fixtures';
import { f16ToF32 } from './common';
import { inspectSafetensorsFiles, loadCheckpoint } from './index';
import { configFromHf } from './safetensors';
import { runCli } from '../../../../tests/support/cli';

const here = path.dirname(new URL(import.meta.url).pathname);
const published = (name: string) =>
  JSON.parse(readFileSync(path.join(here, 'hf-configs', `${name}.config.json`), 'utf8')) as Record<string, unknown>;
const utf8 = new TextEncoder();

/** What each published config must parse to (values read off the config by hand). */
const EXPECTED: Record<string, LlamaConfig> = {
  'smollm-135m': {
    dim: 576,
    hiddenDim: 1536,
    nLayers: 30,
    nHeads: 9,
    nKvHeads: 3,
    vocabSize: 49152,
    maxSeqLen: 2048,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: true,
  },
  'tinyllama-1.1b': {
    dim: 2048,
    hiddenDim: 5632,
    nLayers: 22,
    nHeads: 32,
    nKvHeads: 4,
    vocabSize: 32000,
    maxSeqLen: 2048,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: false,
  },
  'llama-3.2-1b': {
    dim: 2048,
    hiddenDim: 8192,
    nLayers: 16,
    nHeads: 32,
    nKvHeads: 8,
    vocabSize: 128256,
    maxSeqLen: 131072,
    ropeTheta: 500000,
    normEps: 1e-5,
    sharedClassifier: true,
    ropeScaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
  },
};

/** The config scaled down: head size 4, 2 layers, 64 tokens, hidden 24; head counts, rope block and flags kept. */
function scaledDown(json: Record<string, unknown>): Record<string, unknown> {
  const heads = json.num_attention_heads as number;
  const out: Record<string, unknown> = {
    ...json,
    hidden_size: 4 * heads,
    intermediate_size: 24,
    num_hidden_layers: 2,
    vocab_size: 64,
    bos_token_id: 1,
    eos_token_id: 2,
  };
  if ('head_dim' in json) out.head_dim = 4;
  return out;
}

/** A sharded HF folder: config.json, `shards` safetensors files and model.safetensors.index.json. */
function checkpoint(config: Record<string, unknown>, m: LlamaModel, dtype: FloatDtype, shards: number, extra = false) {
  const tensors = hfTensors(m, dtype);
  // Tied checkpoints saved by some tools still carry lm_head.weight (a copy); the loader must ignore it.
  if (extra) tensors.push({ ...tensors[0], name: 'lm_head.weight' });
  const files: { name: string; bytes: Uint8Array }[] = [
    { name: 'config.json', bytes: utf8.encode(JSON.stringify(config)) },
  ];
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(tensors.length / shards);
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    for (const t of part) weightMap[t.name] = name;
    files.push({ name, bytes: writeSafetensors(part) });
  }
  files.push({
    name: 'model.safetensors.index.json',
    bytes: utf8.encode(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap })),
  });
  return files;
}

const round: Record<FloatDtype, (x: number) => number> = {
  F32: (x) => x,
  F16: (x) => f16ToF32(f32ToF16Bits(x)),
  BF16: (x) => new Float32Array(new Uint32Array([f32ToBf16Bits(x) << 16]).buffer)[0],
};

describe('published Hugging Face configs', () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: config.json parses to the expected LlamaConfig`, () => {
      const { config } = configFromHf(published(name));
      expect(config).toEqual(want);
    });

    for (const dtype of ['BF16', 'F16'] as const) {
      it(`${name}: a scaled-down random checkpoint in ${dtype}, 3 shards with an index, round-trips`, () => {
        const json = scaledDown(published(name));
        const { config: c } = configFromHf(json);
        // Everything but the sizes is the published config's.
        expect(c).toMatchObject({
          nHeads: want.nHeads,
          nKvHeads: want.nKvHeads,
          sharedClassifier: want.sharedClassifier,
          ropeTheta: want.ropeTheta,
          normEps: want.normEps,
          maxSeqLen: want.maxSeqLen,
        });
        expect(c.ropeScaling).toEqual(want.ropeScaling);
        const m = randomModel(c, 5);
        const files = checkpoint(json, m, dtype, 3, c.sharedClassifier);
        const { model, report } = loadCheckpoint(files);
        expect(model.config).toEqual(c);
        expect(report.variant).toBe('safetensors, 3 files');
        expect(report.warnings).toEqual([]);
        expect(report.tensors.every((t) => t.dtype === dtype)).toBe(true);
        if (c.sharedClassifier) expect(model.weights.classifier).toBe(model.weights.tokenEmbedding);
        else expect(model.weights.classifier).not.toBe(model.weights.tokenEmbedding);
        const got = namedTensors(model);
        for (const [t, a] of namedTensors(m)) expect(got.get(t), t).toEqual(Float32Array.from(a, round[dtype]));
      });
    }
  }

  it('rope_scaling: linear and dynamic parse; rope_type "default" is plain RoPE; "type" is read like rope_type', () => {
    const base = scaledDown(published('tinyllama-1.1b'));
    expect(configFromHf({ ...base, rope_scaling: { type: 'linear', factor: 2.0 } }).config.ropeScaling).toEqual({
      type: 'linear',
      factor: 2,
    });
    // transformers' dynamic NTK uses max_position_embeddings when no original length is given.
    expect(configFromHf({ ...base, rope_scaling: { rope_type: 'dynamic', factor: 4 } }).config.ropeScaling).toEqual({
      type: 'dynamic',
      factor: 4,
      originalMaxPositions: 2048,
    });
    expect(
      configFromHf({
        ...base,
        rope_scaling: { rope_type: 'dynamic', factor: 4, original_max_position_embeddings: 512 },
      }).config.ropeScaling,
    ).toEqual({ type: 'dynamic', factor: 4, originalMaxPositions: 512 });
    expect(configFromHf({ ...base, rope_scaling: { rope_type: 'default' } }).config.ropeScaling).toBeUndefined();
    expect(() => configFromHf({ ...base, rope_scaling: { rope_type: 'longrope', factor: 4 } })).toThrow(
      'config.json: rope_scaling type "longrope" is not supported (linear, dynamic and llama3 are)',
    );
    expect(() => configFromHf({ ...base, rope_scaling: { factor: 4 } })).toThrow(
      'config.json: rope_scaling has no rope_type (or type)',
    );
    expect(() => configFromHf({ ...base, rope_scaling: { type: 'linear', factor: 0.5 } })).toThrow(
      'config.json: invalid model config: ropeScaling (linear) factor = 0.5 is outside 1..1000000',
    );
  });
});

/** TinyLlama-1.1B's 201 tensors in BF16 over two shards: headers only, each declaring the full data size. */
function tinyLlamaHeaders(): { files: { name: string; bytes: Uint8Array; size: number }[]; dataBytes: number } {
  const c = EXPECTED['tinyllama-1.1b'];
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [c.vocabSize, c.dim]]];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `model.layers.${l}.`;
    shapes.push(
      [p + 'input_layernorm.weight', [c.dim]],
      [p + 'self_attn.q_proj.weight', [c.dim, c.dim]],
      [p + 'self_attn.k_proj.weight', [kv, c.dim]],
      [p + 'self_attn.v_proj.weight', [kv, c.dim]],
      [p + 'self_attn.o_proj.weight', [c.dim, c.dim]],
      [p + 'post_attention_layernorm.weight', [c.dim]],
      [p + 'mlp.gate_proj.weight', [c.hiddenDim, c.dim]],
      [p + 'mlp.up_proj.weight', [c.hiddenDim, c.dim]],
      [p + 'mlp.down_proj.weight', [c.dim, c.hiddenDim]],
    );
  }
  shapes.push(['model.norm.weight', [c.dim]], ['lm_head.weight', [c.vocabSize, c.dim]]);
  const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const halves = [shapes.slice(0, 100), shapes.slice(100)];
  const weightMap: Record<string, string> = {};
  let dataBytes = 0;
  const files = halves.map((part, i) => {
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let o = 0;
    for (const [n, shape] of part) {
      const bytes = 2 * shape.reduce((a, b) => a * b, 1);
      header[n] = { dtype: 'BF16', shape, data_offsets: [o, o + bytes] };
      weightMap[n] = names[i];
      o += bytes;
    }
    dataBytes += o;
    let json = JSON.stringify(header);
    while ((8 + json.length) % 8 !== 0) json += ' ';
    const h = new Uint8Array(8 + json.length);
    new DataView(h.buffer).setBigUint64(0, BigInt(json.length), true);
    h.set(utf8.encode(json), 8);
    return { name: names[i], bytes: h, size: h.length + o };
  });
  files.push({
    name: 'model.safetensors.index.json',
    bytes: utf8.encode(JSON.stringify({ metadata: { total_size: dataBytes }, weight_map: weightMap })),
    size: 0,
  });
  files.push({ name: 'config.json', bytes: utf8.encode(JSON.stringify(published('tinyllama-1.1b'))), size: 0 });
  for (const f of files) if (!f.name.endsWith('.safetensors')) f.size = f.bytes.length;
  return { files, dataBytes };
}

describe('full-size headers without weights', () => {
  it('TinyLlama-1.1B: config, index and both shard headers are checked from the headers alone', () => {
    const { files, dataBytes } = tinyLlamaHeaders();
    // 2 bytes per BF16 parameter; the header bytes handed over are a few kB.
    expect(dataBytes).toBe(2 * 1_100_048_384);
    expect(files.reduce((a, f) => a + f.bytes.length, 0)).toBeLessThan(100_000);
    const { config, report } = inspectSafetensorsFiles(files);
    expect(config).toEqual(EXPECTED['tinyllama-1.1b']);
    expect(parameterCount(config)).toBe(1_100_048_384);
    expect(report.tensors).toHaveLength(201);
    expect(report.tensors.map((t) => t.name)).toEqual(canonicalNames(config));
    expect(report.bytes).toBe(files.filter((f) => f.name.endsWith('.safetensors')).reduce((a, f) => a + f.size, 0));
    expect(report.warnings).toEqual([]);
    // The same shard headers cannot be loaded as weights.
    expect(() => loadCheckpoint(files)).toThrow(/needs bytes up to/);
  });

  it('fgmp info --header-only reads 2.2 GB (sparse) shards through their headers', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-tinyllama-'));
    try {
      const { files } = tinyLlamaHeaders();
      for (const f of files) {
        const p = path.join(dir, f.name);
        const fd = openSync(p, 'w');
        writeSync(fd, f.bytes);
        closeSync(fd);
        if (f.size > f.bytes.length) truncateSync(p, f.size); // a hole: no bytes written, none read back
      }
      writeFileSync(path.join(dir, 'README.md'), 'ignored\n');
      const { code, out, err } = await runCli(['info', dir, '--header-only', '--json']);
      expect(err).toBe('');
      expect(code).toBe(0);
      const j = JSON.parse(out);
      expect(j.weightsRead).toBe(false);
      expect(j.config).toEqual(EXPECTED['tinyllama-1.1b']);
      expect(j.parameters.total).toBe(1_100_048_384);
      expect(j.tensors).toHaveLength(201);
      expect(j.tensors[1]).toMatchObject({ name: 'layers.0.attnNorm', dtype: 'BF16', shape: [2048] });
      const refused = await runCli(['info', path.join(dir, 'config.json'), '--header-only']);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/--header-only reads Hugging Face safetensors checkpoints/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

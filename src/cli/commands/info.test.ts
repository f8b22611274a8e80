import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedData, sharedPath, SKIP_REASON } from '../../../tests/support/sharedData';
import { ggufLlamaMetadata, ggufTensors, hfFiles, writeGguf } from '../../core/model/loaders/fixtures';
import { randomModel } from '../../core/model/types';
import { runCli } from '../../../tests/support/cli';
import { tinyConfig } from '../../../tests/support/models';

const cfg = tinyConfig({ hiddenDim: 64, sharedClassifier: false });

describe.skipIf(!hasSharedData)(`fgmp info on stories260K (real data; ${SKIP_REASON} when absent)`, () => {
  it('--json gives config, parameter counts, tokenizer and per-tensor statistics', async () => {
    const { code, out } = await runCli([
      'info',
      sharedPath('models/stories260K.bin'),
      '--tokenizer',
      sharedPath('models/tok512.bin'),
      '--json',
    ]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.format).toBe('llama2c');
    expect(j.config).toMatchObject({
      dim: 64,
      hiddenDim: 172,
      nLayers: 5,
      nHeads: 8,
      nKvHeads: 4,
      vocabSize: 512,
      maxSeqLen: 512,
      sharedClassifier: true,
    });
    // 264,128 floats in the file minus the 2 x 512 x 4 RoPE table.
    expect(j.parameters.total).toBe(264_128 - 4096);
    expect(j.parameters.embedding + j.parameters.attention + j.parameters.feedForward + j.parameters.norms).toBe(
      j.parameters.total,
    );
    expect(j.tokenizer).toEqual({ vocabSize: 512, bosId: 1, eosId: 2 });
    expect(j.tensors).toHaveLength(1 + 5 * 9 + 1);
    const fnorm = j.tensors.find((t: { name: string }) => t.name === 'finalNorm');
    expect(fnorm).toMatchObject({ shape: [64], dtype: 'F32', numel: 64, nanCount: 0 });
    expect(fnorm.min).toBeLessThanOrEqual(fnorm.meanAbs);
    expect(fnorm.max).toBeGreaterThanOrEqual(fnorm.meanAbs);
  });

  it('prints tables in text mode and fails clearly on a file that is not a checkpoint', async () => {
    const ok = await runCli(['info', sharedPath('models/stories260K.bin')]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/llama2.c v0 \(legacy\), 1,056,540 bytes/);
    expect(ok.out).toMatch(/layers\.4\.down\s+w2\[4\]\s+64x172\s+F32\s+11,008/);
    const bad = await runCli(['info', sharedPath('models/tok512.bin')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cannot tell the format of tok512.bin .*expected one of/);
  });
});

describe('fgmp info on fabricated files', () => {
  it('reads a GGUF file and a Hugging Face folder; statistics match the weights', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-info-'));
    const m = randomModel(cfg, 31);
    m.weights.layers[0].v[3] = NaN;
    m.weights.layers[1].q[5] = -Infinity;
    m.weights.layers[1].q[6] = Infinity;
    writeFileSync(path.join(dir, 'tiny.gguf'), writeGguf(ggufLlamaMetadata(m), ggufTensors(m, 0)));
    const g = JSON.parse((await runCli(['info', path.join(dir, 'tiny.gguf'), '--json'])).out);
    expect(g.variant).toBe('GGUF v3');
    expect(g.nanCount).toBe(1);
    expect(g.nonFinite).toEqual({ nan: 1, inf: 2 });
    expect(g.weightsRead).toBe(true);
    const v = g.tensors.find((t: { name: string }) => t.name === 'layers.0.v');
    const vals = Array.from(m.weights.layers[0].v).filter((x) => !Number.isNaN(x));
    expect(v.nanCount).toBe(1);
    expect(v.min).toBe(Math.min(...vals));
    expect(v.max).toBe(Math.max(...vals));
    expect(v.meanAbs).toBeCloseTo(vals.reduce((a, x) => a + Math.abs(x), 0) / vals.length, 12);
    expect(g.warnings.join()).toMatch(/1 NaN weight/);
    expect(g.warnings).toContain('2 infinite (±Inf) weight values in 1 tensor: layers.1.q (2)');
    // Statistics are over the finite values; the infinities are counted, not averaged.
    const q = g.tensors.find((t: { name: string }) => t.name === 'layers.1.q');
    const finite = Array.from(m.weights.layers[1].q).filter(Number.isFinite);
    expect(q.nonFinite).toEqual({ nan: 0, inf: 2 });
    expect([q.min, q.max]).toEqual([Math.min(...finite), Math.max(...finite)]);
    expect(v.nonFinite).toEqual({ nan: 1, inf: 0 });
    const text = (await runCli(['info', path.join(dir, 'tiny.gguf')])).out;
    expect(text).toMatch(/layers\.1\.q\s+blk\.1\.attn_q\.weight\s+32x32\s+F32\s+1,024(\s+\S+){3}\s+0\s+2\n/);

    const hf = mkdtempSync(path.join(dir, 'hf-'));
    for (const f of hfFiles(randomModel(cfg, 32), 'BF16', 2)) writeFileSync(path.join(hf, f.name), f.bytes);
    const h = JSON.parse((await runCli(['info', hf, '--json'])).out);
    expect(h.format).toBe('safetensors');
    expect(h.tensors.find((t: { name: string }) => t.name === 'classifier').dtype).toBe('BF16');

    const missing = await runCli(['info', path.join(dir, 'nope.bin')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/model not found/);
  });
});

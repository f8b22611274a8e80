// What the hostile corpus cannot show by messages alone: the limits are exact (depth 64 loads, 65
// does not), a vocabulary cut to the embedding never encodes beyond it, a legal file at the edge of
// the rules (zero-length tensors sharing an offset) still loads, and NaN / Inf are counted apart.
import { describe, expect, it } from 'vitest';
import { randomModel } from '../../types';
import { countNonFinite } from '../common';
import { ggufLlamaMetadata, ggufTensors, hfConfig, hfTensors } from '../fixtures';
import { ggufValueToJs, GGUF_MAX_ARRAY_DEPTH, loadGguf, parseGguf } from '../gguf';
import { loadCheckpoint } from '../index';
import { bpeTokenizerJson, Bytes, json, kv, rawKvs, smallVocab, writeRawGguf, writeRawSafetensors } from './build';
import { HOSTILE_CONFIG } from './corpus';

const m = randomModel({ ...HOSTILE_CONFIG, sharedClassifier: false }, 3);

function nested(depth: number): Uint8Array {
  const b = new Bytes();
  for (let i = 0; i < depth - 1; i++) b.u32(9).u64(1);
  b.u32(4).u64(2).u32(7).u32(11); // the innermost array: two uint32
  return b.bytes();
}

describe('limits', () => {
  it(`GGUF arrays nest up to ${GGUF_MAX_ARRAY_DEPTH} deep and no deeper`, () => {
    const ok = parseGguf(
      writeRawGguf([...rawKvs(ggufLlamaMetadata(m)), kv.raw('x', 9, nested(GGUF_MAX_ARRAY_DEPTH))], ggufTensors(m)),
    );
    let v = ggufValueToJs(ok.metadata.get('x')!) as unknown;
    for (let d = 1; d < GGUF_MAX_ARRAY_DEPTH; d++) v = (v as unknown[])[0];
    expect(v).toEqual([7, 11]);
    expect(() =>
      parseGguf(
        writeRawGguf(
          [...rawKvs(ggufLlamaMetadata(m)), kv.raw('x', 9, nested(GGUF_MAX_ARRAY_DEPTH + 1))],
          ggufTensors(m),
        ),
      ),
    ).toThrow(`nests arrays more than ${GGUF_MAX_ARRAY_DEPTH} deep`);
  });

  it('a GGUF vocabulary 4x the embedding is cut to it: encode gives ids below 8 only, byte fallback included', () => {
    const tokens = smallVocab(32).map((t, i) => (i === 7 ? '\u2581' : t)); // id 7: the space
    const meta = ggufLlamaMetadata(m, {
      tokens,
      scores: tokens.map((_, i) => -i),
      types: tokens.map((_, i) => (i < 3 ? 3 : 1)),
    });
    const { model } = loadGguf(writeRawGguf(rawKvs(meta), ggufTensors(m)));
    const tok = model.tokenizer!;
    expect(tok.vocabSize).toBe(8);
    // "z" (id 28) and "ab" (id 29) are beyond the embedding: they must not come back.
    const ids = tok.encode('zab cd', { bos: true, eos: true });
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 8)).toBe(true);
    expect(ids[0]).toBe(1);
    expect(ids[ids.length - 1]).toBe(2);
    expect(ids).toContain(3); // "a"
    expect(ids).toContain(7); // " "
  });

  it('a tokenizer.json 4x the embedding never encodes beyond it: ids inside pass, others are refused', () => {
    const files = [
      { name: 'config.json', bytes: json(hfConfig(m)) },
      { name: 'model.safetensors', bytes: safetensorsOf(m) },
      { name: 'tokenizer.json', bytes: json(bpeTokenizerJson(smallVocab(32), [])) },
    ];
    const tok = loadCheckpoint(files).model.tokenizer!;
    expect(tok.vocabSize).toBe(8);
    expect(tok.encode('abcde')).toEqual([3, 4, 5, 6, 7]);
    expect(() => tok.encode('abz')).toThrow(
      `the text encodes to token id 28 ("z"), beyond the model's embedding of 8 tokens`,
    );
  });

  it('zero-length tensors may share an offset (legal safetensors); a full tensor inside another may not', () => {
    const tensors = hfTensors(m, 'F32');
    const header: Record<string, unknown> = {};
    let o = 0;
    for (const t of tensors) {
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [o, o + t.data.length] };
      o += t.data.length;
    }
    const data = new Uint8Array(o);
    let p = 0;
    for (const t of tensors) {
      data.set(t.data, p);
      p += t.data.length;
    }
    const empty = { dtype: 'F32', shape: [0, 8], data_offsets: [256, 256] };
    const ok = { ...header, 'extra.a': empty, 'extra.b': empty };
    const loaded = loadCheckpoint([
      { name: 'config.json', bytes: json(hfConfig(m)) },
      { name: 'model.safetensors', bytes: writeRawSafetensors(ok, data) },
    ]);
    expect(loaded.report.warnings).toEqual(['ignored 2 tensors not used by a Llama model: extra.a, extra.b']);
    const inside = { ...header, 'extra.a': { dtype: 'F32', shape: [1], data_offsets: [256, 260] } };
    expect(() =>
      loadCheckpoint([
        { name: 'config.json', bytes: json(hfConfig(m)) },
        { name: 'model.safetensors', bytes: writeRawSafetensors(inside, data) },
      ]),
    ).toThrow(/overlap/);
  });

  it('GGUF RoPE scaling: linear is read into ropeScaling; YaRN and rope_freqs.weight are refused by name', () => {
    const base = rawKvs(ggufLlamaMetadata(m));
    const linear = loadGguf(
      writeRawGguf(
        [...base, kv.str('llama.rope.scaling.type', 'linear'), kv.f32('llama.rope.scaling.factor', 4)],
        ggufTensors(m),
      ),
    );
    expect(linear.model.config.ropeScaling).toEqual({ type: 'linear', factor: 4 });
    expect(
      loadGguf(writeRawGguf([...base, kv.str('llama.rope.scaling.type', 'none')], ggufTensors(m))).model.config
        .ropeScaling,
    ).toBeUndefined();
    expect(() => loadGguf(writeRawGguf([...base, kv.str('llama.rope.scaling.type', 'yarn')], ggufTensors(m)))).toThrow(
      'model.gguf: GGUF RoPE scaling "yarn" is not supported (none and linear are)',
    );
    const freqs = { name: 'rope_freqs.weight', shape: [2], type: 0, data: new Uint8Array(8) };
    expect(() => loadGguf(writeRawGguf(base, [...ggufTensors(m), freqs]))).toThrow(
      'model.gguf: tensor rope_freqs.weight (Llama 3 RoPE scaling as per-frequency factors) is not supported; load the Hugging Face safetensors (config.json rope_scaling) instead',
    );
  });

  it('counts NaN and ±Inf apart (every NaN payload, both infinities, the largest finite values)', () => {
    const bits = new Uint32Array([
      0x7fc00000, 0xffc00001, 0x7f800001, 0x7f800000, 0xff800000, 0x7f7fffff, 0xff7fffff, 0, 0x80000000, 1,
    ]);
    expect(countNonFinite(new Float32Array(bits.buffer))).toEqual({ nan: 3, inf: 2 });
  });
});

function safetensorsOf(model: typeof m): Uint8Array {
  const tensors = hfTensors(model, 'F32');
  const header: Record<string, unknown> = {};
  let o = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [o, o + t.data.length] };
    o += t.data.length;
  }
  const data = new Uint8Array(o);
  tensors.forEach((t) => data.set(t.data, (header[t.name] as { data_offsets: number[] }).data_offsets[0]));
  return writeRawSafetensors(header, data);
}

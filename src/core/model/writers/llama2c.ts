// Writes a llama2.c legacy ("version 0", run.c's format) checkpoint: 7 little-endian int32
// (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; vocab_size negative when
// the classifier is stored separately), then float32 arrays: token_embedding, rms_att, wq, wk, wv,
// wo, rms_ffn, w1 (gate), w2 (down), w3 (up), rms_final, freq_cis_real, freq_cis_imag (unused by
// run.c but part of the layout), then the classifier when not shared.

import { headSize, validateConfig, type LayerWeights, type LlamaModel } from '../types';

export function writeLlama2c(model: LlamaModel): Uint8Array {
  const c = model.config;
  validateConfig(c);
  if (c.ropeTheta !== 10000)
    throw new Error(`llama2.c checkpoints imply RoPE theta 10000; this model has ${c.ropeTheta}`);
  const w = model.weights;
  const hs = headSize(c);
  const kv = hs * c.nKvHeads;
  const arrays: [string, Float32Array, number][] = [['tokenEmbedding', w.tokenEmbedding, c.vocabSize * c.dim]];
  const perLayer = (key: keyof LayerWeights, n: number) =>
    w.layers.forEach((l, i) => arrays.push([`layers.${i}.${key}`, l[key], n]));
  if (w.layers.length !== c.nLayers) throw new Error(`model has ${w.layers.length} layers, config says ${c.nLayers}`);
  perLayer('attnNorm', c.dim);
  perLayer('q', c.dim * c.dim);
  perLayer('k', kv * c.dim);
  perLayer('v', kv * c.dim);
  perLayer('o', c.dim * c.dim);
  perLayer('ffnNorm', c.dim);
  perLayer('gate', c.hiddenDim * c.dim);
  perLayer('down', c.dim * c.hiddenDim);
  perLayer('up', c.hiddenDim * c.dim);
  arrays.push(['finalNorm', w.finalNorm, c.dim]);
  // freq_cis as llama2.c's model.py precomputes them: cos/sin(pos * theta^(-2i/headSize)).
  const half = hs / 2;
  const real = new Float32Array(c.maxSeqLen * half);
  const imag = new Float32Array(c.maxSeqLen * half);
  for (let p = 0; p < c.maxSeqLen; p++) {
    for (let i = 0; i < half; i++) {
      const freq = 1 / Math.pow(c.ropeTheta, (2 * i) / hs);
      real[p * half + i] = Math.cos(p * freq);
      imag[p * half + i] = Math.sin(p * freq);
    }
  }
  arrays.push(['freq_cis_real', real, real.length], ['freq_cis_imag', imag, imag.length]);
  if (!c.sharedClassifier) arrays.push(['classifier', w.classifier, c.vocabSize * c.dim]);

  let floats = 0;
  for (const [name, a, n] of arrays) {
    if (a.length !== n) throw new Error(`llama2.c writer: ${name} has ${a.length} values, expected ${n}`);
    floats += n;
  }
  const out = new Uint8Array(28 + 4 * floats);
  const dv = new DataView(out.buffer);
  const header = [
    c.dim,
    c.hiddenDim,
    c.nLayers,
    c.nHeads,
    c.nKvHeads,
    c.sharedClassifier ? c.vocabSize : -c.vocabSize,
    c.maxSeqLen,
  ];
  header.forEach((v, i) => dv.setInt32(4 * i, v, true));
  let o = 28;
  for (const [, a] of arrays) {
    for (let i = 0; i < a.length; i++, o += 4) dv.setFloat32(o, a[i], true);
  }
  return out;
}

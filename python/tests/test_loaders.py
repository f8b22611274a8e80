"""The built-in loader reads the Hugging Face safetensors layout (config.json + one file or shards) into the
same model as the llama2.c file: stories260K written out in HF form (q/k rows permuted as HF's converter
does, bf16 and f32) loads back to identical weights."""
from __future__ import annotations

import json
import os

import pytest

torch = pytest.importorskip('torch', reason='torch is not installed (Debian python3-torch)')

from conftest import MODEL, need_shared  # noqa: E402
from fgmp_torch import safetensors_io as st  # noqa: E402
from fgmp_torch.loaders import HF_LEAF, hf_row_order, load_llama2c, load_model  # noqa: E402


def write_hf(folder, dtype='F32', shards=1, tied=True):
    c, t = load_llama2c(MODEL)
    os.makedirs(folder, exist_ok=True)
    cfg = {'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'hidden_size': c.dim, 'intermediate_size': c.hidden_dim,
           'num_hidden_layers': c.n_layers, 'num_attention_heads': c.n_heads, 'num_key_value_heads': c.n_kv_heads,
           'vocab_size': c.vocab_size, 'max_position_embeddings': c.max_seq_len, 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0,
           'tie_word_embeddings': tied, 'hidden_act': 'silu'}
    json.dump(cfg, open(os.path.join(folder, 'config.json'), 'w'))
    named = {'model.embed_tokens.weight': t['tokenEmbedding'].reshape(c.vocab_size, c.dim), 'model.norm.weight': t['finalNorm']}
    for l in range(c.n_layers):
        for leaf, hf in HF_LEAF.items():
            w = t[f'L{l}.{leaf}']
            if leaf not in ('attnNorm', 'ffnNorm'):
                w = w.reshape(c.projection_shape(leaf))
            if leaf in ('q', 'k'):  # HF's converter: hf rows[idx] = interleaved rows
                heads = c.n_heads if leaf == 'q' else c.n_kv_heads
                hfw = torch.empty_like(w)
                hfw[hf_row_order(w.shape[0], heads)] = w
                w = hfw
            named[f'model.layers.{l}.{hf}.weight'] = w
    names = list(named)
    per = (len(names) + shards - 1) // shards
    weight_map = {}
    for s in range(shards):
        part = names[s * per:(s + 1) * per]
        fname = 'model.safetensors' if shards == 1 else f'model-{s + 1:05d}-of-{shards:05d}.safetensors'
        w = st.StreamingWriter(os.path.join(folder, fname), [(n, dtype, list(named[n].shape)) for n in part], {'format': 'pt'})
        for n in part:
            w.write(n, named[n])
            weight_map[n] = fname
        w.close()
    if shards > 1:
        json.dump({'weight_map': weight_map}, open(os.path.join(folder, 'model.safetensors.index.json'), 'w'))
    return c, t


@pytest.mark.parametrize('dtype,shards', [('F32', 1), ('BF16', 3)])
def test_hf_safetensors_layout_loads_the_same_model(tmp_path, dtype, shards):
    need_shared()
    c, t = write_hf(str(tmp_path / 'hf'), dtype, shards)
    ref, _ = load_model(MODEL)
    got, kind = load_model(str(tmp_path / 'hf'))
    assert kind == 'safetensors' and got.config.dim == c.dim and got.config.shared_classifier
    for (n1, a), (n2, b) in zip(ref.state_dict().items(), got.state_dict().items()):
        assert n1 == n2
        want = a if dtype == 'F32' else a.to(torch.bfloat16).float()
        assert torch.equal(b, want), n1
    toks = torch.tensor([[1, 403, 407, 261, 378, 432]])
    with torch.no_grad():
        if dtype == 'F32':
            assert torch.equal(ref(toks), got(toks))

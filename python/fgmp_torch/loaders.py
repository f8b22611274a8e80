"""Model loading: llama2.c .bin (legacy v0, v1 fp32, v2 int8 Q8_0) and Hugging Face safetensors folders
(config.json + model.safetensors or shards) into the built-in Llama; with transformers installed, any
LlamaForCausalLM checkpoint (its own config, rope scaling, grouped KV heads) via `load_hf_transformers`.
Mirrors src/core/model/loaders (llama2c.ts, safetensors.ts).
"""
from __future__ import annotations

import json
import os
import struct

import torch

from .model import Llama, LlamaConfig, set_weights
from . import safetensors_io as st

MAGIC = 0x616B3432


def _floats(data: bytes, offset: int, n: int) -> torch.Tensor:
    return torch.frombuffer(bytearray(data[offset:offset + 4 * n]), dtype=torch.float32)


def load_llama2c(path: str) -> tuple[LlamaConfig, dict[str, torch.Tensor]]:
    data = open(path, 'rb').read()
    if len(data) >= 8 and struct.unpack_from('<I', data, 0)[0] == MAGIC:
        return _load_versioned(data, path)
    if len(data) < 28:
        raise ValueError(f'{path}: truncated llama2.c checkpoint ({len(data)} bytes)')
    dim, hidden, L, nh, nkv, vocab, seq = struct.unpack_from('<7i', data, 0)
    shared = vocab > 0
    vocab = abs(vocab)
    c = LlamaConfig(dim, hidden, L, nh, nkv, vocab, seq, 10000.0, 1e-5, shared)
    kv, hs = c.kv_dim, c.head_size
    o = 28
    t: dict[str, torch.Tensor] = {}

    def take(n):
        nonlocal o
        a = _floats(data, o, n)
        o += 4 * n
        return a

    t['tokenEmbedding'] = take(vocab * dim)
    for name, n in (('attnNorm', dim), ('q', dim * dim), ('k', kv * dim), ('v', kv * dim), ('o', dim * dim),
                    ('ffnNorm', dim), ('gate', hidden * dim), ('down', dim * hidden), ('up', hidden * dim)):
        for l in range(L):
            t[f'L{l}.{name}'] = take(n)
    t['finalNorm'] = take(dim)
    o += seq * hs * 4  # freq_cis_real / imag: unused
    if not shared:
        t['classifier'] = take(vocab * dim)
    if o != len(data):
        raise ValueError(f'{path}: llama2.c v0 header ({dim}, {hidden}, {L}, {nh}, {nkv}, {vocab}, {seq}) implies {o} bytes, the file has {len(data)}')
    return c, t


def _load_versioned(data: bytes, path: str):
    version = struct.unpack_from('<i', data, 4)[0]
    if version not in (1, 2):
        raise ValueError(f'{path}: llama2.c checkpoint version {version} is not supported (0, 1, 2 are)')
    dim, hidden, L, nh, nkv, vocab, seq = struct.unpack_from('<7i', data, 8)
    shared = data[36] == 1
    c = LlamaConfig(dim, hidden, L, nh, nkv, vocab, seq, 10000.0, 1e-5, shared)
    kv = c.kv_dim
    o = 256
    t: dict[str, torch.Tensor] = {}
    group = struct.unpack_from('<i', data, 37)[0] if version == 2 else 0

    def f32(n):
        nonlocal o
        a = _floats(data, o, n)
        o += 4 * n
        return a

    def mat(n):
        nonlocal o
        if version == 1:
            return f32(n)
        q = torch.frombuffer(bytearray(data[o:o + n]), dtype=torch.int8).to(torch.float32)
        s = _floats(data, o + n, n // group)
        o += n + 4 * (n // group)
        return (q.reshape(-1, group) * s[:, None]).reshape(-1)

    for l in range(L):
        t[f'L{l}.attnNorm'] = f32(dim)
    for l in range(L):
        t[f'L{l}.ffnNorm'] = f32(dim)
    t['finalNorm'] = f32(dim)
    t['tokenEmbedding'] = mat(vocab * dim)
    for name, n in (('q', dim * dim), ('k', kv * dim), ('v', kv * dim), ('o', dim * dim), ('gate', hidden * dim), ('down', dim * hidden), ('up', hidden * dim)):
        for l in range(L):
            t[f'L{l}.{name}'] = mat(n)
    if not shared:
        t['classifier'] = mat(vocab * dim)
    if o != len(data):
        raise ValueError(f'{path}: llama2.c v{version} layout implies {o} bytes, the file has {len(data)}')
    return c, t


HF_LEAF = {'attnNorm': 'input_layernorm', 'q': 'self_attn.q_proj', 'k': 'self_attn.k_proj', 'v': 'self_attn.v_proj',
           'o': 'self_attn.o_proj', 'ffnNorm': 'post_attention_layernorm', 'gate': 'mlp.gate_proj', 'up': 'mlp.up_proj',
           'down': 'mlp.down_proj'}


def hf_rope_scaling(rs) -> dict | None:
    """transformers rope_scaling -> the TS RopeScaling shape."""
    if not rs:
        return None
    kind = rs.get('rope_type', rs.get('type'))
    if kind in (None, 'default'):
        return None
    if kind == 'linear':
        return {'type': 'linear', 'factor': rs['factor']}
    if kind == 'dynamic':
        return {'type': 'dynamic', 'factor': rs['factor'], 'originalMaxPositions': rs.get('original_max_position_embeddings')}
    if kind == 'llama3':
        return {'type': 'llama3', 'factor': rs['factor'], 'lowFreqFactor': rs['low_freq_factor'], 'highFreqFactor': rs['high_freq_factor'],
                'originalMaxPositions': rs['original_max_position_embeddings']}
    raise ValueError(f'rope_scaling {rs} is not supported')


def config_from_hf(cfg: dict) -> LlamaConfig:
    if cfg.get('model_type') != 'llama' and 'LlamaForCausalLM' not in (cfg.get('architectures') or []):
        raise ValueError(f'config.json: model_type {cfg.get("model_type")!r} is not Llama')
    nh = cfg['num_attention_heads']
    rs = hf_rope_scaling(cfg.get('rope_scaling'))
    if rs and rs['type'] == 'dynamic' and rs['originalMaxPositions'] is None:
        rs['originalMaxPositions'] = cfg['max_position_embeddings']
    return LlamaConfig(
        dim=cfg['hidden_size'], hidden_dim=cfg['intermediate_size'], n_layers=cfg['num_hidden_layers'], n_heads=nh,
        n_kv_heads=cfg.get('num_key_value_heads') or nh, vocab_size=cfg['vocab_size'], max_seq_len=cfg['max_position_embeddings'],
        rope_theta=float(cfg.get('rope_theta', 10000.0)), norm_eps=float(cfg.get('rms_norm_eps', 1e-6)),
        shared_classifier=bool(cfg.get('tie_word_embeddings', False)), rope_scaling=rs)


def unpermute_hf_rows(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """HF rotate-half row order -> llama2.c interleaved (TS unpermuteHfRows): out[h·hs + 2i + j] = hf[h·hs + j·hs/2 + i]."""
    rows = w.shape[0]
    hs = rows // n_heads
    return w.reshape(n_heads, 2, hs // 2, -1).transpose(1, 2).reshape(rows, -1)


def hf_row_order(rows: int, n_heads: int) -> torch.Tensor:
    """Index map: canonical (interleaved) row r holds HF row idx[r]."""
    return unpermute_hf_rows(torch.arange(rows).reshape(rows, 1), n_heads).reshape(-1)


def load_safetensors_dir(path: str) -> tuple[LlamaConfig, dict[str, torch.Tensor]]:
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    cfg = config_from_hf(json.load(open(os.path.join(folder, 'config.json'))))
    index = os.path.join(folder, 'model.safetensors.index.json')
    files = sorted({v for v in json.load(open(index))['weight_map'].values()}) if os.path.exists(index) else [
        os.path.basename(path) if path.endswith('.safetensors') else 'model.safetensors']
    raw: dict[str, torch.Tensor] = {}
    for f in files:
        t, _ = st.read_all(os.path.join(folder, f))
        raw.update(t)
    c = cfg
    t: dict[str, torch.Tensor] = {'tokenEmbedding': raw['model.embed_tokens.weight'].float(), 'finalNorm': raw['model.norm.weight'].float()}
    if not c.shared_classifier:
        t['classifier'] = raw.get('lm_head.weight', raw['model.embed_tokens.weight']).float()
    for l in range(c.n_layers):
        for leaf, hf in HF_LEAF.items():
            w = raw[f'model.layers.{l}.{hf}.weight'].float()
            if leaf == 'q':
                w = unpermute_hf_rows(w, c.n_heads)
            elif leaf == 'k':
                w = unpermute_hf_rows(w, c.n_kv_heads)
            t[f'L{l}.{leaf}'] = w
    return c, t


# Named shapes (src/core/model/shapes.ts) for random-weight models: `random:SHAPE[:SEED]`.
SHAPES = {
    'stories260K': LlamaConfig(64, 172, 5, 8, 4, 512, 512),
    'stories15M': LlamaConfig(288, 768, 6, 6, 6, 32000, 256),
    'stories42M': LlamaConfig(512, 1376, 8, 8, 8, 32000, 1024),
    'stories110M': LlamaConfig(768, 2048, 12, 12, 12, 32000, 1024),
    'smollm-135m': LlamaConfig(576, 1536, 30, 9, 3, 49152, 2048),
    'llama2-7b': LlamaConfig(4096, 11008, 32, 32, 32, 32000, 4096, shared_classifier=False),
}


def random_model(spec: str) -> Llama:
    """random:SHAPE[:SEED]: normal(0, 0.02) weights, unit norms (torch's generator, not the TS one)."""
    parts = spec.split(':')
    if len(parts) not in (2, 3) or parts[1] not in SHAPES:
        raise ValueError(f'unknown model {spec!r}: random:SHAPE[:SEED] with SHAPE one of {", ".join(SHAPES)}')
    import copy  # noqa: PLC0415
    c = copy.deepcopy(SHAPES[parts[1]])
    g = torch.Generator().manual_seed(int(parts[2]) if len(parts) == 3 else 0)
    m = Llama(c)
    with torch.no_grad():
        for name, prm in m.named_parameters():
            if name.endswith('norm.weight') or 'layernorm' in name:
                prm.fill_(1.0)
            else:
                prm.copy_(torch.randn(prm.shape, generator=g) * 0.02)
    return m


def load_model(path: str, device: str = 'cpu', dtype: torch.dtype = torch.float32):
    """Built-in Llama from a llama2.c .bin, an HF-layout safetensors folder/file, or random:SHAPE[:SEED].
    Returns (model, source kind)."""
    if path.startswith('random:'):
        return random_model(path).to(device=device, dtype=dtype).eval(), 'random'
    if os.path.isdir(path) or path.endswith('.safetensors'):
        c, t = load_safetensors_dir(path)
        kind = 'safetensors'
    else:
        c, t = load_llama2c(path)
        kind = 'llama2c'
    m = Llama(c)
    set_weights(m, t)
    return m.to(device=device, dtype=dtype).eval(), kind


def load_hf_transformers(path: str, device_map=None, dtype=None):
    """transformers LlamaForCausalLM (import-guarded: transformers is optional). device_map='auto' spreads
    a model larger than one device over the visible GPUs (accelerate's placement)."""
    try:
        from transformers import LlamaForCausalLM  # noqa: PLC0415
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise SystemExit('error: --engine transformers needs transformers: pip install transformers accelerate (or use the built-in loader)') from e
    kw = {}
    if dtype is not None:
        kw['torch_dtype'] = dtype
    if device_map is not None:
        kw['device_map'] = device_map
    m = LlamaForCausalLM.from_pretrained(path, **kw)
    return m.eval()

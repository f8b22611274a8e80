"""A small built-in Llama in torch (llama2.c architecture: RMSNorm, interleaved RoPE, grouped KV heads,
SwiGLU), for tests and for machines without transformers. Linear layers are nn.Linear modules named as
in Hugging Face's LlamaForCausalLM (model.layers[i].self_attn.q_proj, ...), so the Fisher collector
(calibrate.py) hooks both the same way. Weights are in the TS canonical layout: [out, in] row-major, q/k
rows in llama2.c's interleaved order (HF checkpoints are un-permuted on load, as the TS loader does).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

PROJECTIONS = ('q', 'k', 'v', 'o', 'gate', 'up', 'down')


@dataclass
class LlamaConfig:
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    max_seq_len: int
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    shared_classifier: bool = True
    rope_scaling: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def head_size(self) -> int:
        return self.dim // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.head_size * self.n_kv_heads

    def projection_shape(self, p: str) -> tuple[int, int]:
        return {
            'q': (self.dim, self.dim), 'k': (self.kv_dim, self.dim), 'v': (self.kv_dim, self.dim), 'o': (self.dim, self.dim),
            'gate': (self.hidden_dim, self.dim), 'up': (self.hidden_dim, self.dim), 'down': (self.dim, self.hidden_dim),
        }[p]

    def to_json(self) -> dict:
        """The TS LlamaConfig (camelCase), as profiles and the explorer spell it."""
        d = {
            'dim': self.dim, 'hiddenDim': self.hidden_dim, 'nLayers': self.n_layers, 'nHeads': self.n_heads,
            'nKvHeads': self.n_kv_heads, 'vocabSize': self.vocab_size, 'maxSeqLen': self.max_seq_len,
            'ropeTheta': self.rope_theta, 'normEps': self.norm_eps, 'sharedClassifier': self.shared_classifier,
        }
        if self.rope_scaling:
            d['ropeScaling'] = self.rope_scaling
        return d


def rope_frequencies(c: LlamaConfig, seq_len: int) -> torch.Tensor:
    """Inverse frequencies [head/2] in float32 as run.c (powf), with the transformers rope_scaling rules."""
    hs = c.head_size
    j = torch.arange(0, hs // 2, dtype=torch.float32)
    inv = 1.0 / torch.pow(torch.tensor(c.rope_theta, dtype=torch.float32), (2 * j) / hs)
    rs = c.rope_scaling
    if not rs:
        return inv
    kind = rs.get('type')
    factor = float(rs['factor'])
    if kind == 'linear':
        return inv / factor
    if kind == 'dynamic':
        orig = int(rs['originalMaxPositions'])
        if seq_len <= orig:
            return inv
        base = c.rope_theta * ((factor * seq_len / orig) - (factor - 1)) ** (hs / (hs - 2))
        return 1.0 / torch.pow(torch.tensor(base, dtype=torch.float32), (2 * j) / hs)
    if kind == 'llama3':
        orig = float(rs['originalMaxPositions'])
        lo, hi = float(rs['lowFreqFactor']), float(rs['highFreqFactor'])
        wavelen = 2 * math.pi / inv
        low_wl, high_wl = orig / lo, orig / hi
        scaled = torch.where(wavelen > low_wl, inv / factor, inv)
        smooth = (orig / wavelen - lo) / (hi - lo)
        mid = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelen >= high_wl) & (wavelen <= low_wl)
        return torch.where(medium, mid, scaled)
    raise ValueError(f'unknown rope_scaling type {kind!r}')


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps)
        return self.weight * (x * r)


class Attention(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.c = c
        self.q_proj = nn.Linear(c.dim, c.dim, bias=False)
        self.k_proj = nn.Linear(c.dim, c.kv_dim, bias=False)
        self.v_proj = nn.Linear(c.dim, c.kv_dim, bias=False)
        self.o_proj = nn.Linear(c.dim, c.dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        c = self.c
        B, T, _ = x.shape
        hs = c.head_size
        q = self.q_proj(x).view(B, T, c.n_heads, hs)
        k = self.k_proj(x).view(B, T, c.n_kv_heads, hs)
        v = self.v_proj(x).view(B, T, c.n_kv_heads, hs)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = c.n_heads // c.n_kv_heads
        k = k.repeat_interleave(rep, dim=2)
        v = v.repeat_interleave(rep, dim=2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, T, hs]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hs)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        att = att.masked_fill(causal, float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, c.dim)
        return self.o_proj(y)


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotates interleaved pairs (2j, 2j+1) of each head: x [B, T, H, hs], cos/sin [T, hs/2]."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)


class MLP(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(c.dim, c.hidden_dim, bias=False)
        self.up_proj = nn.Linear(c.dim, c.hidden_dim, bias=False)
        self.down_proj = nn.Linear(c.hidden_dim, c.dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(c.dim, c.norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.dim, c.norm_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.dim)
        self.layers = nn.ModuleList(Block(c) for _ in range(c.n_layers))
        self.norm = RMSNorm(c.dim, c.norm_eps)


class Llama(nn.Module):
    """logits = forward(tokens [B, T]) -> [B, T, vocab]."""

    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.config = c
        self.model = Inner(c)
        self.lm_head = nn.Linear(c.dim, c.vocab_size, bias=False)
        if c.shared_classifier:
            self.lm_head.weight = self.model.embed_tokens.weight

    def linear(self, layer: int, proj: str) -> nn.Linear:
        b = self.model.layers[layer]
        return {'q': b.self_attn.q_proj, 'k': b.self_attn.k_proj, 'v': b.self_attn.v_proj, 'o': b.self_attn.o_proj,
                'gate': b.mlp.gate_proj, 'up': b.mlp.up_proj, 'down': b.mlp.down_proj}[proj]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        T = tokens.shape[1]
        inv = rope_frequencies(self.config, T).to(tokens.device)
        pos = torch.arange(T, dtype=torch.float32, device=tokens.device)
        ang = pos[:, None] * inv[None, :]
        dtype = self.model.embed_tokens.weight.dtype
        cos, sin = ang.cos().to(dtype), ang.sin().to(dtype)
        x = self.model.embed_tokens(tokens)
        for blk in self.model.layers:
            x = blk(x, cos, sin)
        return self.lm_head(self.model.norm(x))


def set_weights(model: Llama, tensors: dict[str, torch.Tensor]) -> None:
    """Canonical TS names (tokenEmbedding, L{l}.{attnNorm|q|...}, finalNorm, classifier) -> parameters."""
    c = model.config
    with torch.no_grad():
        model.model.embed_tokens.weight.copy_(tensors['tokenEmbedding'].reshape(c.vocab_size, c.dim))
        model.model.norm.weight.copy_(tensors['finalNorm'])
        if not c.shared_classifier:
            model.lm_head.weight.copy_(tensors['classifier'].reshape(c.vocab_size, c.dim))
        for l, blk in enumerate(model.model.layers):
            blk.input_layernorm.weight.copy_(tensors[f'L{l}.attnNorm'])
            blk.post_attention_layernorm.weight.copy_(tensors[f'L{l}.ffnNorm'])
            for p in PROJECTIONS:
                model.linear(l, p).weight.copy_(tensors[f'L{l}.{p}'].reshape(c.projection_shape(p)))

"""Fisher calibration, as src/core/pipeline/calibrate.ts (DESIGN.md §3), distributed by torch.distributed.

- Sequences from text: the text's beginning is encoded (growing prefixes cut at a line end) until it has
  count·seqLen + 1 ids, then cut into non-overlapping windows [BOS, s_a … s_{a+L−2}] predicting
  s_a … s_{a+L−1}; the first `count` full windows are the calibration sequences (every position scored).
- L_s = mean next-token NLL of sequence s; the loss run backward is Σ_s L_s.
- Weight Fisher F(w) = Σ_s (∂L_s/∂w)² per element: per-sequence gradients dY_sᵀ X_s, squared, summed.
- Activation Fisher f(c) = mean over tokens of (∂L/∂x_{t,c})² with ∂L/∂x = dY_p W_p of that projection alone.
Both come from hooks on the linear layers (built-in Llama or transformers' LlamaForCausalLM alike), so no
weight .grad is ever materialised. Each rank handles a contiguous shard of the sequences, accumulates,
and one all-reduce (SUM) per buffer combines the ranks.
"""
from __future__ import annotations

import time

import torch
import torch.distributed as dist

from .model import PROJECTIONS

HF_PROJ = {'q': 'self_attn.q_proj', 'k': 'self_attn.k_proj', 'v': 'self_attn.v_proj', 'o': 'self_attn.o_proj',
           'gate': 'mlp.gate_proj', 'up': 'mlp.up_proj', 'down': 'mlp.down_proj'}


def read_text(path: str) -> str:
    """UTF-8 (invalid bytes replaced, as Node's readFileSync 'utf8'), CRLF -> LF (the TS CLI's readText)."""
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', errors='replace').replace('\r\n', '\n')


class _U16:
    """JavaScript string indexing (UTF-16 code units) over a Python str, for the TS prefix cuts."""

    def __init__(self, text: str):
        self.text = text
        self.bmp = text.isascii() or all(ord(ch) < 0x10000 for ch in text)
        self.raw = None if self.bmp else text.encode('utf-16-le', errors='surrogatepass')

    def __len__(self):
        return len(self.text) if self.bmp else len(self.raw) // 2

    def last_newline(self, upto: int) -> int:
        if self.bmp:
            return self.text.rfind('\n', 0, upto + 1)
        i = upto
        while i >= 0:
            if self.raw[2 * i:2 * i + 2] == b'\n\x00':
                return i
            i -= 1
        return -1

    def prefix(self, n: int) -> str:
        if self.bmp:
            return self.text[:n]
        return self.raw[:2 * n].decode('utf-16-le', errors='replace')


def encode_text_prefix(tokenizer, text: str, min_tokens: int) -> list[int]:
    """encodeTextPrefix of calibrate.ts: prefixes of max(4096, 6·minTokens) chars, doubled, cut before a '\\n'."""
    u = _U16(text)
    n = len(u)
    size = max(4096, min_tokens * 6)
    while True:
        prefix = text
        if size < n:
            cut = u.last_newline(size)
            prefix = u.prefix(cut if cut > 0 else size)
        ids = tokenizer.encode(prefix)
        if len(ids) >= min_tokens or len(prefix) == len(text):
            return ids
        size *= 2


def sequences_from_stream(stream: list[int], count: int, seq_len: int, bos: int, source: str = 'text'):
    """Non-overlapping full windows: tokens [count, L] = [BOS, s_a..s_{a+L-2}], targets s_a..s_{a+L-1}."""
    if count < 1 or seq_len < 2:
        raise ValueError(f'need count >= 1 and seq_len >= 2, got {count}, {seq_len}')
    full = len(stream) // seq_len
    if full < count:
        raise ValueError(f'{source} gives only {full} sequences of {seq_len} tokens ({len(stream)} tokens), {count} asked')
    s = torch.tensor(stream[:count * seq_len], dtype=torch.int64).reshape(count, seq_len)
    tokens = torch.cat([torch.full((count, 1), bos, dtype=torch.int64), s[:, :-1]], dim=1)
    return tokens, s.clone()


def text_sequences(tokenizer, text: str, count: int, seq_len: int, source: str = 'text'):
    stream = encode_text_prefix(tokenizer, text, count * seq_len + 1)
    return sequences_from_stream(stream, count, seq_len, tokenizer.bos_id, source)


def linear_modules(model) -> list[tuple[int, str, torch.nn.Module]]:
    """(layer, proj, nn.Linear) in canonical order for the built-in Llama and transformers' Llama alike."""
    layers = model.model.layers
    out = []
    for l, blk in enumerate(layers):
        for p in PROJECTIONS:
            m = blk
            for part in HF_PROJ[p].split('.'):
                m = getattr(m, part)
            out.append((l, p, m))
    return out


class FisherCollector:
    """Hooks every linear layer; accumulates Σ_s g_s² (per weight element) and Σ_t (dY W)² (per input channel)."""

    def __init__(self, model, accum_dtype=torch.float64, max_chunk_elements: int = 1 << 26):
        self.model = model
        self.mods = linear_modules(model)
        self.accum_dtype = accum_dtype
        self.max_chunk = max_chunk_elements
        self.weight = {}
        self.act = {}
        for l, p, m in self.mods:
            dev = m.weight.device
            self.weight[(l, p)] = torch.zeros(m.weight.shape, dtype=accum_dtype, device=dev)
            self.act[(l, p)] = torch.zeros(m.weight.shape[1], dtype=accum_dtype, device=dev)
        self.handles = []

    def __enter__(self):
        emb = self.model.model.embed_tokens
        # Gradients flow from a leaf at the embedding output; no parameter needs .grad.
        self.handles.append(emb.register_forward_hook(lambda mod, inp, out: out.detach().requires_grad_(True)))
        for l, p, m in self.mods:
            self.handles.append(m.register_forward_hook(self._forward_hook(l, p)))
        return self

    def __exit__(self, *a):
        for h in self.handles:
            h.remove()
        self.handles = []

    def _forward_hook(self, l, p):
        def hook(mod, inp, out):
            x = inp[0]
            if out.requires_grad:
                out.register_hook(lambda g: self._accumulate(l, p, mod.weight, x, g))
        return hook

    @torch.no_grad()
    def _accumulate(self, l, p, w, x, g):
        B = g.shape[0]
        out_f, in_f = w.shape
        x32 = x.detach().to(torch.float32)
        g32 = g.to(torch.float32)
        acc = self.weight[(l, p)]
        step = max(1, self.max_chunk // (out_f * in_f))
        # bf16/fp16 operands are exact in TF32 (10 mantissa bits), so on CUDA the float32 products may use
        # TF32 tensor cores without changing a bit of the result; float32 models keep full float32 matmuls.
        tf32 = g.is_cuda and g.dtype in (torch.bfloat16, torch.float16) and x.dtype in (torch.bfloat16, torch.float16)
        prev = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32 or prev
        try:
            for b0 in range(0, B, step):
                per_seq = torch.bmm(g32[b0:b0 + step].transpose(1, 2), x32[b0:b0 + step])  # [b, out, in]
                acc += (per_seq * per_seq).sum(0).to(self.accum_dtype)
        finally:
            torch.backends.cuda.matmul.allow_tf32 = prev
        dx = g32 @ w.to(torch.float32)
        self.act[(l, p)] += (dx * dx).sum(dim=(0, 1)).to(self.accum_dtype)


def _logits(model, tokens):
    out = model(tokens)
    return out.logits if hasattr(out, 'logits') else out


def calibrate(model, tokens: torch.Tensor, targets: torch.Tensor, batch_size: int | None = None,
              accum_dtype=torch.float64, rank: int = 0, world: int = 1, device=None, progress=None):
    """Fisher over this rank's shard of the sequences, summed over ranks (one all-reduce per buffer).

    Returns dict(weight={(l,p): F [out,in]}, act={(l,p): f [in]}, nll_sum, tokens, seconds)."""
    count, seq_len = tokens.shape
    if batch_size is None:
        batch_size = max(1, 2048 // seq_len)
    lo, hi = (count * rank) // world, (count * (rank + 1)) // world
    device = device or next(model.parameters()).device
    for prm in model.parameters():
        prm.requires_grad_(False)
    t0 = time.perf_counter()
    nll_sum = torch.zeros((), dtype=torch.float64)
    with FisherCollector(model, accum_dtype) as col:
        for s in range(lo, hi, batch_size):
            e = min(hi, s + batch_size)
            tk = tokens[s:e].to(device)
            tg = targets[s:e].to(device)
            logits = _logits(model, tk).float()
            nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tg.reshape(-1), reduction='none').reshape(e - s, seq_len)
            loss = nll.mean(dim=1).sum()
            loss.backward()
            nll_sum += nll.detach().double().sum().cpu()
            if progress:
                progress(e - lo, hi - lo)
    weight, act = col.weight, col.act
    if world > 1:
        for k in weight:
            dist.all_reduce(weight[k])
            dist.all_reduce(act[k])
        nt = nll_sum.to(next(iter(weight.values())).device)
        dist.all_reduce(nt)
        nll_sum = nt.cpu()
    total = count * seq_len
    for k in act:
        act[k] /= total
    return {'weight': weight, 'act': act, 'nll_sum': float(nll_sum), 'tokens': total, 'seconds': time.perf_counter() - t0}

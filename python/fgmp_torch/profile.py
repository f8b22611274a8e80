"""The profile producer: calibration → activation scores → per-tensor quantization and block scores →
a profile file in the format of docs/profile-format.md (v1), written tensor by tensor.

Only rank 0 writes. Per tensor, the weight and its Fisher stay on the device; the quantizers reduce them
to per-block results there, and only [rows, bpr] arrays and a [B + 3] histogram row come back to host
memory, which is written at once and dropped. The histograms ([T, B + 3] int32 per policy, a few MB for a
7B model) are the only thing held until the end.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform

import torch
import torch.distributed as dist

from . import __version__
from .actquant import activation_scores, pad_fisher
from .calibrate import linear_modules
from .histogram import columns, default_spec, histogram_row
from .loaders import unpermute_hf_rows
from .model import PROJECTIONS
from .quantize import CLIP_GRID, quantize_and_score
from .safetensors_io import StreamingWriter

POLICIES = ['fgmp', 'unweighted', 'error', 'magnitude']
# Full activation scores are stored when they fit in this many bytes (else histograms only).
FULL_ACT_SCORE_BYTES = 256 << 20


def sha256_files(paths: list[str]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 24), b''):
                h.update(chunk)
    return h.hexdigest()


def parameter_count(c) -> int:
    per_layer = 2 * c.dim + sum(r * k for r, k in (c.projection_shape(p) for p in PROJECTIONS))
    return c.vocab_size * c.dim * (1 if c.shared_classifier else 2) + c.n_layers * per_layer + c.dim


def bpr(cols: int) -> int:
    return (cols + 15) // 16


@torch.no_grad()
def collect_activation_scores(model, tokens, act_fisher, keep_full: bool, batch_size: int, rank: int, world: int, device):
    """Block scores of every linear input on the float32 calibration activations of this rank's shard.

    Returns (hist {(l,p): int64 [B+3]} summed over ranks, full {(l,p): float32 [M, bpr]} on rank 0 or None)."""
    spec = default_spec()
    count, seq_len = tokens.shape
    lo, hi = (count * rank) // world, (count * (rank + 1)) // world
    mods = linear_modules(model)
    fpad = {(l, p): pad_fisher(act_fisher[(l, p)].to(m.weight.device)) for l, p, m in mods}
    hist = {(l, p): torch.zeros(columns(spec), dtype=torch.int64, device=m.weight.device) for l, p, m in mods}
    parts = {(l, p): [] for l, p, _ in mods}
    handles = []

    def hook_for(l, p):
        def hook(mod, inp, out):
            x = inp[0].reshape(-1, inp[0].shape[-1])
            s = activation_scores(x, fpad[(l, p)])
            hist[(l, p)] += histogram_row(s, spec)
            if keep_full:
                parts[(l, p)].append(s.cpu())
        return hook

    for l, p, m in mods:
        handles.append(m.register_forward_hook(hook_for(l, p)))
    try:
        for s in range(lo, hi, batch_size):
            model(tokens[s:min(hi, s + batch_size)].to(device))
    finally:
        for h in handles:
            h.remove()
    if world > 1:
        for k in hist:
            dist.all_reduce(hist[k])
    full = None
    if keep_full:
        full = {}
        for k, lst in parts.items():
            mine = torch.cat(lst) if lst else torch.zeros(0, bpr(fpad[k].numel()))
            full[k] = _gather_rows(mine, count, seq_len, world, device) if world > 1 else mine
    return hist, full


def _gather_rows(mine: torch.Tensor, count: int, seq_len: int, world: int, device):
    """Concatenates every rank's rows in rank order (= sequence order) on every rank."""
    sizes = [((count * (r + 1)) // world - (count * r) // world) * seq_len for r in range(world)]
    width = mine.shape[1]
    mx = max(sizes)
    buf = torch.zeros(mx, width, dtype=torch.float32, device=device)
    buf[:mine.shape[0]] = mine.to(device)
    out = [torch.zeros_like(buf) for _ in range(world)]
    dist.all_gather(out, buf)
    return torch.cat([o[:n].cpu() for o, n in zip(out, sizes)])


def build_meta(c, model_info: dict, tokenizer_info, calib_info: dict, act_tokens: int, full: bool, evaluation=None) -> dict[str, str]:
    tensors = [{'layer': l, 'proj': p, 'rows': c.projection_shape(p)[0], 'cols': c.projection_shape(p)[1]} for l in range(c.n_layers) for p in PROJECTIONS]
    m = {
        'fgmp.format': 'fgmp-profile',
        'fgmp.version': '1',
        'fgmp.model': json.dumps(model_info),
        'fgmp.tokenizer': json.dumps(tokenizer_info),
        'fgmp.tensors': json.dumps(tensors),
        'fgmp.quantization': json.dumps({'blockSize': 16, 'clip': 'fisher', 'clipGrid': CLIP_GRID, 'fp8Scaling': 'tensor', 'randomSeed': 0}),
        'fgmp.policies': json.dumps(POLICIES),
        'fgmp.histogram': json.dumps(default_spec()),
        'fgmp.calibration': json.dumps(calib_info),
        'fgmp.activations': json.dumps({'tokens': act_tokens, 'scores': 'full' if full else 'histogram'}),
    }
    if evaluation is not None:
        m['fgmp.evaluation'] = json.dumps(evaluation)
    return m


def plan(c, act_tokens: int, full: bool) -> list[tuple[str, str, list[int]]]:
    """Tensor layout in data order, the same order as the TS writer (readers use the offsets only)."""
    out = []
    C = columns(default_spec())
    for l in range(c.n_layers):
        for p in PROJECTIONS:
            rows, cols = c.projection_shape(p)
            out.append((f'weight.L{l}.{p}.clip', 'U8', [rows, bpr(cols)]))
            for pol in POLICIES:
                out.append((f'weight.L{l}.{p}.score.{pol}', 'F64', [rows, bpr(cols)]))
            out.append((f'act.L{l}.{p}.fisher', 'F32', [cols]))
            if full:
                out.append((f'act.L{l}.{p}.scores', 'F32', [act_tokens, bpr(cols)]))
    T = c.n_layers * len(PROJECTIONS)
    for pol in POLICIES:
        out.append((f'weight.hist.{pol}', 'I32', [T, C]))
    out.append(('act.hist', 'I32', [T, C]))
    return out


def clip_indices(ratio: torch.Tensor) -> torch.Tensor:
    """Index into CLIP_GRID (as float32) of each chosen ratio."""
    grid = torch.tensor(CLIP_GRID, dtype=torch.float32, device=ratio.device)
    eq = ratio.reshape(-1, 1) == grid.reshape(1, -1)
    if not bool(eq.any(dim=1).all()):
        raise ValueError('a clip ratio is not on the grid')
    return eq.to(torch.int64).argmax(dim=1).reshape(ratio.shape).to(torch.uint8)


def write_profile(path: str, model, c, weight_fisher, act_fisher, act_hist, act_full, meta: dict[str, str], hf_rows: bool = False):
    """Streams the profile: per tensor (canonical order) clip indices, four score arrays, activation Fisher
    and scores; then the histograms. Returns the file size in bytes."""
    spec = default_spec()
    C = columns(spec)
    T = c.n_layers * len(PROJECTIONS)
    full = act_full is not None
    act_tokens = json.loads(meta['fgmp.activations'])['tokens']
    w = StreamingWriter(path, plan(c, act_tokens, full), meta)
    whist = {pol: torch.zeros(T, C, dtype=torch.int64) for pol in POLICIES}
    ahist = torch.zeros(T, C, dtype=torch.int64)
    mods = {(l, p): m for l, p, m in linear_modules(model)}
    try:
        for l in range(c.n_layers):
            for pi, p in enumerate(PROJECTIONS):
                t = l * len(PROJECTIONS) + pi
                W = mods[(l, p)].weight.detach().to(torch.float32)
                # The TS pipeline rounds the float64 Fisher sums to float32 before scoring.
                F = weight_fisher[(l, p)].to(torch.float32)
                if hf_rows and p in ('q', 'k'):
                    heads = c.n_heads if p == 'q' else c.n_kv_heads
                    W, F = unpermute_hf_rows(W, heads), unpermute_hf_rows(F, heads)
                r = quantize_and_score(W, F, 'fisher')
                del W, F
                w.write(f'weight.L{l}.{p}.clip', clip_indices(r.clip_ratio))
                for pol in POLICIES:
                    s = getattr(r, pol)
                    whist[pol][t] = histogram_row(s, spec).cpu()
                    w.write(f'weight.L{l}.{p}.score.{pol}', s)
                w.write(f'act.L{l}.{p}.fisher', act_fisher[(l, p)].to(torch.float32))
                ahist[t] = act_hist[(l, p)].cpu()
                if full:
                    w.write(f'act.L{l}.{p}.scores', act_full[(l, p)])
                del r
        for pol in POLICIES:
            w.write(f'weight.hist.{pol}', _i32(whist[pol]))
        w.write('act.hist', _i32(ahist))
    finally:
        w.close()
    return os.path.getsize(path)


def _i32(h: torch.Tensor) -> torch.Tensor:
    if int(h.max()) > 0x7FFFFFFF:
        raise ValueError("a histogram bin holds more than 2^31 - 1 scores (the format's limit)")
    return h.to(torch.int32)


def versions() -> dict[str, str]:
    return {'torch': torch.__version__, 'python': platform.python_version(), 'fgmp_torch': __version__}


def producer() -> str:
    return f'fgmp_torch {__version__}'





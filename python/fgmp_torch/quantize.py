"""FGMP weight quantizers and block scores (DESIGN.md §3; src/core/fgmp/quantize.ts, scores.ts).

For one linear weight [rows, cols]: Q_hi = FP8 E4M3 per tensor, Q_lo = NVFP4 with a per-block clip ratio
chosen from CLIP_GRID, and one score per 16-element block for every policy that has one. Scores are float64
sums over the block's elements in element order (scores.ts). The clip objective is the TS search's
(formats/clipsearch.ts): float32, q_i = |E2M1(|x_i| / s)|·s, d_i = |x_i| − q_i, t_i = d_i² or F_i·d_i², lane l
sums t_l, t_{l+4}, t_{l+8}, t_{l+12} in order, E = (lane0 + lane2) + (lane1 + lane3); the first grid ratio is
taken, a later one only when strictly better (so ties and NaN objectives keep 1.00). Bit-identical to TS.
Work is done in row chunks on the tensor's device, so a 7B projection never needs more than a few
hundred MB of temporaries, and only per-block results leave the device.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .formats import E4M3, NVFP4_BLOCK, finite_absmax, fp8_scale, nvfp4_block_scales, nvfp4_tensor_scale, pad_blocks, quantize_span, _nvfp4_elements

# 1.00 down to 0.50 in steps of 0.05: (100 - 5 i) / 100, as the TS grid (then stored as float32).
CLIP_GRID = [(100 - 5 * i) / 100 for i in range(11)]
CLIP_MODES = ('none', 'mse', 'fisher')
# Elements per chunk of rows (float64 temporaries of this size, a handful at a time).
CHUNK_ELEMENTS = 1 << 22


def lane_sum(t: torch.Tensor) -> torch.Tensor:
    """Σ over the last axis in index order (s = 0; s += t[j]), the TS loop's float64 order."""
    s = t[..., 0].clone()
    for j in range(1, t.shape[-1]):
        s = s + t[..., j]
    return s


def clip_objective(xb: torch.Tensor, cand: torch.Tensor, fb: torch.Tensor | None) -> torch.Tensor:
    """The TS search's float32 objective per block (xb, cand, fb: [..., 16] float32; padding is zeros)."""
    a = xb.abs()
    q = torch.where(torch.isnan(a), torch.zeros_like(a), cand.abs())  # a NaN element has q = 0 there
    d = a - q
    t = d * d
    if fb is not None:
        t = fb * t
    t = t.reshape(*t.shape[:-1], 4, 4)  # element i = 4k + l: lane l, k-th term
    lanes = ((t[..., 0, :] + t[..., 1, :]) + t[..., 2, :]) + t[..., 3, :]
    return (lanes[..., 0] + lanes[..., 2]) + (lanes[..., 1] + lanes[..., 3])


@dataclass
class TensorResult:
    """Per-block results of one weight tensor (all on the tensor's device)."""
    rows: int
    cols: int
    blocks_per_row: int
    clip_ratio: torch.Tensor  # [rows, bpr] float32
    fgmp: torch.Tensor  # [rows, bpr] float64
    unweighted: torch.Tensor
    error: torch.Tensor
    magnitude: torch.Tensor
    nvfp4_tensor_scale: float
    fp8_scale: float


def quantize_and_score(w: torch.Tensor, fisher: torch.Tensor | None, clip: str = 'fisher', grid=CLIP_GRID) -> TensorResult:
    """Both quantized versions of w (float32 [rows, cols]), the clip search and every block score.

    fisher: per-element weight Fisher (same shape; float32 as the TS pipeline rounds it), or None
    (then fgmp/error are unweighted-free: fgmp is NaN and error is the plain squared error)."""
    if clip not in CLIP_MODES:
        raise ValueError(f'unknown clip mode "{clip}" ({", ".join(CLIP_MODES)})')
    if clip == 'fisher' and fisher is None:
        raise ValueError('clip mode "fisher" needs the weight Fisher')
    w = w.to(torch.float32)
    rows, cols = w.shape
    bpr = (cols + NVFP4_BLOCK - 1) // NVFP4_BLOCK
    ts = nvfp4_tensor_scale(finite_absmax(w))
    s8 = fp8_scale(finite_absmax(w))
    s8t = torch.tensor(s8, dtype=torch.float32, device=w.device)
    alphas = [float(torch.tensor(a, dtype=torch.float32)) for a in (grid if clip != 'none' else [1.0])]
    out = {k: torch.empty(rows, bpr, dtype=torch.float64, device=w.device) for k in ('fgmp', 'unweighted', 'error', 'magnitude')}
    clip_ratio = torch.empty(rows, bpr, dtype=torch.float32, device=w.device)
    step = max(1, CHUNK_ELEMENTS // max(1, bpr * NVFP4_BLOCK))
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        xb = pad_blocks(w[r0:r1])  # [n, bpr, 16] float32, tail padded with 0
        fb = pad_blocks(fisher[r0:r1].to(torch.float32)) if fisher is not None else None
        x64 = xb.to(torch.float64)
        f64 = fb.to(torch.float64) if fb is not None else None
        a = xb.abs()
        amax = torch.where(torch.isfinite(a), a, torch.zeros_like(a)).amax(dim=2)
        _, hi = quantize_span(E4M3, xb, s8t)
        hi64 = hi.to(torch.float64)
        best = torch.full(amax.shape, float('nan'), dtype=torch.float32, device=w.device)
        lo64 = torch.empty_like(x64)
        ratio = torch.ones(amax.shape, dtype=torch.float32, device=w.device)
        for g, alpha in enumerate(alphas):
            _, _, eff = nvfp4_block_scales(amax, alpha, ts)
            _, cand = _nvfp4_elements(xb, eff)
            c64 = cand.to(torch.float64)
            if len(alphas) == 1:
                lo64 = c64
                break
            objective = clip_objective(xb, cand, fb if clip == 'fisher' else None)
            take = torch.ones_like(objective, dtype=torch.bool) if g == 0 else objective < best
            best = torch.where(take, objective, best)
            ratio = torch.where(take, torch.tensor(alpha, dtype=torch.float32, device=w.device), ratio)
            lo64 = torch.where(take.unsqueeze(-1), c64, lo64)
        clip_ratio[r0:r1] = ratio
        d = lo64 - hi64
        if f64 is not None:
            out['fgmp'][r0:r1] = lane_sum((f64 * d) * d)
            e = lo64 - x64
            out['error'][r0:r1] = lane_sum((f64 * e) * e)
        else:
            out['fgmp'][r0:r1] = float('nan')
            e = lo64 - x64
            out['error'][r0:r1] = lane_sum(e * e)
        out['unweighted'][r0:r1] = lane_sum(d * d)
        out['magnitude'][r0:r1] = _block_magnitude(x64)
    return TensorResult(rows, cols, bpr, clip_ratio, out['fgmp'], out['unweighted'], out['error'], out['magnitude'], ts, s8)


def _block_magnitude(x64: torch.Tensor) -> torch.Tensor:
    """Block amax of |w|; NaN propagates (the padded tail is 0, which never wins)."""
    a = x64.abs()
    m = a.amax(dim=-1)
    return torch.where(torch.isnan(a).any(dim=-1), torch.full_like(m, float('nan')), m)


def rank_fp8_masks(scores: list[torch.Tensor], budget: float) -> list[torch.Tensor]:
    """Global policy: the top round(p·N) blocks of all tensors (canonical order, row-major) in FP8,
    ties by the stable order; NaN ranks first (as the TS radix sort). Returns one bool mask per tensor."""
    flat = torch.cat([s.reshape(-1).to(torch.float64).cpu() for s in scores])
    n = flat.numel()
    k = int(budget * n + 0.5)  # Math.round for non-negative values
    key = torch.where(torch.isnan(flat), torch.full_like(flat, float('inf')), flat + 0.0)
    order = torch.sort(key, descending=True, stable=True).indices
    mask = torch.zeros(n, dtype=torch.bool)
    mask[order[:k]] = True
    out, o = [], 0
    for s in scores:
        out.append(mask[o:o + s.numel()].reshape(s.shape))
        o += s.numel()
    return out

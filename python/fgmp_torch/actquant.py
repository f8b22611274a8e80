"""Calibration activation block scores (DESIGN.md §3 "Activations on the fly"; src/core/actquant/rule.ts).

The unit's rule is float32 arithmetic, one IEEE operation at a time, for one token x[0..in) of a linear
input and its 16-channel blocks (the tail block padded with zeros):
  ts = tokenAmax / 2688;  blockScale = E4M3(blockAmax / 6 / ts);  s = blockScale · ts;  Q_lo = E2M1(x / s) · s
  s8 = tokenAmax / 448;   Q_hi = E4M3(x / s8) · s8
  S = Σ_c f_c (Q_lo − Q_hi)², summed as a fixed tree over the 16 lanes (j + j+8, j + j+4, j + j+2, j + j+1).
The TS graph rounds with float32 arithmetic proven equal to RNE; here RNE comes from formats.Minifloat on
the float32 quotient (widened exactly to float64), which gives the same values. torch's float32 ops on
CPU and CUDA are IEEE (no fast-math), so the result is the TS rule's, given the same activations.
"""
from __future__ import annotations

import torch

from .formats import E2M1, E4M3

ACT_BLOCK = 16


def _round_signed(v: torch.Tensor, fmt) -> torch.Tensor:
    m = fmt.round_magnitude(v.abs().to(torch.float64)).to(torch.float32)
    return torch.where(v < 0, -m, m)


def activation_scores(x: torch.Tensor, fisher_padded: torch.Tensor) -> torch.Tensor:
    """x [N, in] float32, fisher_padded [nb·16] float32 -> scores [N, nb] float32."""
    x = x.to(torch.float32)
    n, cols = x.shape
    nb = (cols + ACT_BLOCK - 1) // ACT_BLOCK
    pad = nb * ACT_BLOCK - cols
    if pad:
        x = torch.nn.functional.pad(x, (0, pad))
    a = x.abs()
    af = torch.where(a < float('inf'), a, torch.zeros_like(a))  # NaN and ±Inf left out of every amax
    tamax = af.amax(dim=1, keepdim=True)
    xb = x.reshape(n, nb, ACT_BLOCK)
    bamax = af.reshape(n, nb, ACT_BLOCK).amax(dim=2)
    ts = tamax / 2688.0
    ts_safe = torch.where(ts == 0, torch.ones_like(ts), ts)
    s8 = tamax / 448.0
    s8_safe = torch.where(s8 == 0, torch.ones_like(s8), s8)
    braw = (bamax / 6.0) / ts_safe
    bs = E4M3.round_magnitude(braw.to(torch.float64)).to(torch.float32)
    s_lo = bs * ts  # [n, nb]
    s_lo_safe = torch.where(s_lo == 0, torch.ones_like(s_lo), s_lo)
    lo = _round_signed(xb / s_lo_safe[..., None], E2M1) * s_lo[..., None]
    hi = _round_signed(xb / s8_safe[..., None], E4M3) * s8[..., None]
    d = lo - hi
    w = (d * d) * fisher_padded.to(torch.float32).reshape(1, nb, ACT_BLOCK)
    half = ACT_BLOCK // 2
    while half >= 1:
        w = w[..., :half] + w[..., half:2 * half]
        half //= 2
    return w[..., 0]


def pad_fisher(f: torch.Tensor) -> torch.Tensor:
    cols = f.numel()
    nb = (cols + ACT_BLOCK - 1) // ACT_BLOCK
    out = torch.zeros(nb * ACT_BLOCK, dtype=torch.float32, device=f.device)
    out[:cols] = f.to(torch.float32)
    return out

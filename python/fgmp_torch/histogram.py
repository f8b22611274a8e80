"""Histograms of block scores on the float64 bit pattern (docs/profile-format.md §4; src/core/profile/histogram.ts).

key(s) = bits(s) >> (52 − m); column 0: s ≤ 0 or key < keyMin; 1 + key − keyMin for regular bins;
B + 1 overflow (+Inf too); B + 2 NaN. Counted on the scores' device; only [B + 3] counts leave it."""
from __future__ import annotations

import torch

MANTISSA_BITS = 5


def default_spec() -> dict:
    m = MANTISSA_BITS
    return {'mantissaBits': m, 'keyMin': (1023 - 100) << m, 'bins': 132 << m}


def columns(spec: dict) -> int:
    return spec['bins'] + 3


def histogram_row(scores: torch.Tensor, spec: dict) -> torch.Tensor:
    """Counts [B + 3] (int64, on the scores' device) of float32 or float64 scores."""
    s = scores.reshape(-1).to(torch.float64)
    bins, kmin, m = spec['bins'], spec['keyMin'], spec['mantissaBits']
    key = s.view(torch.int64) >> (52 - m)
    j = key - kmin
    col = torch.where(j < 0, torch.zeros_like(j), torch.where(j >= bins, torch.full_like(j, bins + 1), 1 + j))
    col = torch.where(s > 0, col, torch.zeros_like(col))
    col = torch.where(torch.isnan(s), torch.full_like(col, bins + 2), col)
    return torch.bincount(col, minlength=columns(spec))

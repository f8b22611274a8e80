"""Bit-exact scalar and block formats in torch (DESIGN.md §2; src/core/formats).

Every rounding here reproduces the TypeScript core bit for bit:
- E4M3 (OCP "FN": bias 7, max 448, NaN code 0x7F) and E2M1 (values 0, 0.5, 1, 1.5, 2, 3, 4, 6) are
  round-to-nearest-even onto the format grid, saturating at the largest finite value.
- The TS code divides float32 values in float64 (JS numbers) and rounds the float64 quotient once onto
  the grid; the weight quantizers below therefore work in float64 too (a float32 quotient could land on
  a midpoint the exact quotient does not). Dequantized values are float32: value * scale in float32 is
  exactly fround(value * scale) in float64, since an E4M3/E2M1 value has at most 4 significant bits.
- torch.round is round-half-to-even, so round(a / q) * q with q the binade's quantum (a power of two) is
  RNE onto the grid.
"""
from __future__ import annotations

import torch

E4M3_MAX = 448.0
E2M1_MAX = 6.0
NVFP4_BLOCK = 16
NAN_CODE_FP4 = 0xFF


def pow2(e: torch.Tensor) -> torch.Tensor:
    """2^e as float64 for integer e in the normal range (built from the bit pattern: exact, and much
    faster than torch.ldexp, which goes through pow)."""
    return ((e.to(torch.int64) + 1023) << 52).view(torch.float64)


def floor_log2(a: torch.Tensor) -> torch.Tensor:
    """floor(log2 a) of float64 a > 0 from its exponent field (-1023 for 0 and float64 subnormals, which
    every caller clamps to the format's emin; 1024 for Inf/NaN, which every caller handles)."""
    return ((a.view(torch.int64) >> 52) & 0x7FF) - 1023


class Minifloat:
    """A sign-exponent-mantissa format with subnormals (here E4M3 'fn' and E2M1, no infinities)."""

    def __init__(self, exp_bits: int, man_bits: int, bias: int, max_finite: float, nan_code: int | None):
        self.exp_bits = exp_bits
        self.man_bits = man_bits
        self.bias = bias
        self.bits = 1 + exp_bits + man_bits
        self.sign_bit = 1 << (self.bits - 1)
        self.emin = 1 - bias
        self.max_finite = max_finite
        self.min_subnormal = 2.0 ** (self.emin - man_bits)
        self.nan_code = nan_code
        table = [self._decode_one(c) for c in range(1 << self.bits)]
        self.table64 = torch.tensor(table, dtype=torch.float64)
        # Decode table padded to 256 with NaN, so a byte NaN marker (0xFF for E2M1) decodes to NaN.
        self._table256 = torch.full((256,), float('nan'), dtype=torch.float64)
        self._table256[: len(table)] = self.table64
        self.max_code = int(((self.table64 == max_finite).nonzero()[0]).item())

    def _decode_one(self, code: int) -> float:
        sign = -1.0 if code & self.sign_bit else 1.0
        e = (code >> self.man_bits) & ((1 << self.exp_bits) - 1)
        m = code & ((1 << self.man_bits) - 1)
        if self.nan_code is not None and (code & ~self.sign_bit) == (self.nan_code & ~self.sign_bit):
            return float('nan')
        if e == 0:
            return sign * m * self.min_subnormal
        return sign * (1 + m / (1 << self.man_bits)) * 2.0 ** (e - self.bias)

    def round_magnitude(self, a: torch.Tensor) -> torch.Tensor:
        """RNE of a >= 0 (float64; NaN stays NaN) onto the grid, saturating at max_finite."""
        e = torch.clamp(floor_log2(a), min=self.emin)
        q = pow2(e - self.man_bits)
        r = torch.round(a / q) * q
        # Saturate (a >= max rounds to >= max); clamp keeps NaN.
        return torch.clamp(r, max=self.max_finite)

    def magnitude_code(self, r: torch.Tensor) -> torch.Tensor:
        """Code (no sign) of a grid value r >= 0 (finite)."""
        m = self.man_bits
        sub = r < 2.0 ** self.emin
        er = torch.clamp(floor_log2(r), min=self.emin)
        normal = ((er + self.bias) << m) | ((r * pow2(m - er)).to(torch.int64) - (1 << m))
        subc = (r / self.min_subnormal).to(torch.int64)
        return torch.where(sub, subc, normal)

    def encode(self, x: torch.Tensor, nan_code: int | None = None) -> torch.Tensor:
        """Codes (int64) of float64 (or float32) inputs: RNE, saturating; NaN -> the NaN code."""
        x = x.to(torch.float64)
        neg = torch.signbit(x)
        a = x.abs()
        nan = torch.isnan(a)
        r = self.round_magnitude(torch.where(nan, torch.zeros_like(a), a))
        code = self.magnitude_code(r) | torch.where(neg, self.sign_bit, 0)
        nc = nan_code if nan_code is not None else (self.nan_code if self.nan_code is not None else 0xFF)
        return torch.where(nan, torch.full_like(code, nc), code)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self._table256.to(code.device)[code.long()]


E4M3 = Minifloat(4, 3, 7, 448.0, 0x7F)
E2M1 = Minifloat(2, 1, 1, 6.0, None)


def finite_absmax(x: torch.Tensor) -> float:
    a = x.abs()
    a = a[torch.isfinite(a)]
    return float(a.max()) if a.numel() else 0.0


def _f32(v: float) -> float:
    return float(torch.tensor(v, dtype=torch.float64).to(torch.float32))


def nvfp4_tensor_scale(amax: float) -> float:
    """fround(amax / 2688); 1 for an all-zero (or non-finite) amax; the smallest float32 on underflow."""
    if not (amax > 0) or amax == float('inf'):
        return 1.0
    s = _f32(amax / (E2M1_MAX * E4M3_MAX))
    return s if s > 0 else 1.401298464324817e-45


def fp8_scale(amax: float) -> float:
    """fround(amax / 448); 1 for an all-zero input."""
    if not (amax > 0) or amax == float('inf'):
        return 1.0
    s = _f32(amax / E4M3_MAX)
    return s if s > 0 else 1.401298464324817e-45


def quantize_span(fmt: Minifloat, x: torch.Tensor, scale: torch.Tensor, nan_code: int | None = None):
    """codes = encode(x / scale) with the quotient in float64, values = float32(decode(code) * scale).

    x float32, scale float32 broadcastable to x (positive). Returns (codes uint8, values float32)."""
    x64 = x.to(torch.float64)
    s64 = scale.to(torch.float64)
    q = x64 / s64
    codes = fmt.encode(q, nan_code)
    vals = fmt.decode(codes).to(x.device)
    values = (vals * s64).to(torch.float32)
    # A NaN element in a format without NaN (E2M1): code 0xFF, value NaN (decode of 0xFF is out of table).
    return codes, values


def quantize_fp8(w: torch.Tensor, scale: float | None = None):
    """FP8 E4M3 per tensor: scale = fround(amax / 448). Returns (values float32, codes, scale)."""
    if scale is None:
        scale = fp8_scale(finite_absmax(w))
    s = torch.tensor(scale, dtype=torch.float32, device=w.device)
    codes, values = quantize_span(E4M3, w, s)
    return values, codes, scale


def pad_blocks(w: torch.Tensor, block: int = NVFP4_BLOCK, value: float = 0.0) -> torch.Tensor:
    """[rows, cols] -> [rows, blocksPerRow, block], the short tail block padded with `value`."""
    rows, cols = w.shape
    bpr = (cols + block - 1) // block
    pad = bpr * block - cols
    if pad:
        w = torch.nn.functional.pad(w, (0, pad), value=value)
    return w.reshape(rows, bpr, block)


def nvfp4_block_scales(blocks_amax: torch.Tensor, alpha: torch.Tensor | float, tensor_scale: float):
    """E4M3 block scale codes and effective float32 scales fround(blockScale * tensorScale).

    The TS core computes encodeE4M3((alpha * amax) / 6 / tensorScale) in float64 with alpha a float32
    (its clip ratios live in a Float32Array)."""
    a64 = torch.as_tensor(alpha, dtype=torch.float32).to(torch.float64).to(blocks_amax.device)
    raw = (a64 * blocks_amax.to(torch.float64)) / E2M1_MAX / tensor_scale
    scode = E4M3.encode(raw)
    bscale = E4M3.decode(scode)
    eff = (bscale * tensor_scale).to(torch.float32)
    return scode, bscale, eff


def quantize_nvfp4(w: torch.Tensor, tensor_scale: float | None = None, clip: torch.Tensor | float | None = None, block: int = NVFP4_BLOCK):
    """NVFP4 fake quantization of a [rows, cols] float32 matrix along rows (DESIGN.md §2).

    Returns dict(values [rows, cols] float32, codes uint8 (0xFF for NaN), scale_codes [rows, bpr],
    scales [rows, bpr] float32, tensor_scale)."""
    rows, cols = w.shape
    if tensor_scale is None:
        tensor_scale = nvfp4_tensor_scale(finite_absmax(w))
    xb = pad_blocks(w, block)
    a = xb.abs()
    a = torch.where(torch.isfinite(a), a, torch.zeros_like(a))
    amax = a.amax(dim=2)
    alpha = 1.0 if clip is None else clip
    scode, _, eff = nvfp4_block_scales(amax, alpha, tensor_scale)
    codes, values = _nvfp4_elements(xb, eff)
    return {
        'values': values.reshape(rows, -1)[:, :cols],
        'codes': codes.reshape(rows, -1)[:, :cols].to(torch.uint8),
        'scale_codes': scode.to(torch.uint8),
        'scales': eff,
        'tensor_scale': tensor_scale,
    }


def _nvfp4_elements(xb: torch.Tensor, eff: torch.Tensor):
    """E2M1 codes and values of blocks xb [..., bpr, 16] with effective scales eff [..., bpr]."""
    s = eff.unsqueeze(-1)
    zero = s == 0
    safe = torch.where(zero, torch.ones_like(s), s)
    codes, values = quantize_span(E2M1, xb, safe, NAN_CODE_FP4)
    # An underflowed block scale: every finite element is a signed zero (NaN stays NaN).
    nan = torch.isnan(xb)
    zc = torch.where(torch.signbit(xb), 8, 0).to(codes.dtype)
    codes = torch.where(zero & ~nan, zc, codes)
    zv = torch.where(torch.signbit(xb), -0.0, 0.0).to(torch.float32)
    values = torch.where(zero & ~nan, zv, values)
    values = torch.where(nan, torch.full_like(values, float('nan')), values)
    return codes, values

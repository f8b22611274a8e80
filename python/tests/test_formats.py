"""Bit-exactness of the torch quantizers: exhaustive E4M3 and E2M1 code tables, hand-worked NVFP4 blocks,
and random tensors against the TypeScript core (scripts/fgmp-torch-reference.ts)."""
from __future__ import annotations

import json
import math
import os

import pytest

torch = pytest.importorskip('torch', reason='torch is not installed (Debian python3-torch)')

from conftest import run_ts  # noqa: E402
from fgmp_torch.actquant import activation_scores, pad_fisher  # noqa: E402
from fgmp_torch.formats import E2M1, E4M3, quantize_fp8, quantize_nvfp4  # noqa: E402
from fgmp_torch.quantize import quantize_and_score  # noqa: E402


def e4m3_value(code: int) -> float:
    """OCP E4M3 'fn' by hand: bias 7, subnormals, S.1111.111 NaN, no infinities."""
    s = -1.0 if code & 0x80 else 1.0
    e, m = (code >> 3) & 15, code & 7
    if e == 15 and m == 7:
        return math.nan
    return s * (m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))


def test_e4m3_table_is_exhaustively_the_ocp_format():
    table = [e4m3_value(c) for c in range(256)]
    got = E4M3.decode(torch.arange(256)).tolist()
    for c in range(256):
        assert (math.isnan(got[c]) and math.isnan(table[c])) or got[c] == table[c], c
    assert E4M3.decode(torch.tensor([0x7E])).item() == 448 and E4M3.decode(torch.tensor([0x01])).item() == 2.0 ** -9
    codes = torch.tensor([c for c in range(256) if not math.isnan(table[c])])
    assert torch.equal(E4M3.encode(E4M3.decode(codes)), codes)  # every finite code round-trips, -0 included (0x80)


def _midpoint_checks(fmt, positives: list[tuple[int, float]]):
    """For consecutive grid values a < b: the midpoint goes to the even code, its float64 neighbours to a / b."""
    for (ca, a), (cb, b) in zip(positives, positives[1:]):
        mid = (a + b) / 2
        even = ca if ca % 2 == 0 else cb
        x = torch.tensor([mid, math.nextafter(mid, 0), math.nextafter(mid, math.inf), -mid], dtype=torch.float64)
        got = fmt.encode(x).tolist()
        assert got[:3] == [even, ca, cb], (a, b, got)
        assert got[3] == even | fmt.sign_bit


def test_e4m3_rounding_ties_to_even_and_saturation():
    pos = [(c, e4m3_value(c)) for c in range(0x7F)]
    _midpoint_checks(E4M3, pos)
    sat = E4M3.encode(torch.tensor([448.0, 463.99, 464.0, 1e30, math.inf, -math.inf, math.nan], dtype=torch.float64)).tolist()
    assert sat == [0x7E, 0x7E, 0x7E, 0x7E, 0x7E, 0xFE, 0x7F]
    assert E4M3.encode(torch.tensor([2.0 ** -10, math.nextafter(2.0 ** -10, 1)], dtype=torch.float64)).tolist() == [0, 1]


def test_e2m1_table_rounding_and_saturation():
    vals = [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    assert E2M1.decode(torch.arange(16)).tolist() == vals + [-v for v in vals]
    _midpoint_checks(E2M1, list(enumerate(vals)))
    # The TS comments' ties: 0.25->0, 0.75->1, 1.25->1, 1.75->2, 2.5->2, 3.5->4, 5->4; >= 6 saturates.
    x = torch.tensor([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 6.5, 1e9, -0.0, -7], dtype=torch.float64)
    assert E2M1.encode(x).tolist() == [0, 2, 2, 4, 4, 6, 6, 7, 7, 8, 15]
    assert E2M1.encode(torch.tensor([math.nan])).tolist() == [0xFF]


def test_nvfp4_hand_worked_blocks():
    # Row 1: amax 2688 -> tensor scale 1; block 0 amax 2688 -> E4M3(2688/6) = 448 exactly.
    q = [6, 4, 3, 2, 1.5, 1, 0.5, 0, -0.25, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5]
    b0 = [448 * v for v in q]
    # Block 1: amax 10 -> 10/6 = 1.667 -> E4M3 1.625 (grid step 0.125 in [1, 2)); 10/1.625 = 6.15 -> 6.
    b1 = [10, -10, 1.625 * 0.75, 1.625 * 2.5] + [0.0] * 12
    r = quantize_nvfp4(torch.tensor([b0 + b1], dtype=torch.float32))
    assert r['tensor_scale'] == 1.0
    assert r['scale_codes'].tolist() == [[0x7E, 0x3D]]  # 448, and 1.625 = 1.101b * 2^0 -> e=7, m=5
    assert r['scales'].tolist() == [[448.0, 1.625]]
    assert r['codes'][0, :16].tolist() == [7, 6, 5, 4, 3, 2, 1, 0, 8, 0, 2, 2, 4, 4, 6, 6]
    assert r['values'][0, :16].tolist() == [448 * v for v in [6, 4, 3, 2, 1.5, 1, 0.5, 0, 0, 0, 1, 1, 2, 2, 4, 4]]
    assert r['codes'][0, 16:20].tolist() == [7, 15, 2, 4]  # 0.75 -> 1 (tie to even), 2.5 -> 2
    assert r['values'][0, 16:20].tolist() == [9.75, -9.75, 1.625, 3.25]
    # A short tail block (cols 20) is scaled by its own values; an all-zero block has scale 0.
    z = quantize_nvfp4(torch.zeros(1, 20))
    assert z['scales'].tolist() == [[0.0, 0.0]] and z['values'].abs().sum().item() == 0


def _random_weight(rows, cols, seed, specials=False):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(rows, cols, generator=g) * torch.exp(torch.randn(rows, 1, generator=g))
    w[0, :5] = torch.tensor([0.0, -0.0, 1e-30, -3.0, 3.0])  # zeros, a tiny value, the row's extremes
    if specials:  # NaN and ±Inf: left out of every amax, NaN stays NaN, ±Inf saturates
        w[1, 3], w[2, 5], w[3, 0] = float('nan'), float('inf'), -float('inf')
    return w


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Bit-identical, except that any NaN equals any NaN (JS and torch NaN payloads differ)."""
    a, b = a.reshape(-1), b.reshape(-1)
    na, nb = torch.isnan(a), torch.isnan(b)
    ints = torch.int64 if a.dtype == torch.float64 else torch.int32
    return bool(torch.equal(na, nb)) and bool(torch.equal(a[~na].view(ints), b[~nb].view(ints)))


@pytest.mark.parametrize('rows,cols,clip,specials', [(48, 64, 'fisher', False), (40, 172, 'fisher', False), (33, 70, 'mse', False), (8, 40, 'fisher', True)])
def test_weight_quantizers_and_scores_equal_the_ts_core_bit_for_bit(tmp_path, rows, cols, clip, specials):
    w = _random_weight(rows, cols, rows * cols, specials)
    f = torch.rand(rows, cols, generator=torch.Generator().manual_seed(7)) ** 4
    w.numpy().tofile(tmp_path / 'w.f32')
    f.numpy().tofile(tmp_path / 'f.f32')
    out = tmp_path / 'ts'
    run_ts('quantize', str(tmp_path / 'w.f32'), str(tmp_path / 'f.f32'), str(rows), str(cols), clip, str(out))
    rd = lambda name, dt: torch.frombuffer(bytearray((out / name).read_bytes()), dtype=dt)  # noqa: E731
    meta = json.loads((out / 'meta.json').read_text())
    nv = quantize_nvfp4(w)
    assert nv['tensor_scale'] == meta['nvTensorScale']
    assert torch.equal(nv['codes'].reshape(-1), rd('nvfp4.codes.u8', torch.uint8))
    assert torch.equal(nv['scale_codes'].reshape(-1), rd('nvfp4.scalecodes.u8', torch.uint8))
    assert same_bits(nv['values'], rd('nvfp4.values.f32', torch.float32))
    v8, c8, s8 = quantize_fp8(w)
    assert s8 == meta['fp8Scale']
    assert torch.equal(c8.reshape(-1).to(torch.uint8), rd('e4m3.codes.u8', torch.uint8))
    assert same_bits(v8, rd('e4m3.values.f32', torch.float32))
    r = quantize_and_score(w, f, clip)
    assert torch.equal(r.clip_ratio.reshape(-1), rd('clip.f32', torch.float32))
    assert len(set(r.clip_ratio.reshape(-1).tolist())) > 1, 'the case should exercise several clip ratios'
    for pol in ('fgmp', 'unweighted', 'error', 'magnitude'):
        assert same_bits(getattr(r, pol), rd(f'{pol}.f64', torch.float64)), pol


def test_activation_unit_equals_the_ts_rule_bit_for_bit(tmp_path):
    g = torch.Generator().manual_seed(3)
    tokens, cols = 64, 172
    x = torch.randn(tokens, cols, generator=g) * torch.exp(2 * torch.randn(tokens, 1, generator=g))
    x[0] = 0
    x[1, 3] = 1e-30
    f = torch.rand(cols, generator=g) ** 3
    x.numpy().tofile(tmp_path / 'x.f32')
    f.numpy().tofile(tmp_path / 'f.f32')
    run_ts('actquant', str(tmp_path / 'x.f32'), str(tmp_path / 'f.f32'), str(tokens), str(cols), str(tmp_path / 'ts'))
    ts = torch.frombuffer(bytearray((tmp_path / 'ts' / 'scores.f32').read_bytes()), dtype=torch.int32)
    ours = activation_scores(x, pad_fisher(f)).reshape(-1)
    assert torch.equal(ours.view(torch.int32), ts)
    assert os.path.getsize(tmp_path / 'ts' / 'scores.f32') == 4 * tokens * 11

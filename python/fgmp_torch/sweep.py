"""Optional evaluation sweep of a profile (docs/profile-format.md §5): weights-only FGMP perplexity at the
listed budgets, as `fgmp run --json` computes it — evaluation stream = the first N ids of the text's
prefix encoding, windows of context − 1 positions after BOS, no overlap, every prediction scored once;
mixed weights = Q_hi on the top round(p·N) blocks of the global FGMP ranking, Q_lo (with the chosen clip
ratios) elsewhere; activations float32. The ranking needs every tensor's FGMP scores at once (8 bytes per
block: 3.2 GB for a 7B model), so the sweep is for models whose scores fit the device."""
from __future__ import annotations

import hashlib
import math

import torch

from .calibrate import encode_text_prefix, linear_modules, read_text
from .formats import finite_absmax, nvfp4_block_scales, nvfp4_tensor_scale, pad_blocks, quantize_span, _nvfp4_elements, E4M3, fp8_scale
from .loaders import hf_row_order, unpermute_hf_rows
from .model import PROJECTIONS
from .quantize import quantize_and_score, rank_fp8_masks


def mixed_weight(w: torch.Tensor, clip_ratio: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Q_hi where mask (per block), else NVFP4 with the block's clip ratio (float32, [rows, cols])."""
    rows, cols = w.shape
    xb = pad_blocks(w.to(torch.float32))
    a = xb.abs()
    amax = torch.where(torch.isfinite(a), a, torch.zeros_like(a)).amax(dim=2)
    _, _, eff = nvfp4_block_scales(amax, clip_ratio, nvfp4_tensor_scale(finite_absmax(w)))
    _, lo = _nvfp4_elements(xb, eff)
    _, hi = quantize_span(E4M3, xb, torch.tensor(fp8_scale(finite_absmax(w)), dtype=torch.float32, device=w.device))
    out = torch.where(mask.to(w.device).unsqueeze(-1), hi, lo)
    return out.reshape(rows, -1)[:, :cols]


@torch.no_grad()
def perplexity(model, stream: list[int], window: int, bos: int, device) -> tuple[float, int, int]:
    """(mean NLL over finite predictions, predictions, non-finite) over non-overlapping BOS windows."""
    total, count, bad = 0.0, 0, 0
    for a in range(0, len(stream), window):
        tg = stream[a:a + window]
        tk = [bos] + stream[a:a + len(tg) - 1]
        out = model(torch.tensor([tk], device=device))
        logits = (out.logits if hasattr(out, 'logits') else out)[0].float()
        nll = torch.nn.functional.cross_entropy(logits, torch.tensor(tg, device=device), reduction='none').double()
        fin = torch.isfinite(nll)
        total += float(nll[fin].sum())
        bad += int((~fin).sum())
        count += len(tg)
    return total / max(1, count - bad), count, bad


def weight_sweep(model, c, tok, args, weight_fisher, hf_rows: bool, device) -> dict:
    budgets = [float(b) for b in args.budgets.split(',') if b.strip()]
    for b in budgets:
        if not 0 <= b <= 1:
            raise SystemExit(f'error: budget {b} is outside [0, 1]')
    text = read_text(args.eval)
    stream = encode_text_prefix(tok, text, args.eval_tokens)[:args.eval_tokens]
    if len(stream) < args.eval_tokens:
        raise SystemExit(f'error: {args.eval} gives only {len(stream)} tokens, {args.eval_tokens} asked')
    window = c.max_seq_len - 1
    mods = {(l, p): m for l, p, m in linear_modules(model)}
    keys = [(l, p) for l in range(c.n_layers) for p in PROJECTIONS]
    canon, ratios, scores = {}, {}, []
    for k in keys:
        w = mods[k].weight.detach().to(torch.float32)
        f = weight_fisher[k].to(torch.float32)
        if hf_rows and k[1] in ('q', 'k'):
            heads = c.n_heads if k[1] == 'q' else c.n_kv_heads
            w, f = unpermute_hf_rows(w, heads), unpermute_hf_rows(f, heads)
        r = quantize_and_score(w, f, 'fisher')
        ratios[k] = r.clip_ratio
        scores.append(r.fgmp)
        canon[k] = w.clone()  # .to(float32) of a float32 weight is the live tensor itself
    f32_nll, n, _ = perplexity(model, stream, window, tok.bos_id, device)
    originals = {k: mods[k].weight.detach().clone() for k in keys}
    points = []
    try:
        for b in budgets:
            masks = rank_fp8_masks(scores, b)
            layers = []
            fp8 = 0
            for k, m in zip(keys, masks):
                mixed = mixed_weight(canon[k], ratios[k], m)
                if hf_rows and k[1] in ('q', 'k'):
                    heads = c.n_heads if k[1] == 'q' else c.n_kv_heads
                    back = torch.empty_like(mixed)
                    back[hf_row_order(mixed.shape[0], heads).to(mixed.device)] = mixed
                    mixed = back
                mods[k].weight.data.copy_(mixed.to(mods[k].weight.dtype))
                fp8 += int(m.sum())
                layers.append({'layer': k[0], 'proj': k[1], 'fp8Share': float(m.float().mean()), 'actFp8Share': None})
            mean_nll, _, bad = perplexity(model, stream, window, tok.bos_id, device)
            total_blocks = sum(s.numel() for s in scores)
            points.append({'policy': 'fgmp', 'budget': b, 'actBudget': None, 'clip': 'fisher', 'ppl': math.exp(mean_nll),
                           'meanNll': mean_nll, 'fp8Share': fp8 / total_blocks, 'layers': layers, 'tokens': n, 'nonFinite': bad})
    finally:
        for k in keys:
            mods[k].weight.data.copy_(originals[k])
    return {'source': args.eval, 'textSha256': hashlib.sha256(text.encode('utf-8')).hexdigest(), 'seed': None, 'tokens': n,
            'positions': n, 'float32Ppl': math.exp(f32_nll), 'float32MeanNll': f32_nll, 'points': points}




"""One rank's profile run: model and tokenizer, calibration sequences, Fisher (all-reduced), activation
scores, then (rank 0) the streamed profile and the optional weights-only evaluation sweep."""
from __future__ import annotations

import hashlib
import math
import os
import sys
import time

import torch

from . import profile as prof
from .calibrate import calibrate, read_text, text_sequences
from .loaders import load_hf_transformers, load_model, config_from_hf
from .tokenizer import Llama2cTokenizer

DTYPES = {'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}


def log(rank: int, msg: str) -> None:
    if rank == 0:
        print(msg, file=sys.stderr, flush=True)


def model_files(path: str) -> list[str]:
    if path.startswith('random:'):
        return []
    if not os.path.isdir(path):
        return [path]
    idx = os.path.join(path, 'model.safetensors.index.json')
    if os.path.exists(idx):
        import json  # noqa: PLC0415
        return [os.path.join(path, f) for f in sorted(set(json.load(open(idx))['weight_map'].values()))]
    return [os.path.join(path, 'model.safetensors')]


class _HfTokenizer:
    """transformers' tokenizer behind the llama2.c tokenizer's interface (encode without BOS)."""

    def __init__(self, tok):
        self.tok = tok
        self.bos_id = tok.bos_token_id if tok.bos_token_id is not None else 1

    def encode(self, text):
        return self.tok.encode(text, add_special_tokens=False)


def load_everything(args, device):
    dtype = DTYPES[args.dtype]
    if args.engine == 'transformers':
        import json  # noqa: PLC0415
        # Without --device-map the whole model goes straight to this rank's device (no host copy per rank).
        model = load_hf_transformers(args.model, device_map=args.device_map or {'': str(device)}, dtype=dtype)
        c = config_from_hf(json.load(open(os.path.join(args.model, 'config.json'))))
        hf_rows = True
    else:
        model, _ = load_model(args.model, device=str(device), dtype=dtype)
        c = model.config
        hf_rows = False
    if args.tokenizer:
        tok = Llama2cTokenizer.from_file(args.tokenizer, c.vocab_size)
        tok_info = {'name': os.path.basename(args.tokenizer), 'sha256': prof.sha256_files([args.tokenizer])}
    elif os.path.isdir(args.model):
        try:
            from transformers import AutoTokenizer  # noqa: PLC0415
        except ImportError as e:
            raise SystemExit('error: give --tokenizer (llama2.c tokenizer.bin), or install transformers to read the folder\'s tokenizer.json') from e
        tok = _HfTokenizer(AutoTokenizer.from_pretrained(args.model))
        tj = os.path.join(args.model, 'tokenizer.json')
        tok_info = {'name': 'tokenizer.json', 'sha256': prof.sha256_files([tj]) if os.path.exists(tj) else None}
    else:
        raise SystemExit('error: text calibration needs --tokenizer')
    return model, c, tok, tok_info, hf_rows


def run_profile(args, rank: int, world: int, device) -> dict:
    t_start = time.perf_counter()
    model, c, tok, tok_info, hf_rows = load_everything(args, device)
    seq_len = args.seq_len or min(256, c.max_seq_len)
    if seq_len > c.max_seq_len:
        raise SystemExit(f"error: --seq-len {seq_len} exceeds the model's context {c.max_seq_len}")
    seqs = math.ceil(args.calib_tokens / seq_len) if args.calib_tokens else 64
    text = read_text(args.calib)
    tokens, targets = text_sequences(tok, text, seqs, seq_len, args.calib)
    batch = args.batch or max(1, 2048 // seq_len)
    log(rank, f'calibration: {seqs} x {seq_len} tokens from {args.calib} on {world} rank(s), {device}')
    accum = torch.float64 if device.type == 'cpu' else torch.float32
    cal = calibrate(model, tokens, targets, batch_size=batch, accum_dtype=accum, rank=rank, world=world, device=device)
    t_cal = time.perf_counter()
    M = seqs * seq_len
    act_bytes = 4 * M * sum(prof.bpr(c.projection_shape(p)[1]) for p in prof.PROJECTIONS) * c.n_layers
    full = args.act_scores == 'full' or (args.act_scores == 'auto' and act_bytes <= prof.FULL_ACT_SCORE_BYTES)
    act_hist, act_full = prof.collect_activation_scores(model, tokens, cal['act'], full, batch, rank, world, device)
    t_act = time.perf_counter()
    summary = {}
    if rank == 0:
        files = model_files(args.model)
        model_info = {'name': os.path.basename(os.path.normpath(args.model)), 'sha256': prof.sha256_files(files) if files else None,
                      'parameters': prof.parameter_count(c), 'config': c.to_json()}
        calib_info = {
            'tokens': M, 'sequences': seqs, 'seqLen': seq_len, 'source': args.calib,
            'textSha256': hashlib.sha256(text.encode('utf-8')).hexdigest(), 'seed': None,
            'meanNll': cal['nll_sum'] / M, 'seconds': cal['seconds'],
            'engine': f'torch {device.type}', 'threads': torch.get_num_threads() if device.type == 'cpu' else None,
            'producer': prof.producer(), 'versions': prof.versions(), 'ranks': world,
        }
        evaluation = None
        if args.eval and args.budgets:
            from .sweep import weight_sweep  # noqa: PLC0415
            evaluation = weight_sweep(model, c, tok, args, cal['weight'], hf_rows, device)
        meta = prof.build_meta(c, model_info, tok_info, calib_info, M, full, evaluation)
        size = prof.write_profile(args.out, model, c, cal['weight'], cal['act'], act_hist, act_full, meta, hf_rows)
        t_end = time.perf_counter()
        summary = {
            'out': args.out, 'bytes': size, 'tensors': c.n_layers * 7,
            'blocks': sum(c.projection_shape(p)[0] * prof.bpr(c.projection_shape(p)[1]) for p in prof.PROJECTIONS) * c.n_layers,
            'ranks': world, 'device': str(device), 'activations': 'full' if full else 'histogram',
            'calibration': {'sequences': seqs, 'seqLen': seq_len, 'tokens': M, 'meanNll': cal['nll_sum'] / M,
                            'tokensPerSecond': M / cal['seconds'] if cal['seconds'] > 0 else None},
            'seconds': {'calibration': cal['seconds'], 'activations': t_act - t_cal, 'write': t_end - t_act, 'total': t_end - t_start},
            'peakMemoryBytes': torch.cuda.max_memory_allocated(device) if device.type == 'cuda' else _rss(),
        }
    return summary


def _rss() -> int | None:
    try:
        import resource  # noqa: PLC0415
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except Exception:  # noqa: BLE001
        return None

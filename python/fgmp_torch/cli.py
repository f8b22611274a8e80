"""python3 -m fgmp_torch profile MODEL [--tokenizer TOK] --calib FILE [--calib-tokens N] [--seq-len N]
    [--eval FILE --eval-tokens N --budgets LIST] --out FILE [--nproc N] [--device cpu|cuda] [--json]

Ranks: under torchrun (RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT set) every process is one rank;
with --nproc N this process spawns N local workers (torch.multiprocessing) on a free local port.
Backend: gloo on CPU, NCCL on CUDA (rank r uses cuda:LOCAL_RANK).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys

import torch
import torch.distributed as dist



def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog='python3 -m fgmp_torch', description='FGMP profiles from PyTorch (docs/profiles.md)')
    sub = ap.add_subparsers(dest='command', required=True)
    p = sub.add_parser('profile', help='calibrate a model and write its FGMP profile (docs/profile-format.md)')
    p.add_argument('model', help='llama2.c .bin, or a Hugging Face folder (config.json + safetensors)')
    p.add_argument('--tokenizer', help='llama2.c tokenizer.bin (HF folders: tokenizer.json via transformers when omitted)')
    p.add_argument('--calib', required=True, help='calibration text (UTF-8)')
    p.add_argument('--calib-tokens', type=int, help='calibration tokens (sequences = ceil(N / seq-len); default 64 sequences)')
    p.add_argument('--seq-len', type=int, help='calibration sequence length (default min(256, context))')
    p.add_argument('--eval', help='evaluation text for the sweep (weights-only perplexity at --budgets)')
    p.add_argument('--eval-tokens', type=int, default=4096)
    p.add_argument('--budgets', help='comma list of weight FP8 budgets for the sweep, e.g. 0,0.1,0.3,1')
    p.add_argument('--out', required=True, help='profile file to write (.safetensors)')
    p.add_argument('--nproc', type=int, default=1, help='spawn N local workers (torch.multiprocessing)')
    p.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    p.add_argument('--json', action='store_true', help='print one JSON object with what was written and timings')
    p.add_argument('--batch', type=int, help='sequences per forward+backward (default max(1, 2048 // seq-len))')
    p.add_argument('--engine', choices=('builtin', 'transformers'), default='builtin',
                   help='built-in torch Llama (default) or transformers LlamaForCausalLM (must be installed)')
    p.add_argument('--dtype', choices=('float32', 'bfloat16', 'float16'), default='float32', help='model weights/activations dtype')
    p.add_argument('--device-map', help='transformers device_map (e.g. auto: one model spread over the visible GPUs; single process only)')
    p.add_argument('--act-scores', choices=('auto', 'full', 'histogram'), default='auto',
                   help='store every calibration activation block score (full) or only histograms; auto: full up to 256 MB')
    p.add_argument('--threads', type=int, help='torch CPU threads per rank (default: cores / ranks)')
    return ap


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('error: --device cuda but torch sees no CUDA device', file=sys.stderr)
        return 2
    if 'RANK' in os.environ and 'WORLD_SIZE' in os.environ:
        return worker(int(os.environ['RANK']), int(os.environ['WORLD_SIZE']), args, int(os.environ.get('LOCAL_RANK', os.environ['RANK'])))
    if args.nproc > 1:
        import torch.multiprocessing as mp  # noqa: PLC0415
        os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
        os.environ['MASTER_PORT'] = str(free_port())
        mp.spawn(_spawned, args=(args.nproc, args), nprocs=args.nproc, join=True)
        return 0
    return worker(0, 1, args, 0)


def _spawned(rank: int, world: int, args) -> None:
    code = worker(rank, world, args, rank)
    if code:
        raise SystemExit(code)


def worker(rank: int, world: int, args, local_rank: int) -> int:
    from .run import run_profile  # noqa: PLC0415

    if args.device == 'cuda':
        torch.cuda.set_device(local_rank)
        device = torch.device('cuda', local_rank)
    else:
        device = torch.device('cpu')
        local = int(os.environ.get('LOCAL_WORLD_SIZE', world))  # ranks on this node (torchrun sets it)
        threads = args.threads or max(1, (os.cpu_count() or 1) // local)
        torch.set_num_threads(threads)
    if world > 1:
        os.environ['RANK'] = str(rank)
        os.environ['WORLD_SIZE'] = str(world)
        dist.init_process_group('nccl' if args.device == 'cuda' else 'gloo', rank=rank, world_size=world)
    try:
        try:
            summary = run_profile(args, rank, world, device)
        except (ValueError, FileNotFoundError) as e:  # bad input: the same on every rank, before any collective
            if rank == 0:
                print(f'error: {e}', file=sys.stderr)
            return 2
        if world > 1:
            dist.barrier()  # rank 0 writes the file; the others wait for it before leaving the group
    finally:
        if world > 1:
            dist.destroy_process_group()
    if rank == 0:
        if args.json:
            print(json.dumps(summary))
        else:
            print(f"wrote {summary['out']} ({summary['bytes']} bytes): {summary['tensors']} tensors, {summary['blocks']} weight blocks; "
                  f"calibration {summary['calibration']['sequences']} x {summary['calibration']['seqLen']} tokens on {world} rank(s), "
                  f"{summary['seconds']['calibration']:.2f} s; total {summary['seconds']['total']:.2f} s")
    return 0



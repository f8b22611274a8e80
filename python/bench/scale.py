"""What each model size needs on this machine: calibration time per 1 M tokens and peak memory of one rank,
on random-weight models of the named shapes (random:SHAPE), CPU, float32, one process per shape.

  PYTHONPATH=python /usr/bin/python3 python/bench/scale.py [--shapes stories15M,stories42M] [--seqs 4] [--seq-len 256]
Prints a markdown table (medians of --repeats calibrations). Not a test."""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import torch  # noqa: E402


def one(shape: str, seqs: int, seq_len: int, repeats: int) -> dict:
    from fgmp_torch.calibrate import calibrate  # noqa: PLC0415
    from fgmp_torch.loaders import load_model  # noqa: PLC0415
    from fgmp_torch.profile import collect_activation_scores  # noqa: PLC0415
    from fgmp_torch.quantize import quantize_and_score  # noqa: PLC0415
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model, _ = load_model(f'random:{shape}')
    c = model.config
    seq_len = min(seq_len, c.max_seq_len)
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, c.vocab_size, (seqs, seq_len), generator=g)
    targets = torch.randint(0, c.vocab_size, (seqs, seq_len), generator=g)
    cal_s = []
    for _ in range(repeats):
        cal = calibrate(model, tokens, targets, batch_size=1)
        cal_s.append(cal['seconds'])
    t0 = time.perf_counter()
    collect_activation_scores(model, tokens, cal['act'], False, 1, 0, 1, torch.device('cpu'))
    act_s = time.perf_counter() - t0
    w = model.linear(0, 'gate').weight.detach()
    t0 = time.perf_counter()
    quantize_and_score(w, cal['weight'][(0, 'gate')].float())
    q_s = (time.perf_counter() - t0) / w.numel()
    linear = sum(r * k for r, k in (c.projection_shape(p) for p in ('q', 'k', 'v', 'o', 'gate', 'up', 'down'))) * c.n_layers
    params = sum(p.numel() for p in model.parameters())
    n = seqs * seq_len
    return {'shape': shape, 'params': params, 'linear': linear, 'tokens': n, 'seqLen': seq_len,
            'calibSecondsPer1M': statistics.median(cal_s) / n * 1e6, 'actSecondsPer1M': act_s / n * 1e6,
            'quantizeSecondsAll': q_s * linear, 'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            'baseRssBytes': base * 1024, 'threads': torch.get_num_threads()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shapes', default='stories260K,stories15M,stories42M,stories110M')
    ap.add_argument('--seqs', type=int, default=4)
    ap.add_argument('--seq-len', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--one')
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.seqs, a.seq_len, a.repeats)))
        return
    rows = []
    for s in a.shapes.split(','):
        r = subprocess.run([sys.executable, __file__, '--one', s, '--seqs', str(a.seqs), '--seq-len', str(a.seq_len), '--repeats', str(a.repeats)],
                           capture_output=True, text=True, check=True)
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    print(f'CPU float32, {rows[0]["threads"]} thread(s), {a.seqs} sequences x {a.seq_len} tokens (shorter context: its length), medians of {a.repeats}\n')
    print('| shape | parameters | linear weights | calibration s / 1 M tokens | activation scores s / 1 M tokens | quantize + score all tensors s | peak RSS of the rank |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    for r in rows:
        print(f"| {r['shape']} | {r['params'] / 1e6:.2f} M | {r['linear'] / 1e6:.2f} M | {r['calibSecondsPer1M']:.0f} | {r['actSecondsPer1M']:.0f} | "
              f"{r['quantizeSecondsAll']:.1f} | {r['peakRssBytes'] / 2**20:.0f} MiB |")


if __name__ == '__main__':
    main()

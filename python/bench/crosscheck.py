"""The stories260K cross-check table of docs/profiles.md: the torch producer (1 and 2 gloo ranks) against
the TypeScript pipeline on the same calibration, with wall times (medians of --repeats runs).

  PYTHONPATH=python /usr/bin/python3 python/bench/crosscheck.py [--seqs 16] [--seq-len 256] [--repeats 3]
Prints a markdown table. Not a test: timings depend on the machine's load."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(PYTHON_DIR)
sys.path.insert(0, PYTHON_DIR)

import torch  # noqa: E402

from fgmp_torch import safetensors_io as st  # noqa: E402
from fgmp_torch.histogram import default_spec, histogram_row  # noqa: E402

SHARED = os.environ.get('FGMP_SHARED_DATA') or os.path.join(os.path.dirname(REPO), 'shared', 'data')
MODEL = os.path.join(SHARED, 'models', 'stories260K.bin')
TOK = os.path.join(SHARED, 'models', 'tok512.bin')
TEXT = os.path.join(SHARED, 'text', 'tinystories_train_head.txt')


def rel(a, b):
    d = (a.double() - b.double()).abs().max()
    s = b.double().abs().max()
    return float(d / s) if s > 0 else float(d)


def ts_run(out, seqs, seq_len):
    t0 = time.perf_counter()
    subprocess.run(['npx', 'tsx', 'scripts/fgmp-torch-reference.ts', 'calib', MODEL, TOK, TEXT, str(seqs), str(seq_len), out],
                   cwd=REPO, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    meta = json.load(open(os.path.join(out, 'meta.json')))
    return wall, meta['calibSeconds']


def torch_run(out, seqs, seq_len, n):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, '-m', 'fgmp_torch', 'profile', MODEL, '--tokenizer', TOK, '--calib', TEXT, '--calib-tokens',
                        str(seqs * seq_len), '--seq-len', str(seq_len), '--out', out, '--json', '--nproc', str(n), '--threads', '1'],
                       cwd=REPO, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    return wall, json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seqs', type=int, default=16)
    ap.add_argument('--seq-len', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix='fgmp-crosscheck-')
    ts_w, ts_c, w1, c1, w2, c2 = [], [], [], [], [], []
    for _ in range(a.repeats):
        w, c = ts_run(os.path.join(d, 'ts'), a.seqs, a.seq_len)
        ts_w.append(w)
        ts_c.append(c)
        w, s = torch_run(os.path.join(d, 'p1.safetensors'), a.seqs, a.seq_len, 1)
        w1.append(w)
        c1.append(s['seconds']['calibration'])
        w, s = torch_run(os.path.join(d, 'p2.safetensors'), a.seqs, a.seq_len, 2)
        w2.append(w)
        c2.append(s['seconds']['calibration'])
    ts_dir = os.path.join(d, 'ts')
    tsp, _ = st.read_all(os.path.join(ts_dir, 'ts.profile.safetensors'))
    p1, _ = st.read_all(os.path.join(d, 'p1.safetensors'))
    p2, _ = st.read_all(os.path.join(d, 'p2.safetensors'))
    names = [n for n in p1 if n.startswith('weight.L') and n.endswith('.clip')]
    keys = [n[len('weight.'):-len('.clip')] for n in names]

    def compare(x, y):
        clip_same = sum(int((x[f'weight.{k}.clip'] == y[f'weight.{k}.clip']).sum()) for k in keys)
        blocks = sum(x[f'weight.{k}.clip'].numel() for k in keys)
        fg = max(rel(x[f'weight.{k}.score.fgmp'], y[f'weight.{k}.score.fgmp']) for k in keys)
        af = max(rel(x[f'act.{k}.fisher'], y[f'act.{k}.fisher']) for k in keys)
        sets = []
        for b in (0.05, 0.1, 0.2, 0.3):
            def fp8(p):
                s = torch.cat([p[f'weight.{k}.score.fgmp'].reshape(-1) for k in keys])
                n = int(b * s.numel() + 0.5)
                return set(torch.sort(s, descending=True, stable=True).indices[:n].tolist())
            sets.append(len(fp8(x) ^ fp8(y)))
        # Scores that fall in a different histogram column (half the L1 distance of the rows), binned with the
        # default spec on both sides (producers may choose different histogram ranges).
        spec = default_spec()

        def moved(fmt):
            return sum(int((histogram_row(x[fmt.format(k)], spec) - histogram_row(y[fmt.format(k)], spec)).abs().sum()) // 2 for k in keys)
        pols = ('fgmp', 'unweighted', 'error', 'magnitude')
        hist = ' / '.join([str(moved('weight.{}.score.' + pol)) for pol in pols] + [str(moved('act.{}.scores'))])
        return clip_same, blocks, fg, af, sets, hist

    import shutil  # noqa: PLC0415
    rows = [('torch 1 rank vs TS', compare(p1, tsp)), ('torch 2 ranks vs TS', compare(p2, tsp)), ('torch 2 ranks vs 1 rank', compare(p2, p1))]
    shutil.rmtree(d)
    med = statistics.median
    print(f'stories260K, tok512, {a.seqs} x {a.seq_len} calibration tokens of text/tinystories_train_head.txt; medians of {a.repeats} runs\n')
    print('| comparison | clip ratios equal | FGMP score max rel. diff | act. Fisher max rel. diff | FP8 sets 5/10/20/30 % (blocks differing) | scores in another histogram bin: fgmp / unweighted / error / magnitude / act |')
    print('| --- | --- | --- | --- | --- | --- |')
    for name, (cs, nb, fg, af, sets, hist) in rows:
        print(f"| {name} | {cs}/{nb} | {fg:.2e} | {af:.2e} | {'/'.join(map(str, sets))} | {hist} |")
    print('\n| producer | calibration s | wall s (whole command) |')
    print('| --- | --- | --- |')
    print(f'| TS (scripts/fgmp-torch-reference.ts calib, default engine, 1 thread) | {med(ts_c):.2f} | {med(ts_w):.2f} |')
    print(f'| torch, 1 rank (1 thread) | {med(c1):.2f} | {med(w1):.2f} |')
    print(f'| torch, 2 gloo ranks (1 thread each) | {med(c2):.2f} | {med(w2):.2f} |')


if __name__ == '__main__':
    main()

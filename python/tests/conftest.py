"""Shared fixtures: ../shared/data (the real stories260K checkpoint, tok512, texts, golden outputs), the TS
reference dumps (scripts/fgmp-torch-reference.ts via npx tsx) and the torch runs they are compared with.

Tests skip with a clear reason when torch, the shared data or node are absent, except under CI=true,
where their absence is a failure (as tests/support/sharedData.ts does for the TS suite)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(PYTHON_DIR)
sys.path.insert(0, PYTHON_DIR)
SHARED = os.environ.get('FGMP_SHARED_DATA') or os.path.join(os.path.dirname(REPO), 'shared', 'data')
CI = os.environ.get('CI') == 'true'

MODEL = os.path.join(SHARED, 'models', 'stories260K.bin')
TOK512 = os.path.join(SHARED, 'models', 'tok512.bin')
TRAIN_TEXT = os.path.join(SHARED, 'text', 'tinystories_train_head.txt')
VALID_TEXT = os.path.join(SHARED, 'text', 'tinystories_valid_head.txt')
# The 1-rank profile carries a small weights-only sweep (1,024 evaluation tokens at budget 0.1).
SWEEP = ('--eval', VALID_TEXT, '--eval-tokens', '1024', '--budgets', '0.1')
# The cross-check calibration: 16 sequences of 256 tokens of the train head (4,096 tokens).
CAL_SEQS, CAL_LEN = 16, 256
BUDGETS = (0.05, 0.1, 0.2, 0.3)

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False
    if CI:
        raise RuntimeError('torch is not importable under CI=true: install Debian python3-torch (see .ci/run)')

HAVE_SHARED = os.path.exists(MODEL)
if not HAVE_SHARED and CI:
    raise RuntimeError(f'../shared/data is missing at {SHARED}: under CI=true the shared data must be present')
NPX = shutil.which('npx')
if NPX is None and CI:
    raise RuntimeError('npx is not on PATH under CI=true (the TS cross-checks need node)')


def need_shared():
    if not HAVE_SHARED:
        pytest.skip(f'shared data not found at {SHARED} (tests that read the real checkpoint and texts are skipped)')


def need_node():
    if NPX is None:
        pytest.skip('npx (node) not found: the cross-checks against the TypeScript pipeline are skipped')


def run_ts(*args: str) -> str:
    """Runs scripts/fgmp-torch-reference.ts with npx tsx from the repository root; returns stdout."""
    need_node()
    r = subprocess.run([NPX, 'tsx', 'scripts/fgmp-torch-reference.ts', *args], cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'fgmp-torch-reference.ts {args[0]} failed ({r.returncode}):\n{r.stderr[-4000:]}')
    return r.stdout


def run_fgmp(*args: str) -> dict:
    """The TS CLI (npx tsx src/cli/main.ts ... --json); returns its JSON object."""
    import json  # noqa: PLC0415
    need_node()
    r = subprocess.run([NPX, 'tsx', 'src/cli/main.ts', *args, '--json'], cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'fgmp {args[0]} failed ({r.returncode}):\n{r.stderr[-4000:]}')
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_profile_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.run([sys.executable, '-m', 'fgmp_torch', *args], cwd=REPO, env=env, capture_output=True, text=True)


@pytest.fixture(scope='session')
def ts_calib(tmp_path_factory):
    """TS pipeline on the cross-check calibration: sequences, Fisher, clip ratios, scores, masks, a TS profile."""
    need_shared()
    out = str(tmp_path_factory.mktemp('ts_calib'))
    run_ts('calib', MODEL, TOK512, TRAIN_TEXT, str(CAL_SEQS), str(CAL_LEN), out, ','.join(map(str, BUDGETS)))
    return out


@pytest.fixture(scope='session')
def ts_cli_profile(tmp_path_factory):
    """The TS-made profile of the cross-check calibration, by `fgmp profile` itself."""
    need_shared()
    path = str(tmp_path_factory.mktemp('ts_cli') / 'stories260K.ts.safetensors')
    run_fgmp('profile', MODEL, '--tokenizer', TOK512, '--calib', TRAIN_TEXT, '--calib-tokens', str(CAL_SEQS * CAL_LEN),
             '--seq-len', str(CAL_LEN), '--threads', '1', '--out', path)
    return path


def profile_args(out: str, *extra: str) -> list[str]:
    return ['profile', MODEL, '--tokenizer', TOK512, '--calib', TRAIN_TEXT, '--calib-tokens', str(CAL_SEQS * CAL_LEN),
            '--seq-len', str(CAL_LEN), '--out', out, '--json', *extra]


@pytest.fixture(scope='session')
def torch_profiles(tmp_path_factory):
    """The torch profile of the cross-check calibration on 1 rank and on 2 gloo ranks (--nproc 2)."""
    need_shared()
    if not HAVE_TORCH:
        pytest.skip('torch is not installed')
    import json  # noqa: PLC0415
    d = tmp_path_factory.mktemp('torch_profiles')
    out = {}
    for n in (1, 2):
        path = str(d / f'stories260K.{n}rank.safetensors')
        r = run_profile_cli(*profile_args(path, '--nproc', str(n), '--threads', '1', *(SWEEP if n == 1 else ())))
        assert r.returncode == 0, r.stderr[-4000:]
        out[n] = (path, json.loads(r.stdout.strip().splitlines()[-1]))
    # Two ranks launched the way torchrun does it: RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT.
    path = str(d / 'stories260K.env2.safetensors')
    port = str(_free_port())
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2', MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
        procs.append(subprocess.Popen([sys.executable, '-m', 'fgmp_torch', *profile_args(path, '--threads', '1')], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate() for p in procs]
    for p, (o, e) in zip(procs, outs):
        assert p.returncode == 0, e[-4000:]
    out['env'] = (path, json.loads(outs[0][0].strip().splitlines()[-1]))
    return out


def _free_port() -> int:
    import socket  # noqa: PLC0415
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

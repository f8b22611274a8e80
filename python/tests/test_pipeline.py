"""The torch producer against the TypeScript pipeline on stories260K (tok512, the TinyStories train head,
16 x 256 calibration tokens): the same sequences, Fisher within 1e-4, clip ratios and FP8 block sets
identical; profiles from 1 and 2 gloo ranks equal; the TS reader opens the torch profile and answers
every budget as it does on the TS-made profile."""
from __future__ import annotations

import json
import os

import pytest

torch = pytest.importorskip('torch', reason='torch is not installed (Debian python3-torch)')

from conftest import BUDGETS, CAL_LEN, CAL_SEQS, MODEL, TOK512, TRAIN_TEXT, VALID_TEXT, need_shared, run_fgmp, run_ts  # noqa: E402
from fgmp_torch import safetensors_io as st  # noqa: E402
from fgmp_torch.calibrate import calibrate, read_text, text_sequences  # noqa: E402
from fgmp_torch.loaders import load_model  # noqa: E402
from fgmp_torch.model import PROJECTIONS  # noqa: E402
from fgmp_torch.quantize import quantize_and_score, rank_fp8_masks  # noqa: E402
from fgmp_torch.tokenizer import Llama2cTokenizer  # noqa: E402

KEYS = [(l, p) for l in range(5) for p in PROJECTIONS]


def rd(d, name, dt):
    return torch.frombuffer(bytearray(open(os.path.join(d, name), 'rb').read()), dtype=dt)


def rel(a, b):
    return ((a.double() - b.double()).abs().max() / b.double().abs().max()).item()


@pytest.fixture(scope='module')
def torch_calib():
    need_shared()
    model, _ = load_model(MODEL)
    tok = Llama2cTokenizer.from_file(TOK512, 512)
    tokens, targets = text_sequences(tok, read_text(TRAIN_TEXT), CAL_SEQS, CAL_LEN)
    return model, tokens, targets, calibrate(model, tokens, targets)


def test_same_sequences_and_fisher_within_1e_4(ts_calib, torch_calib):
    model, tokens, targets, cal = torch_calib
    assert torch.equal(rd(ts_calib, 'tokens.i32', torch.int32).long(), tokens.reshape(-1))
    assert torch.equal(rd(ts_calib, 'targets.i32', torch.int32).long(), targets.reshape(-1))
    meta = json.load(open(os.path.join(ts_calib, 'meta.json')))
    assert abs(cal['nll_sum'] / cal['tokens'] - meta['meanNll']) < 1e-5
    for l, p in KEYS:
        tw = rd(ts_calib, f'fisher.L{l}.{p}.f32', torch.float32).reshape(cal['weight'][(l, p)].shape)
        assert rel(cal['weight'][(l, p)], tw) <= 1e-4, f'weight Fisher L{l}.{p}'
        ta = rd(ts_calib, f'actfisher.L{l}.{p}.f32', torch.float32)
        assert rel(cal['act'][(l, p)], ta) <= 1e-4, f'activation Fisher L{l}.{p}'


def test_clip_ratios_and_fp8_block_sets_identical(ts_calib, torch_calib):
    model, _, _, cal = torch_calib
    ours, theirs = [], []
    for l, p in KEYS:
        w = model.linear(l, p).weight.detach()
        r = quantize_and_score(w, cal['weight'][(l, p)].float())
        tc = rd(ts_calib, f'clip.L{l}.{p}.f32', torch.float32).reshape(r.clip_ratio.shape)
        assert torch.equal(r.clip_ratio, tc), f'clip ratios L{l}.{p}'
        # Given the TS Fisher itself, the scores are bit-identical (the quantizers are exact).
        rt = quantize_and_score(w, rd(ts_calib, f'fisher.L{l}.{p}.f32', torch.float32).reshape(w.shape))
        assert torch.equal(rt.fgmp.reshape(-1), rd(ts_calib, f'fgmp.L{l}.{p}.f64', torch.float64)), f'FGMP scores L{l}.{p}'
        ours.append(r.fgmp)
    for b in BUDGETS:
        masks = rank_fp8_masks(ours, b)
        for (l, p), m in zip(KEYS, masks):
            tm = rd(ts_calib, f'mask{b}.L{l}.{p}.u8', torch.uint8).bool().reshape(m.shape)
            assert torch.equal(m, tm), f'FP8 blocks at {b}: L{l}.{p}'


def _check(path):
    return json.loads(run_ts('profile-check', path, ','.join(map(str, BUDGETS))).strip().splitlines()[-1])


@pytest.mark.parametrize('launch', [2, 'env'], ids=['nproc-spawn', 'torchrun-env'])
def test_two_gloo_ranks_give_the_profile_of_one(torch_profiles, launch):
    (p1, s1), (p2, s2) = torch_profiles[1], torch_profiles[launch]
    assert s1['ranks'] == 1 and s2['ranks'] == 2
    t1, m1 = st.read_all(p1)
    t2, m2 = st.read_all(p2)
    assert set(t1) == set(t2)
    for name in t1:
        a, b = t1[name], t2[name]
        if name.endswith('.clip') or '.hist' in name:
            assert torch.equal(a, b), name
        elif a.dtype.is_floating_point and b.abs().max() > 0:
            assert rel(a, b) <= 1e-6, name
    c1, c2 = json.loads(m1['fgmp.calibration']), json.loads(m2['fgmp.calibration'])
    assert abs(c1['meanNll'] - c2['meanNll']) <= 1e-9 * c1['meanNll']


def test_ts_reader_answers_the_torch_profile_as_the_ts_profile(ts_calib, torch_profiles):
    ours = _check(torch_profiles[1][0])
    theirs = _check(os.path.join(ts_calib, 'ts.profile.safetensors'))
    assert ours['meta']['tensors'] == theirs['meta']['tensors']
    assert ours['meta']['activations'] == theirs['meta']['activations'] == {'tokens': CAL_SEQS * CAL_LEN, 'scores': 'full'}
    for a, b in zip(ours['weights'], theirs['weights']):
        assert a['exact'] == b['exact'], f"per-tensor FP8 counts at {a['budget']}"
        assert sum(a['histogram']) == a['k']
        for h, e, s in zip(a['histogram'], a['exact'], a['slack']):
            assert abs(h - e) <= s  # the format's stated histogram bound
    for a, b in zip(ours['activations'], theirs['activations']):
        # Activation scores come from float32 activations of two engines (about 1e-6 apart): τ and the realised
        # shares agree closely, not bit for bit.
        assert abs(a['share'] - b['share']) < 2e-3, a['budget']
        assert abs(a['tau'] - b['tau']) <= 0.02 * abs(b['tau']), a['budget']


def test_fgmp_run_profile_gives_the_same_layer_shares_on_both_profiles(ts_cli_profile, torch_profiles):
    torch_file, ts_file = torch_profiles[1][0], ts_cli_profile  # the TS profile by `fgmp profile`
    meta_t, meta_s = st.read_header(torch_file)[0]['__metadata__'], st.read_header(ts_file)[0]['__metadata__']
    for key in ('fgmp.model', 'fgmp.tensors', 'fgmp.quantization', 'fgmp.policies', 'fgmp.activations'):
        assert json.loads(meta_t[key]) == json.loads(meta_s[key]), key
    cal_t, cal_s = json.loads(meta_t['fgmp.calibration']), json.loads(meta_s['fgmp.calibration'])
    assert cal_t['textSha256'] == cal_s['textSha256'] and cal_t['tokens'] == cal_s['tokens']
    for b in (0.05, 0.3):  # every budget's per-tensor counts are compared through the TS reader above
        ours = run_fgmp('run', '--profile', torch_file, '--budget', str(b), '--act-budget', str(b))
        theirs = run_fgmp('run', '--profile', ts_file, '--budget', str(b), '--act-budget', str(b))
        assert [(x['layer'], x['proj'], x['fp8Share']) for x in ours['layers']] == [(x['layer'], x['proj'], x['fp8Share']) for x in theirs['layers']]
        assert ours['weightBitsPerWeight'] == theirs['weightBitsPerWeight'] and ours['fp8Share'] == theirs['fp8Share']
        for x, y in zip(ours['layers'], theirs['layers']):  # realised activation shares: float32 activations of two engines
            assert abs(x['actFp8Share'] - y['actFp8Share']) < 0.01, (b, x, y)


def test_sweep_ppl_equals_fgmp_run_on_the_model(torch_profiles):
    from_profile = run_fgmp('run', '--profile', torch_profiles[1][0], '--budget', '0.1')
    live = run_fgmp('run', MODEL, '--tokenizer', TOK512, '--calib', TRAIN_TEXT, '--calib-tokens', str(CAL_SEQS * CAL_LEN), '--seq-len', str(CAL_LEN),
                    '--eval', VALID_TEXT, '--eval-tokens', '1024', '--budget', '0.1')
    assert from_profile['ppl'] is not None
    assert abs(from_profile['ppl'] - live['ppl']) <= 1e-5 * live['ppl']
    assert [x['fp8Share'] for x in from_profile['layers']] == [x['fp8Share'] for x in live['layers']]


def test_histogram_only_activation_profile_opens_and_answers(tmp_path):
    need_shared()
    from conftest import run_profile_cli  # noqa: PLC0415
    path = str(tmp_path / 'hist.safetensors')
    r = run_profile_cli('profile', MODEL, '--tokenizer', TOK512, '--calib', TRAIN_TEXT, '--calib-tokens', '512', '--seq-len', '128',
                        '--act-scores', 'histogram', '--out', path, '--json', '--threads', '1')
    assert r.returncode == 0, r.stderr[-4000:]
    tensors, meta = st.read_all(path)
    assert json.loads(meta['fgmp.activations']) == {'tokens': 512, 'scores': 'histogram'}
    assert not any(n.endswith('.scores') and n.startswith('act.') for n in tensors)
    hist = tensors['act.hist']
    bpr = [(c + 15) // 16 for c in [64] * 4 + [64, 64, 172]] * 5  # rows of act.hist total M · bpr of each site
    assert hist.sum(dim=1).tolist() == [512 * b for b in bpr]
    check = _check(path)
    for a in check['activations']:
        assert abs(a['share'] - a['budget']) < 0.02  # histogram answers: within a bin of the request


def test_cli_errors_are_one_line_and_exit_2(tmp_path):
    need_shared()
    from conftest import run_profile_cli  # noqa: PLC0415
    out = str(tmp_path / 'x.safetensors')
    short = tmp_path / 'short.txt'
    short.write_text('Once upon a time.\n')
    r = run_profile_cli('profile', MODEL, '--tokenizer', TOK512, '--calib', str(short), '--out', out)
    assert r.returncode == 2 and 'gives only 0 sequences of 256 tokens' in r.stderr and 'Traceback' not in r.stderr
    r = run_profile_cli('profile', MODEL, '--tokenizer', TOK512, '--calib', TRAIN_TEXT, '--seq-len', '1024', '--out', out)
    assert r.returncode != 0 and "exceeds the model's context 512" in r.stderr
    r = run_profile_cli('profile', MODEL, '--calib', TRAIN_TEXT, '--out', out)
    assert r.returncode != 0 and 'needs --tokenizer' in r.stderr
    assert not os.path.exists(out)

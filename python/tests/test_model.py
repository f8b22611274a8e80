"""The built-in torch Llama and the llama2.c tokenizer against run.c's golden outputs (../shared/data/golden)."""
from __future__ import annotations

import os

import pytest

torch = pytest.importorskip('torch', reason='torch is not installed (Debian python3-torch)')

from conftest import MODEL, SHARED, TOK512, need_shared  # noqa: E402
from fgmp_torch.loaders import hf_row_order, load_model, unpermute_hf_rows  # noqa: E402
from fgmp_torch.tokenizer import Llama2cTokenizer  # noqa: E402


def golden(name: str) -> str:
    return open(os.path.join(SHARED, 'golden', name)).read()


def test_tokenizer_encodes_as_run_c():
    need_shared()
    tok = Llama2cTokenizer.from_file(TOK512, 512)
    data = open(os.path.join(SHARED, 'text', 'tinystories_valid_head.txt'), 'rb').read()[:32768]
    text = data[: data.rfind(b'\n') + 1].decode('utf-8')
    ids = tok.encode(text)
    gold = [int(x) for x in golden('tinystories_valid_head-first4096-tok512.txt').split()]
    assert len(ids) == 15732  # PROVENANCE.md: run.c's encode gives 15,732 tokens for this input
    assert ids[:4096] == gold
    assert tok.decode([1] + ids[:4096]) == data[:8494].decode('utf-8')


def test_tokenizer_segmentation_equals_the_whole_sequence_merge():
    need_shared()
    tok = Llama2cTokenizer.from_file(TOK512, 512)
    text = 'Once upon a time, there was a little girl named Lily.  She  loved\n\nto play — outside! 😀'
    fast = tok.encode(text)
    tok.segment_at_spaces = False  # run.c's loop over the whole sequence
    assert tok.encode(text) == fast


def test_forward_matches_run_c_logits_and_nll():
    need_shared()
    model, kind = load_model(MODEL)
    assert kind == 'llama2c'
    toks = [int(x) for x in golden('stories260K-greedy-tokens.txt').split()]
    with torch.no_grad():
        logits = model(torch.tensor([toks]))[0].double()
    gold = torch.frombuffer(bytearray(open(os.path.join(SHARED, 'golden', 'stories260K-greedy-logits-first8.f32'), 'rb').read()), dtype=torch.float32)
    gold = gold.reshape(8, 512).double()
    assert ((logits[:8] - gold).abs().max() / gold.abs().max()).item() < 1e-4
    nll = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(toks[1:])).item()
    assert abs(nll - 0.487963) < 1e-4  # golden/stories260K-nll.txt, greedy sequence


def test_hf_row_permutation_inverts_the_converter():
    # HF's converter: hf[h·hs + j·hs/2 + i] = meta[h·hs + 2i + j]; unpermute must undo it.
    heads, hs, cols = 3, 8, 5
    meta = torch.arange(heads * hs * cols, dtype=torch.float32).reshape(heads * hs, cols)
    hf = torch.empty_like(meta)
    for h in range(heads):
        for i in range(hs // 2):
            for j in range(2):
                hf[h * hs + j * hs // 2 + i] = meta[h * hs + 2 * i + j]
    assert torch.equal(unpermute_hf_rows(hf, heads), meta)
    assert torch.equal(hf[hf_row_order(heads * hs, heads)], meta)

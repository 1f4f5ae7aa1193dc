"""Every fast path is exact: unpadded execution, the sparse MLM head, the small-row linear."""

from __future__ import annotations

import pytest
import torch

import roberta
from roberta.modeling import layout as layout_module
from roberta.modeling import linear as linear_module
from roberta.modeling.layout import plan, split_rows
from roberta.modeling.linear import linear
from roberta_testing import TINY, assert_close, batch, onednn_calls


@pytest.fixture(scope="module")
def mlm_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlm")
    torch.manual_seed(0)
    roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).save_pretrained(d)
    return d


def test_unpadded_is_the_default_and_equals_sdpa(mlm_dir):
    fast = roberta.RobertaForMaskedLM.from_pretrained(mlm_dir)
    assert fast.roberta.attn_implementation == "unpadded"
    padded = roberta.RobertaForMaskedLM.from_pretrained(mlm_dir, attn_implementation="sdpa")
    for side in ("left", "right"):
        ids, mask = batch(side, b=3, t=20)
        with torch.no_grad():
            a = fast(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            b = padded(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        assert_close(a.logits, b.logits, mask, side)
        assert_close(a.hidden_states, b.hidden_states, mask, side)
        pads = (mask == 0) & (torch.arange(20) > 0)
        assert a.logits[pads].abs().max() == 0  # padded positions are not computed
        assert a.hidden_states[-1][:, 0].abs().min() > 0  # position 0 always is (pooler / <s> heads)


def test_layout_plan():
    mask = torch.tensor([[1, 1, 1, 0], [0, 0, 1, 1]])
    layout = plan(mask, 2, 4, bias=None, compact=False)
    assert layout.packed and layout.index.tolist() == [0, 1, 2, 4, 6, 7]  # real tokens plus position 0 of every row
    x = torch.arange(8.0).view(2, 4, 1)
    assert layout.pack(x).flatten().tolist() == [0, 1, 2, 4, 6, 7]
    assert layout.unpack(layout.pack(x)).flatten().tolist() == [0, 1, 2, 0, 4, 0, 6, 7]
    assert not plan(torch.ones(2, 4), 2, 4, bias=None, compact=False).packed  # nothing to drop
    assert not plan(mask, 2, 4, bias=None, compact=False, keep=torch.ones(2, 4)).packed
    compact = plan(mask, 2, 4, bias=None, compact=True)
    assert [g.length for g in compact.groups] == [3]  # both rows fit in 3 slots: cut to the longest


def test_sparse_mlm_head_gives_the_same_loss_and_gradients(mlm_dir):
    """The sparse LM head is an opt-in (roberta pretrain's): by default training logits keep the reference's
    shape (batch, seq, vocab)."""
    model = roberta.RobertaForMaskedLM.from_pretrained(mlm_dir).train()
    for m in model.modules():  # no dropout, so both passes see the same network
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    ids, mask = batch("right", t=16)
    labels = torch.full_like(ids, -100)
    labels[:, 2:9:3] = ids[:, 2:9:3]
    sparse = model(input_ids=ids, attention_mask=mask, labels=labels, sparse_logits=True)
    assert sparse.logits.shape == (int((labels != -100).sum()), 99)
    sparse.loss.backward()
    g_sparse = model.lm_head.dense.weight.grad.clone()
    model.zero_grad()
    dense = model(input_ids=ids, attention_mask=mask, labels=labels)
    assert dense.logits.shape == (3, 16, 99)
    dense.loss.backward()
    assert abs(sparse.loss.item() - dense.loss.item()) < 1e-5
    assert torch.allclose(g_sparse, model.lm_head.dense.weight.grad, atol=1e-6)
    with pytest.raises(ValueError, match="needs labels"):
        model(input_ids=ids, sparse_logits=True)


def test_labels_on_padding_still_count_like_the_reference(mlm_dir):
    """A loss over padded positions (labels not -100 there) uses real outputs there, as the padded pass does."""
    fast = roberta.RobertaForMaskedLM.from_pretrained(mlm_dir)
    padded = roberta.RobertaForMaskedLM.from_pretrained(mlm_dir, attn_implementation="sdpa")
    ids, mask = batch("right", t=16)
    with torch.no_grad():
        a = fast(input_ids=ids, attention_mask=mask, labels=ids).loss
        b = padded(input_ids=ids, attention_mask=mask, labels=ids).loss
    assert abs(a.item() - b.item()) < 1e-5


@pytest.mark.parametrize("shape", [(1, 64), (2, 20, 64), (129, 64), (2, 700, 64), (0, 64)])
def test_inference_linear_is_exact(shape, monkeypatch):
    """fp32 inference of a plain nn.Linear runs through oneDNN; the result equals the module's own and is
    contiguous (so attention gets SDPA's fused kernel); with gradients on, the module's product runs."""
    calls = onednn_calls(monkeypatch)
    lin = torch.nn.Linear(64, 96)
    x = torch.randn(*shape)
    with torch.no_grad():
        out = linear(lin, x)
        assert torch.allclose(out, lin(x), atol=1e-5) and out.is_contiguous()
    expected = linear_module._ONEDNN
    assert len(calls) == int(expected)
    out = linear(lin, x)
    assert out.requires_grad and len(calls) == int(expected)  # no oneDNN call with gradients on


def test_inference_linear_leaves_autocast_and_disabled_onednn_to_torch(monkeypatch):
    calls = onednn_calls(monkeypatch)
    lin, x = torch.nn.Linear(64, 96), torch.randn(4, 64)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert linear(lin, x).dtype == torch.bfloat16  # as nn.Linear under autocast
    with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
        linear(lin, x)
    assert calls == []
    lin.requires_grad_(False)
    assert not linear(lin, x).requires_grad and calls == [(4, False)]  # nothing needs a gradient: oneDNN


def test_replaced_or_hooked_linears_are_called_as_they_are(monkeypatch):
    """A module that is not a plain nn.Linear, or one with a hook, is called, never bypassed."""
    calls = onednn_calls(monkeypatch)
    seen = []
    lin, x = torch.nn.Linear(8, 4), torch.randn(3, 8)
    lin.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    with torch.no_grad():
        linear(lin, x)
        linear(torch.nn.Sequential(torch.nn.Linear(8, 4)), x)
    assert seen == [torch.Size([3, 4])] and calls == []


def test_linear_shape_error_is_torchs():
    with torch.no_grad(), pytest.raises(RuntimeError, match="cannot be multiplied"):
        linear(torch.nn.Linear(8, 4), torch.randn(3, 7))


@pytest.mark.parametrize("side", ["left", "right"])
def test_length_groups_on_a_large_mixed_batch(mlm_dir, side, monkeypatch):
    """40 rows of lengths 2..30 land in several groups; real tokens (and position 0) match the padded pass."""
    monkeypatch.setattr(layout_module, "GROUP_COST", 100)  # rows this short share one group at the default cost
    fast = roberta.RobertaForSequenceClassification.from_pretrained(mlm_dir)
    padded = roberta.RobertaForSequenceClassification.from_pretrained(mlm_dir, attn_implementation="sdpa")
    padded.load_state_dict(fast.state_dict())  # the classifier is freshly initialised in each
    g = torch.Generator().manual_seed(3)
    lengths = torch.randint(2, 31, (40,), generator=g)
    ids = torch.full((40, 30), 1)
    mask = torch.zeros_like(ids)
    for i, n in enumerate(lengths.tolist()):
        cols = slice(0, n) if side == "right" else slice(30 - n, 30)
        ids[i, cols] = torch.randint(3, 99, (n,), generator=g)
        mask[i, cols] = 1
    layout = plan(mask, 40, 30, bias=torch.zeros(()), compact=True)
    assert len(layout.groups) >= 3 and sum(g.rows for g in layout.groups) == 40
    assert sum(g.tokens.numel() for g in layout.groups) == layout.index.numel()
    assert sum(g.rows * g.length for g in layout.groups) < 40 * 30
    with torch.no_grad():
        a = fast(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        b = padded(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert_close(a.hidden_states, b.hidden_states, mask, side)
    assert_close(a.logits, b.logits)  # reads position 0, a pad token in left-padded rows


def _group_cost(lengths, ends):
    starts = [0, *ends[:-1]]
    return sum(layout_module.GROUP_COST + (e - b) * lengths[e - 1] ** 2 for b, e in zip(starts, ends))


def test_split_rows_is_the_cheapest_split():
    """Against every way of cutting short sorted lists (2^(n-1) of them)."""
    g = torch.Generator().manual_seed(0)
    for n in range(1, 9):
        for _ in range(10):
            lengths = sorted(torch.randint(1, 200, (n,), generator=g).tolist())
            ends = split_rows(lengths)
            assert ends[-1] == n and ends == sorted(set(ends))
            every = (
                [e for e, bit in zip(range(1, n), f"{mask:0{n - 1}b}" if n > 1 else "") if bit == "1"] + [n]
                for mask in range(2 ** (n - 1))
            )
            assert _group_cost(lengths, ends) == min(_group_cost(lengths, cut) for cut in every)


def test_split_rows_keeps_equal_rows_together_and_a_long_row_apart():
    assert split_rows([20] * 10) == [10]
    ends = split_rows([20] * 100)
    assert len(ends) == 2 and max(b - a for a, b in zip([0, *ends], ends)) <= layout_module.MAX_ROWS_PER_GROUP
    assert split_rows([10] * 12 + [250]) == [12, 13]
    assert split_rows([]) == []

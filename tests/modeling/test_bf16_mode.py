"""The bf16 mode of `from_pretrained(..., dtype=torch.bfloat16)`: bf16 products, an fp32 residual stream, fp32
norms, bf16 answers; its drift against fp32 is no worse than the reference's own `model.to(torch.bfloat16)`."""

from __future__ import annotations

import logging

import pytest
import torch
import torch.nn.functional as F

import roberta
from roberta.modeling import linear as linear_module
from roberta.modeling import precision
from roberta_testing import batch, make_reference

SIZE = dict(hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=128)


@pytest.fixture(scope="module")
def ref_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bf16")
    torch.manual_seed(0)
    make_reference("RobertaForMaskedLM", d, **SIZE)
    return d


def _inputs():
    torch.manual_seed(1)
    ids, mask = batch("right", b=3, t=40)
    return torch.cat([ids, ids.flip(1)]), torch.cat([mask, mask])


def _drift(got: torch.Tensor, want: torch.Tensor, mask: torch.Tensor) -> float:
    return (got.float() - want)[mask.bool()].abs().max().item()


def test_drift_no_worse_than_the_references_bf16(ref_dir):
    """bf16 keeps 8 bits of mantissa: every rounding costs up to 2^-9 relative. The reference's
    `model.to(torch.bfloat16)` rounds after every op of the stream; ours only rounds each product's input and
    output and the final answer, so on the same weights its drift must not be larger (and not zero: the
    products really ran in bf16)."""
    import transformers

    ids, mask = _inputs()
    ref = transformers.RobertaModel.from_pretrained(ref_dir, add_pooling_layer=False, attn_implementation="sdpa")
    with torch.no_grad():
        want = ref(input_ids=ids, attention_mask=mask).last_hidden_state
        theirs = ref.to(torch.bfloat16)(input_ids=ids, attention_mask=mask).last_hidden_state
        ours = roberta.RobertaModel.from_pretrained(ref_dir, add_pooling_layer=False, dtype=torch.bfloat16)
        got = ours(input_ids=ids, attention_mask=mask).last_hidden_state
    assert got.dtype == theirs.dtype == torch.bfloat16  # the reference's answer dtype
    ours_drift, their_drift = _drift(got, want, mask), _drift(theirs, want, mask)
    assert 0 < ours_drift <= their_drift, (ours_drift, their_drift)


def test_weights_bf16_norms_fp32_and_the_alias(ref_dir):
    a = roberta.RobertaForMaskedLM.from_pretrained(ref_dir, dtype=torch.bfloat16)
    b = roberta.RobertaForMaskedLM.from_pretrained(ref_dir, torch_dtype=torch.bfloat16)
    assert a.dtype == torch.bfloat16
    for name, p in a.named_parameters():
        assert p.dtype == (torch.float32 if "LayerNorm" in name or "layer_norm" in name else torch.bfloat16), name
    ids, mask = _inputs()
    with torch.no_grad():
        x = a(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        y = b(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert x.logits.dtype == torch.bfloat16 and all(h.dtype == torch.bfloat16 for h in x.hidden_states)
    assert torch.equal(x.logits, y.logits)
    pads = (mask == 0) & (torch.arange(ids.size(1)) > 0)
    assert x.hidden_states[-1][pads].abs().max() == 0  # the unpadded layout: padding is not computed


def test_the_stream_is_fp32_between_products(ref_dir):
    model = roberta.RobertaModel.from_pretrained(ref_dir, add_pooling_layer=False, dtype=torch.bfloat16)
    seen = []
    model.encoder.layer[1].output.LayerNorm.register_forward_pre_hook(lambda m, args: seen.append(args[0].dtype))
    ids, mask = _inputs()
    with torch.no_grad():
        model(input_ids=ids, attention_mask=mask)
    assert seen == [torch.float32]


def test_bf16_products_take_onednn_where_the_cpu_has_bf16(ref_dir, monkeypatch):
    """Which kernel runs is the CPU's business; the routing is ours: with bf16 kernels every product of a
    bf16-mode inference pass goes to oneDNN, without them to F.linear (what this CPU does is the same
    arithmetic, so the spy computes it with F.linear)."""
    model = roberta.RobertaModel.from_pretrained(ref_dir, add_pooling_layer=False, dtype=torch.bfloat16)
    ids, mask = _inputs()
    calls = []

    def spy(x, w, b):
        calls.append((x.dtype, w.dtype))
        return F.linear(x, w, b)

    monkeypatch.setattr(linear_module, "_onednn", spy)
    for has, expected in ((False, 0), (True, 6 * SIZE["num_hidden_layers"])):
        calls.clear()
        monkeypatch.setattr(linear_module, "_bf16_cpu", lambda has=has: has)
        with torch.no_grad():
            model(input_ids=ids, attention_mask=mask)
        assert len(calls) == expected and set(calls) <= {(torch.bfloat16, torch.bfloat16)}


def test_kernel_family_is_said_once(ref_dir, monkeypatch, caplog):
    monkeypatch.setattr(precision, "_said", [])
    with caplog.at_level(logging.INFO, logger="roberta.modeling.precision"):
        for _ in range(2):
            roberta.RobertaModel.from_pretrained(ref_dir, dtype=torch.bfloat16)
        roberta.RobertaModel.from_pretrained(ref_dir)  # fp32 says nothing
    said = [r.getMessage() for r in caplog.records if r.name == "roberta.modeling.precision"]
    assert said == [precision.kernel_family()]
    assert torch.backends.cpu.get_cpu_capability() in said[0]


def test_hooked_modules_and_training_in_the_bf16_mode(ref_dir):
    model = roberta.RobertaForMaskedLM.from_pretrained(ref_dir, dtype=torch.bfloat16)
    ids, mask = _inputs()
    with torch.no_grad():
        plain = model(input_ids=ids, attention_mask=mask).logits
    seen = []
    query = model.roberta.encoder.layer[0].attention.self.query
    handle = query.register_forward_hook(lambda m, args, out: seen.append(args[0].dtype))
    with torch.no_grad():
        hooked = model(input_ids=ids, attention_mask=mask).logits
    handle.remove()
    assert seen == [torch.bfloat16]  # a module called as it is gets its weight's dtype
    torch.testing.assert_close(hooked, plain, atol=2e-2, rtol=0)
    model.train()
    out = model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100))
    out.loss.backward()
    assert query.weight.grad is not None and query.weight.grad.dtype == torch.bfloat16


def test_to_bfloat16_keeps_the_references_meaning(ref_dir):
    """`model.to(torch.bfloat16)` makes everything bf16, the norms and the stream too (no fp32 stream)."""
    model = roberta.RobertaModel.from_pretrained(ref_dir, add_pooling_layer=False).to(torch.bfloat16)
    seen = []
    model.encoder.layer[0].output.LayerNorm.register_forward_pre_hook(lambda m, args: seen.append(args[0].dtype))
    ids, mask = _inputs()
    with torch.no_grad():
        assert model(input_ids=ids, attention_mask=mask).last_hidden_state.dtype == torch.bfloat16
    assert seen == [torch.bfloat16]

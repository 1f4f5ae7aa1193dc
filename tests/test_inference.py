"""Opt-in inference modes: int8 quantization stays close; prepacked linears and compiled mode are exact."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

import roberta
from roberta.inference import compile_model, is_prepacked, prepack_linears, quantize_int8, unpack_linears
from roberta.modeling.linear import can_prepack, packed_of
from roberta_testing import TINY, batch, onednn_calls

needs_onednn = pytest.mark.skipif(not can_prepack(), reason="PyTorch built without oneDNN")


def test_int8_quantization_stays_close():
    torch.manual_seed(0)
    model = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**{**TINY, "hidden_size": 64})).eval()
    ids, mask = batch("right", t=16)
    with torch.no_grad():
        before = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        quantize_int8(model)
        after = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert "quantized.dynamic" in type(model.roberta.encoder.layer[0].attention.self.query).__module__
    assert type(model.lm_head.decoder) is torch.nn.Linear  # tied vocabulary projection stays float
    real = mask.bool()
    cos = torch.nn.functional.cosine_similarity(before.hidden_states[-1][real], after.hidden_states[-1][real], dim=-1)
    assert cos.min() > 0.99
    assert not torch.equal(before.logits, after.logits)  # it really changed the arithmetic


def test_compiled_mode_is_exact():
    torch.manual_seed(0)
    model = roberta.RobertaModel(roberta.RobertaConfig(**TINY)).eval()
    ids, mask = batch("right", t=10)
    with torch.no_grad():
        eager = model(input_ids=ids, attention_mask=mask).last_hidden_state
        compile_model(model)
        compiled = model(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    assert (eager[real] - compiled[real]).abs().max() < 1e-4


@needs_onednn
def test_prepacked_linears_are_exact_and_leave_the_state_dict_alone(monkeypatch, tmp_path):
    torch.manual_seed(0)
    model = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).eval()
    model.save_pretrained(tmp_path / "before")
    keys = set(model.state_dict())
    inputs = [batch("right", t=16), batch("left", b=2, t=20), (torch.randint(3, 99, (3, 60)), None)]
    with torch.no_grad():
        want = [model(input_ids=i, attention_mask=m).logits for i, m in inputs]
        prepack_linears(model)
        calls = onednn_calls(monkeypatch)
        got = [model(input_ids=i, attention_mask=m).logits for i, m in inputs]
    for (ids, mask), a, b in zip(inputs, want, got):
        real = mask.bool() if mask is not None else torch.ones_like(ids, dtype=torch.bool)
        assert (a[real] - b[real]).abs().max() < 1e-4
    assert calls and all(packed for _, packed in calls) and (180, True) in calls  # 3 x 60 rows too
    assert set(model.state_dict()) == keys
    model.save_pretrained(tmp_path / "after")
    after, before = (load_file(tmp_path / f"{d}/model.safetensors") for d in ("after", "before"))
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in after)
    unpack_linears(model)
    assert not is_prepacked(model)


@needs_onednn
def test_prepacked_weight_follows_in_place_changes_and_training_uses_the_parameter():
    torch.manual_seed(0)
    model = roberta.RobertaModel(roberta.RobertaConfig(**TINY)).eval()
    prepack_linears(model)
    ids = torch.randint(3, 99, (1, 10))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)  # e.g. an optimizer step or load_state_dict after prepacking
        packed = model(input_ids=ids).last_hidden_state
        unpack_linears(model)
        plain = model(input_ids=ids).last_hidden_state
    assert (packed - plain).abs().max() < 1e-4
    prepack_linears(model)
    model.train()
    model(input_ids=ids).last_hidden_state.sum().backward()  # no backward through the oneDNN op is needed
    assert model.encoder.layer[0].attention.self.query.weight.grad is not None


@needs_onednn
def test_prepacking_needs_fp32_cpu_weights():
    model = roberta.RobertaModel(roberta.RobertaConfig(**TINY)).half()
    with pytest.raises(ValueError, match="fp32 weights on the CPU"):
        prepack_linears(model)
    assert not is_prepacked(model)
    mixed = roberta.RobertaModel(roberta.RobertaConfig(**TINY))
    mixed.encoder.layer[
        -1
    ].output.dense.half()  # only the last linear is unfit: the earlier ones must stay unpacked too
    with pytest.raises(ValueError, match="fp32 weights on the CPU"):
        prepack_linears(mixed)
    assert not is_prepacked(mixed)  # nothing half-done


@needs_onednn
def test_compiled_mode_with_prepacked_linears_is_exact():
    torch.manual_seed(0)
    model = roberta.RobertaModel(roberta.RobertaConfig(**TINY)).eval()
    ids = torch.randint(3, 99, (1, 16))
    with torch.no_grad():
        eager = model(input_ids=ids).last_hidden_state
        compile_model(model)
        compiled = model(input_ids=ids).last_hidden_state
    assert packed_of(model.encoder.layer[0].attention.self.query) is not None
    assert (eager - compiled).abs().max() < 1e-4

"""Opt-in inference modes: int8 quantization stays close, compiled mode is exact."""

from __future__ import annotations

import torch

import roberta
from roberta.inference import compile_model, quantize_int8
from roberta_testing import TINY, batch


def test_int8_quantization_stays_close():
    torch.manual_seed(0)
    model = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**{**TINY, "hidden_size": 64})).eval()
    ids, mask = batch("right", t=16)
    with torch.no_grad():
        before = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        quantize_int8(model)
        after = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert "quantized.dynamic" in type(model.roberta.layers[0].attn.qkv).__module__
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

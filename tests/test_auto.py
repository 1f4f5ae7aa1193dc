"""Auto classes pick the RoBERTa class for a checkpoint."""

from __future__ import annotations

import shutil

import pytest
import torch

import roberta
from roberta import registry
from roberta_testing import TINY, make_reference

AUTOS = {registry.auto_name(row): registry.class_name(row) for row in registry.HEADS}  # AutoModel: RobertaModel, ...


@pytest.mark.parametrize("auto,cls", list(AUTOS.items()))
def test_auto_model_classes(tmp_path, auto, cls):
    make_reference(cls, tmp_path)
    model = getattr(roberta, auto).from_pretrained(tmp_path)
    assert type(model).__name__ == cls
    fresh = getattr(roberta, auto).from_config(roberta.RobertaConfig(**TINY))
    assert type(fresh).__name__ == cls and fresh.training
    with pytest.raises(TypeError, match="from_pretrained"):
        getattr(roberta, auto)()


def test_auto_config_and_tokenizer(tmp_path, roberta_base_dir):
    for name in ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "config.json"):
        shutil.copy(roberta_base_dir / name, tmp_path / name)
    assert isinstance(roberta.AutoConfig.from_pretrained(tmp_path), roberta.RobertaConfig)
    assert roberta.AutoConfig.for_model("roberta", hidden_size=64, num_attention_heads=4).hidden_size == 64
    fast = roberta.AutoTokenizer.from_pretrained(tmp_path)
    slow = roberta.AutoTokenizer.from_pretrained(tmp_path, use_fast=False)
    assert isinstance(fast, roberta.RobertaTokenizerFast) and isinstance(slow, roberta.RobertaTokenizer)
    assert fast("Hello world")["input_ids"] == slow("Hello world")["input_ids"] == [0, 31414, 232, 2]
    assert fast.model_max_length == 512
    with pytest.raises(ValueError, match="only 'roberta'"):
        roberta.AutoConfig.for_model("bert")


def test_auto_from_config_keeps_attn_implementation():
    model = roberta.AutoModelForMaskedLM.from_config(roberta.RobertaConfig(**TINY), attn_implementation="eager")
    out = model.eval()(input_ids=torch.tensor([[0, 5, 2]]), output_attentions=True)
    assert out.attentions[0].shape == (1, 4, 3, 3)

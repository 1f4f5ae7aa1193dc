"""TFAuto* classes pick the TF class for a checkpoint, as `Auto*` do for PyTorch."""

from __future__ import annotations

import pytest

import roberta
from roberta import registry
from roberta_testing import HEADS, TINY, make_reference

TF = registry.framework("tf")
AUTOS = {registry.class_name(row): registry.auto_name(row, TF) for row in registry.HEADS}  # RobertaModel: TFAutoModel


@pytest.mark.parametrize("head", HEADS)
def test_tf_auto_classes(tmp_path, head):
    auto = getattr(roberta, AUTOS[head])
    make_reference("RobertaForMaskedLM", tmp_path)  # any RoBERTa checkpoint: heads it lacks start fresh
    assert type(auto.from_pretrained(tmp_path)).__name__ == "TF" + head
    assert type(auto.from_config(roberta.RobertaConfig(**TINY))).__name__ == "TF" + head
    with pytest.raises(TypeError, match="from_pretrained"):
        auto()


def test_tf_auto_rejects_other_model_types(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ValueError, match="holds a 'bert' model"):
        roberta.TFAutoModel.from_pretrained(tmp_path)

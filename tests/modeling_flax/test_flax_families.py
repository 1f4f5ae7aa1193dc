"""XLM-RoBERTa in Flax (the reference has no Flax CamemBERT, and neither has roberta): the FlaxAuto classes
choose every head's XLM-RoBERTa class and refuse a CamemBERT checkpoint, and the masked LM matches the
reference's Flax class on the same weights, with saves loading both ways."""

from __future__ import annotations

import numpy as np
import pytest
import transformers

import roberta
from roberta import registry
from roberta_testing import TINY, make_reference

FLAX = registry.framework("flax")
XLMR, CAMEMBERT = registry.family("xlm-roberta"), registry.family("camembert")
TOL = 1e-5


def test_flax_auto_classes_choose_xlm_roberta_and_refuse_camembert(tmp_path):
    for row in registry.HEADS:
        auto = getattr(roberta, registry.auto_name(row, FLAX))
        cls = auto.model_class(XLMR)
        assert cls.__name__ == registry.class_name(row, XLMR, FLAX) and cls is getattr(roberta, cls.__name__)
        assert cls.config_class is roberta.XLMRobertaConfig
        with pytest.raises(ValueError, match="cannot load a 'camembert' model: .* no 'flax' classes .*'pt', 'tf'"):
            auto.model_class(CAMEMBERT)
    (tmp_path / "config.json").write_text(roberta.CamembertConfig(**TINY).to_json_string())
    with pytest.raises(ValueError, match="FlaxAutoModel cannot load a 'camembert' model"):
        roberta.FlaxAutoModel.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="camembert"):  # the reference refuses it too
        transformers.FlaxAutoModel.from_config(transformers.CamembertConfig(**TINY))


def test_flax_masked_lm_matches_the_reference_both_ways(tmp_path):
    make_reference("XLMRobertaForMaskedLM", tmp_path / "pt")
    ours = roberta.FlaxAutoModelForMaskedLM.from_pretrained(tmp_path / "pt")
    assert type(ours) is roberta.FlaxXLMRobertaForMaskedLM and type(ours.config) is roberta.XLMRobertaConfig
    ref = transformers.FlaxXLMRobertaForMaskedLM.from_pretrained(tmp_path / "pt", from_pt=True)
    rng = np.random.default_rng(0)
    ids = rng.integers(3, TINY["vocab_size"], (2, 10)).astype(np.int32)
    ids[:, 0] = 0
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    want = np.asarray(ref(ids, attention_mask=mask).logits)
    real = mask.astype(bool)
    assert np.abs(np.asarray(ours(ids, mask).logits) - want)[real].max() <= TOL
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.FlaxAutoModelForMaskedLM.from_pretrained(tmp_path / "ours")
    assert type(back) is transformers.FlaxXLMRobertaForMaskedLM
    assert np.abs(np.asarray(back(ids, attention_mask=mask).logits) - want)[real].max() <= TOL

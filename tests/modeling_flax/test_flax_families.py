"""XLM-RoBERTa and CamemBERT in Flax: the FlaxAuto classes choose every head's class of the checkpoint's family,
XLM-RoBERTa's masked LM matches the reference's Flax class on the same weights with saves loading both ways, and
CamemBERT (which transformers 4.56.2 has no Flax classes for) matches the reference's PyTorch CamemBERT."""

from __future__ import annotations

import numpy as np
import torch
import transformers

import roberta
from roberta import registry
from roberta_testing import TINY, make_reference

FLAX = registry.framework("flax")
XLMR, CAMEMBERT = registry.family("xlm-roberta"), registry.family("camembert")
TOL = 1e-5


def test_flax_auto_classes_choose_the_checkpoint_s_family():
    for fam in (XLMR, CAMEMBERT):
        for row in registry.HEADS:
            auto = getattr(roberta, registry.auto_name(row, FLAX))
            cls = auto.model_class(fam)
            assert cls.__name__ == registry.class_name(row, fam, FLAX) and cls is getattr(roberta, cls.__name__)
            assert cls.config_class is getattr(roberta, fam.config_class_name)


def _inputs():
    rng = np.random.default_rng(0)
    ids = rng.integers(3, TINY["vocab_size"], (2, 10)).astype(np.int32)
    ids[:, 0] = 0
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    return ids, mask


def test_flax_camembert_matches_the_reference_s_pytorch_camembert(tmp_path):
    ref = make_reference("CamembertForSequenceClassification", tmp_path / "pt")
    ours = roberta.FlaxAutoModelForSequenceClassification.from_pretrained(tmp_path / "pt")
    assert type(ours) is roberta.FlaxCamembertForSequenceClassification
    assert type(ours.config) is roberta.CamembertConfig
    ids, mask = _inputs()
    with torch.no_grad():
        want = ref(torch.from_numpy(ids).long(), attention_mask=torch.from_numpy(mask)).logits.numpy()
    assert np.abs(np.asarray(ours(ids, mask).logits) - want).max() <= TOL
    ours.save_pretrained(tmp_path / "ours")  # the reference's Flax layout: its FlaxRoberta class reads it
    back = transformers.FlaxRobertaForSequenceClassification.from_pretrained(tmp_path / "ours")
    assert np.abs(np.asarray(back(ids, attention_mask=mask).logits) - want).max() <= TOL
    again = roberta.CamembertForSequenceClassification.from_pretrained(tmp_path / "ours", from_flax=True).eval()
    with torch.no_grad():
        got = again(torch.from_numpy(ids).long(), attention_mask=torch.from_numpy(mask)).logits.numpy()
    assert np.abs(got - want).max() <= TOL


def test_flax_masked_lm_matches_the_reference_both_ways(tmp_path):
    make_reference("XLMRobertaForMaskedLM", tmp_path / "pt")
    ours = roberta.FlaxAutoModelForMaskedLM.from_pretrained(tmp_path / "pt")
    assert type(ours) is roberta.FlaxXLMRobertaForMaskedLM and type(ours.config) is roberta.XLMRobertaConfig
    ref = transformers.FlaxXLMRobertaForMaskedLM.from_pretrained(tmp_path / "pt", from_pt=True)
    ids, mask = _inputs()
    want = np.asarray(ref(ids, attention_mask=mask).logits)
    real = mask.astype(bool)
    assert np.abs(np.asarray(ours(ids, mask).logits) - want)[real].max() <= TOL
    ours.save_pretrained(tmp_path / "ours")
    back = transformers.FlaxAutoModelForMaskedLM.from_pretrained(tmp_path / "ours")
    assert type(back) is transformers.FlaxXLMRobertaForMaskedLM
    assert np.abs(np.asarray(back(ids, attention_mask=mask).logits) - want)[real].max() <= TOL

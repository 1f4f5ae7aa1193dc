"""XLM-RoBERTa and CamemBERT in TensorFlow: the TFAuto classes choose every head's family class from
config.json (no compute), and one head per family matches the reference's TF class on the same weights, with
saves loading both ways."""

from __future__ import annotations

import pytest
import transformers
from tf_testing import as_torch, make_tf_reference

import roberta
from roberta import registry
from roberta_testing import TINY, batch

TF = registry.framework("tf")
FAMILIES = [f for f in registry.FAMILIES if f is not registry.ROBERTA]
TOL = 1e-5


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.model_type)
def test_tf_auto_classes_choose_the_family(fam):
    for row in registry.HEADS:
        cls = getattr(roberta, registry.auto_name(row, TF)).model_class(fam)
        assert cls.__name__ == registry.class_name(row, fam, TF) and cls is getattr(roberta, cls.__name__)
        assert cls.config_class is getattr(roberta, fam.config_class_name)
        assert issubclass(cls, getattr(roberta, registry.class_name(row, registry.ROBERTA, TF)))
    config = roberta.AutoConfig.for_model(fam.model_type, **TINY)
    assert type(roberta.TFAutoModelForMaskedLM.from_config(config)).__name__ == f"TF{fam.prefix}ForMaskedLM"


CASES = [("xlm-roberta", "ForMaskedLM"), ("camembert", "ForTokenClassification")]


@pytest.mark.parametrize("model_type,stem", CASES, ids=["-".join(c) for c in CASES])
def test_tf_head_matches_the_reference_both_ways(tmp_path, model_type, stem):
    fam, row = registry.family(model_type), registry.head(stem)
    name = registry.class_name(row, fam)
    ref = make_tf_reference(name, tmp_path / "ref")  # tf_model.h5
    ours = getattr(roberta, registry.auto_name(row, TF)).from_pretrained(tmp_path / "ref")
    assert type(ours).__name__ == "TF" + name and type(ours.config).__name__ == fam.config_class_name
    ids, mask = batch("right")
    inputs = dict(input_ids=ids.numpy(), attention_mask=mask.numpy())
    want = as_torch(ref(**inputs).logits)
    real = mask.bool()
    assert (as_torch(ours(**inputs).logits) - want)[real].abs().max().item() <= TOL
    ours.save_pretrained(tmp_path / "ours")
    back = getattr(transformers, registry.auto_name(row, TF)).from_pretrained(tmp_path / "ours")
    assert type(back) is getattr(transformers, "TF" + name)
    assert (as_torch(back(**inputs).logits) - want)[real].abs().max().item() <= TOL

"""XLMRobertaConfig and CamembertConfig: the reference's defaults and config.json files, both ways, and
RobertaConfig's refusal of their files naming the class that reads them."""

from __future__ import annotations

import json

import pytest
import transformers

from roberta.config import RobertaConfig
from roberta.config_types import (
    CONFIG_CLASSES,
    CamembertConfig,
    XLMRobertaConfig,
    config_class_for,
    config_from_dict,
)

PAIRS = [
    (XLMRobertaConfig, transformers.XLMRobertaConfig),
    (CamembertConfig, transformers.CamembertConfig),
]
SMALL = dict(hidden_size=32, num_attention_heads=2, num_hidden_layers=2, intermediate_size=37, vocab_size=99)


def _reference_dict(config) -> dict:
    """The reference config's diff as JSON reads it back, less its version stamp (roberta writes none)."""
    data = json.loads(config.to_json_string())
    data.pop("transformers_version", None)
    return data


def _dict(config) -> dict:
    return json.loads(config.to_json_string())


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_defaults_match_the_reference(ours, theirs):
    assert ours.model_type == theirs.model_type
    assert _dict(ours()) == _reference_dict(theirs())
    for key in ("vocab_size", "pad_token_id", "bos_token_id", "eos_token_id", "layer_norm_eps", "hidden_act"):
        assert getattr(ours(), key) == getattr(theirs(), key), key


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_reference_file_loads(tmp_path, ours, theirs):
    theirs(**SMALL, num_labels=3, problem_type="regression").save_pretrained(tmp_path)
    config = ours.from_pretrained(tmp_path)
    assert type(config) is ours
    assert (config.hidden_size, config.vocab_size, config.num_labels) == (32, 99, 3)
    assert _dict(config) == _reference_dict(theirs.from_pretrained(tmp_path))


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_saved_file_loads_in_the_reference(tmp_path, ours, theirs):
    ours(**SMALL, id2label={0: "neg", 1: "pos"}).save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == ours.model_type
    reference = transformers.AutoConfig.from_pretrained(tmp_path)
    assert type(reference) is theirs
    assert _reference_dict(reference) == _dict(ours.from_pretrained(tmp_path))


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_diff_is_against_the_own_defaults(ours, theirs):
    # vocab_size 30522 is this class's default, so the diff leaves it out, as the reference's does
    ref = json.loads(json.dumps(theirs(num_labels=3).to_diff_dict()))
    del ref["transformers_version"]
    assert json.loads(json.dumps(ours(num_labels=3).to_diff_dict())) == ref


@pytest.mark.parametrize("ours", [XLMRobertaConfig, CamembertConfig])
def test_roberta_config_refuses_them_by_name(tmp_path, ours):
    ours(**SMALL).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match=f"'{ours.model_type}' config: use {ours.__name__} or AutoConfig"):
        RobertaConfig.from_pretrained(tmp_path)
    other = XLMRobertaConfig if ours is CamembertConfig else CamembertConfig
    with pytest.raises(ValueError, match=f"use {ours.__name__}"):
        other.from_pretrained(tmp_path)


def test_subclass_refuses_a_roberta_file(tmp_path):
    RobertaConfig(**SMALL).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="'roberta' config: use RobertaConfig"):
        XLMRobertaConfig.from_pretrained(tmp_path)


def test_unknown_model_type_names_the_known_ones():
    with pytest.raises(ValueError, match="model_type='bert'.*'xlm-roberta'"):
        XLMRobertaConfig(model_type="bert")
    with pytest.raises(ValueError, match="'bert' is not one of"):
        config_class_for("bert")


def test_table_and_dispatch():
    assert set(CONFIG_CLASSES) == {"roberta", "xlm-roberta", "camembert"}
    for model_type, cls in CONFIG_CLASSES.items():
        assert cls.model_type == model_type
        config = config_from_dict({"model_type": model_type, **SMALL})
        assert type(config) is cls and config.hidden_size == 32
    assert type(config_from_dict(SMALL)) is RobertaConfig


def test_configs_of_different_types_differ():
    assert XLMRobertaConfig(**SMALL) != CamembertConfig(**SMALL)
    assert XLMRobertaConfig(**SMALL) == XLMRobertaConfig(**SMALL)
    assert repr(CamembertConfig()).startswith("CamembertConfig {")

"""RobertaConfig: documented defaults, validation, and config.json round trips with the reference."""

from __future__ import annotations

import json

import pytest
import transformers

import roberta

DOCUMENTED = [
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "max_position_embeddings",
    "type_vocab_size",
    "initializer_range",
    "layer_norm_eps",
    "position_embedding_type",
    "is_decoder",
    "add_cross_attention",
    "use_cache",
    "classifier_dropout",
    "pad_token_id",
    "bos_token_id",
    "eos_token_id",
    "num_labels",
    "id2label",
    "label2id",
    "problem_type",
    "return_dict",
    "output_attentions",
    "output_hidden_states",
    "tie_word_embeddings",
]


def test_defaults_equal_the_reference():
    ours, ref = roberta.RobertaConfig(), transformers.RobertaConfig()
    for key in DOCUMENTED:
        assert getattr(ours, key) == getattr(ref, key), key


def test_roberta_base_config_file(roberta_base_dir):
    ours = roberta.RobertaConfig.from_pretrained(roberta_base_dir)
    ref = transformers.RobertaConfig.from_pretrained(roberta_base_dir)
    for key in DOCUMENTED:
        assert getattr(ours, key) == getattr(ref, key), key
    assert ours.max_position_embeddings == 514 and ours.layer_norm_eps == 1e-5 and ours.type_vocab_size == 1


def test_round_trip_both_ways(tmp_path):
    ours = roberta.RobertaConfig(
        hidden_size=64,
        num_attention_heads=4,
        position_embedding_type="relative_key",
        is_decoder=True,
        add_cross_attention=True,
        classifier_dropout=0.2,
        id2label={0: "NEG", 1: "NEU", 2: "POS"},
        problem_type="single_label_classification",
        custom_field="kept",
    )
    ours.save_pretrained(tmp_path / "ours")
    ref = transformers.RobertaConfig.from_pretrained(tmp_path / "ours")
    for key in DOCUMENTED:
        assert getattr(ref, key) == getattr(ours, key), key
    assert ref.custom_field == "kept"
    ref.save_pretrained(tmp_path / "ref")
    back = roberta.RobertaConfig.from_pretrained(tmp_path / "ref")
    for key in DOCUMENTED:
        assert getattr(back, key) == getattr(ours, key), key
    assert back.id2label == {0: "NEG", 1: "NEU", 2: "POS"} and back.label2id == {"NEG": 0, "NEU": 1, "POS": 2}


def test_label_keywords():
    assert roberta.RobertaConfig(num_labels=5).id2label[4] == "LABEL_4"
    c = roberta.RobertaConfig(id2label={"0": "a", "1": "b"})
    assert c.num_labels == 2 and c.id2label == {0: "a", 1: "b"} and c.label2id == {"a": 0, "b": 1}
    c.num_labels = 3
    assert c.id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    with pytest.raises(ValueError, match="num_labels=3"):
        roberta.RobertaConfig(num_labels=3, id2label={0: "a"})


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"problem_type": "ranking"}, "problem_type"),
        ({"hidden_act": "mish"}, "hidden_act"),
        ({"position_embedding_type": "rotary"}, "position_embedding_type"),
        ({"hidden_size": 30, "num_attention_heads": 4}, "not a multiple"),
        ({"vocab_size": 0}, "vocab_size"),
        ({"model_type": "bert"}, "model_type='bert'"),
    ],
)
def test_bad_values_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        roberta.RobertaConfig(**kwargs)


def test_malformed_json_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text("{ nope")
    with pytest.raises(ValueError, match="config.json is not valid JSON"):
        roberta.RobertaConfig.from_pretrained(tmp_path)


def test_config_json_is_sorted_and_typed(tmp_path):
    roberta.RobertaConfig().save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["model_type"] == "roberta" and data["id2label"] == {"0": "LABEL_0", "1": "LABEL_1"}
    assert list(data) == sorted(data)


def test_zero_heads_and_json_booleans_are_named_errors():
    with pytest.raises(ValueError, match="num_attention_heads must be a positive integer, got 0"):
        roberta.RobertaConfig(num_attention_heads=0)
    with pytest.raises(ValueError, match="num_hidden_layers must be a positive integer, got True"):
        roberta.RobertaConfig(num_hidden_layers=True)
    with pytest.raises(ValueError, match="pad_token_id must be an integer"):
        roberta.RobertaConfig(pad_token_id=False)
    with pytest.raises(ValueError, match="hidden_dropout_prob must be a probability"):
        roberta.RobertaConfig(hidden_dropout_prob=1.5)


def test_a_model_too_big_for_memory_fails_at_once_with_the_estimate():
    # 10**9 layers: building even one module per layer would take hours; the check comes before any
    config = roberta.RobertaConfig(num_hidden_layers=10**9)
    with pytest.raises(ValueError, match=r"about [\d,]+ parameters \([\d,.]+ GiB in float32\), more than"):
        roberta.RobertaModel(config)


def test_the_parameter_estimate_is_close_to_the_count():
    for kw in ({}, {"add_cross_attention": True, "is_decoder": True}, {"position_embedding_type": "relative_key"}):
        config = roberta.RobertaConfig(
            hidden_size=64, num_attention_heads=4, intermediate_size=100, vocab_size=1000, **kw
        )
        real = roberta.RobertaForMaskedLM(config).num_parameters()
        assert abs(config.estimated_parameters() - real) < 0.02 * real

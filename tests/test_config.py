"""RobertaConfig: documented defaults, validation, and config.json round trips with the reference."""

from __future__ import annotations

import json

import pytest
import torch
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


# ---------------------------------------------------------------------- the reference's config surface
def _json(value):
    """A dict as JSON reads it back (label ids as strings, dtypes as names)."""
    return json.loads(json.dumps(value, default=str))


def _ref_diff(ref: transformers.RobertaConfig) -> dict:
    diff = _json(ref.to_diff_dict())
    del diff["transformers_version"]  # the reference's own version stamp; roberta writes none
    return diff


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"hidden_size": 64, "num_attention_heads": 4, "is_decoder": True},
        {  # label2id given too: from id2label alone the reference leaves it None, roberta derives it
            "id2label": {0: "NEG", 1: "POS", 2: "MID"},
            "label2id": {"NEG": 0, "POS": 1, "MID": 2},
            "problem_type": "single_label_classification",
        },
        {"custom_field": [1, 2], "tie_word_embeddings": False, "chunk_size_feed_forward": 0},
        {"pad_token_id": None, "classifier_dropout": 0.3, "max_length": 20, "torchscript": False},
    ],
)
def test_to_diff_dict_and_json_string_match_the_reference(kwargs):
    ours, ref = roberta.RobertaConfig(**kwargs), transformers.RobertaConfig(**kwargs)
    assert _json(ours.to_diff_dict()) == _ref_diff(ref)
    ref_text = json.loads(ref.to_json_string())
    del ref_text["transformers_version"]
    assert json.loads(ours.to_json_string()) == ref_text  # use_diff=True is the default, as in the reference
    full = json.loads(ours.to_json_string(use_diff=False))
    assert full == _json(ours.to_dict()) and set(full) > set(ref_text)


def test_to_json_file_round_trips_through_both_libraries(tmp_path):
    ours = roberta.RobertaConfig(hidden_size=64, num_attention_heads=4, num_labels=3, torch_dtype=torch.bfloat16)
    ours.to_json_file(tmp_path / "diff.json")
    ours.to_json_file(tmp_path / "full.json", use_diff=False)
    ref = transformers.RobertaConfig(hidden_size=64, num_attention_heads=4, num_labels=3, torch_dtype=torch.bfloat16)
    ref.to_json_file(tmp_path / "ref.json")
    written = json.loads((tmp_path / "diff.json").read_text())
    expected = json.loads((tmp_path / "ref.json").read_text())
    del expected["transformers_version"]
    assert written == expected
    assert len(json.loads((tmp_path / "full.json").read_text())) > len(written)
    for name in ("diff.json", "full.json"):
        back = transformers.RobertaConfig.from_json_file(tmp_path / name)
        assert back.hidden_size == 64 and back.num_labels == 3 and back.dtype == torch.bfloat16
        assert roberta.RobertaConfig.from_json_file(tmp_path / name) == ours
    assert roberta.RobertaConfig.from_json_file(tmp_path / "ref.json") == ours


def test_to_json_file_is_atomic(tmp_path, monkeypatch):
    import roberta._io

    path = tmp_path / "config.json"
    roberta.RobertaConfig(hidden_size=64, num_attention_heads=4).to_json_file(path)
    before = path.read_text()

    def fail(*args, **kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(roberta._io.os, "replace", fail)  # the write dies after the text went to a temporary file
    with pytest.raises(OSError, match="injected"):
        roberta.RobertaConfig(hidden_size=128, num_attention_heads=4).to_json_file(path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]  # no temporary file left behind


def test_update_matches_the_reference():
    change = {"hidden_size": 64, "num_attention_heads": 4, "num_labels": 3, "new_key": 5, "dtype": "float16"}
    ours, ref = roberta.RobertaConfig(), transformers.RobertaConfig()
    assert ours.update(dict(change)) is None and ref.update(dict(change)) is None
    for key in DOCUMENTED:
        assert getattr(ours, key) == getattr(ref, key), key
    assert ours.new_key == ref.new_key == 5
    assert json.loads(ours.to_json_string())["dtype"] == json.loads(ref.to_json_string())["dtype"] == "float16"
    ours.update({"id2label": {"0": "a", "1": "b"}})
    assert ours.num_labels == 2 and ours.label2id == {"a": 0, "b": 1}


def test_update_with_a_bad_value_is_an_error_that_changes_nothing():
    config = roberta.RobertaConfig()
    before = config.to_dict()
    with pytest.raises(ValueError, match="hidden_act='mish'"):
        config.update({"hidden_size": 64, "num_attention_heads": 4, "hidden_act": "mish"})
    assert config.to_dict() == before  # not half-applied
    with pytest.raises(TypeError, match="takes a dict"):
        config.update([("hidden_size", 64)])


def test_return_unused_kwargs_matches_the_reference(tmp_path):
    roberta.RobertaConfig(hidden_size=64, num_attention_heads=4).save_pretrained(tmp_path)
    for kwargs in (
        {"hidden_dropout_prob": 0.2, "foo": 1, "torch_dtype": "float16", "attn_implementation": "eager"},
        {"dtype": torch.bfloat16, "output_attentions": True, "num_labels": 4, "revision": "main", "token": None},
        {},
    ):
        ours, our_unused = roberta.RobertaConfig.from_pretrained(tmp_path, return_unused_kwargs=True, **kwargs)
        ref, ref_unused = transformers.RobertaConfig.from_pretrained(tmp_path, return_unused_kwargs=True, **kwargs)
        assert our_unused == ref_unused, kwargs
        for key in DOCUMENTED:
            assert getattr(ours, key) == getattr(ref, key), (kwargs, key)
        # a dtype name given here stays a string in the reference; roberta holds a torch.dtype: same JSON
        assert json.loads(ours.to_json_string()).get("dtype") == json.loads(ref.to_json_string()).get("dtype")
        assert not hasattr(ours, "foo") and not hasattr(ref, "foo")
        if "attn_implementation" in kwargs:
            assert ours._attn_implementation == ref._attn_implementation == kwargs["attn_implementation"]
    assert isinstance(roberta.RobertaConfig.from_pretrained(tmp_path, hidden_dropout_prob=0.2), roberta.RobertaConfig)
    with pytest.raises(ValueError, match="num_labels=3"):
        roberta.RobertaConfig.from_pretrained(tmp_path, num_labels=3, id2label={0: "a"})


def test_dtype_is_held_and_written_as_the_reference_does(tmp_path):
    for make in (lambda cls: cls(torch_dtype=torch.float16), lambda cls: cls(dtype="float16")):
        ours, ref = make(roberta.RobertaConfig), make(transformers.RobertaConfig)
        assert ours.dtype is ref.dtype is torch.float16 and ours.torch_dtype is torch.float16
        assert json.loads(ours.to_json_string())["dtype"] == json.loads(ref.to_json_string())["dtype"] == "float16"
    later = roberta.RobertaConfig()
    later.torch_dtype = torch.bfloat16
    assert later.dtype is torch.bfloat16
    later.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["dtype"] == "bfloat16"
    assert transformers.RobertaConfig.from_pretrained(tmp_path).dtype is torch.bfloat16
    # an older config.json names it torch_dtype; when both names are given, `dtype` wins (as in the reference)
    assert roberta.RobertaConfig(torch_dtype="float32").dtype is torch.float32
    both = {"dtype": "float16", "torch_dtype": "bfloat16"}
    assert roberta.RobertaConfig(**both).dtype is transformers.RobertaConfig(**both).dtype is torch.float16
    with pytest.raises(ValueError, match="dtype='float17' is not the name of a torch dtype"):
        roberta.RobertaConfig(dtype="float17")
    with pytest.raises(TypeError, match="dtype must be a torch.dtype"):
        roberta.RobertaConfig(torch_dtype=16)


def test_subfolder_of_a_local_folder(tmp_path):
    inner = tmp_path / "outer" / "inner"
    roberta.RobertaConfig(hidden_size=48, num_attention_heads=4).save_pretrained(inner)
    roberta.RobertaConfig(hidden_size=96, num_attention_heads=4).save_pretrained(tmp_path / "outer")
    ours = roberta.RobertaConfig.from_pretrained(tmp_path / "outer", subfolder="inner")
    ref = transformers.RobertaConfig.from_pretrained(tmp_path / "outer", subfolder="inner")
    assert ours.hidden_size == ref.hidden_size == 48
    assert roberta.RobertaConfig.from_pretrained(tmp_path / "outer").hidden_size == 96
    # the reference answers a missing subfolder with a default config; roberta says what is missing
    with pytest.raises(FileNotFoundError, match="missing has no config.json"):
        roberta.RobertaConfig.from_pretrained(tmp_path / "outer", subfolder="missing")


def _fake_hub_cache(root, repo: str, snapshots: dict[str, dict]) -> None:
    """A huggingface_hub cache holding `repo` at the given refs: {ref: {relative path: config}}."""
    base = root / f"models--{repo.replace('/', '--')}"
    (base / "refs").mkdir(parents=True)
    for n, (ref, files) in enumerate(snapshots.items()):
        commit = f"{n + 1}" * 40
        (base / "refs" / ref).write_text(commit)
        for rel, config in files.items():
            config.save_pretrained(base / "snapshots" / commit / rel)


def test_subfolder_and_revision_of_a_cached_hub_id(tmp_path):
    config = roberta.RobertaConfig
    _fake_hub_cache(
        tmp_path,
        "org/tiny",
        {
            "main": {
                ".": config(hidden_size=32, num_attention_heads=4),
                "sub": config(hidden_size=48, num_attention_heads=4),
            },
            "v2": {".": config(hidden_size=64, num_attention_heads=4)},
        },
    )
    hub = {"cache_dir": tmp_path, "local_files_only": True}
    for kwargs, size in (({}, 32), ({"subfolder": "sub"}, 48), ({"revision": "v2"}, 64)):
        ours = roberta.RobertaConfig.from_pretrained("org/tiny", **hub, **kwargs)
        ref = transformers.RobertaConfig.from_pretrained("org/tiny", **hub, **kwargs)
        assert ours.hidden_size == ref.hidden_size == size, kwargs
    with pytest.raises(FileNotFoundError, match="sub/config.json"):
        roberta.RobertaConfig.from_pretrained("org/tiny", revision="v2", subfolder="sub", **hub)


def test_hub_keywords_that_change_what_is_loaded_are_not_ignored(tmp_path):
    roberta.RobertaConfig().save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="gguf_file= is not supported"):
        roberta.RobertaConfig.from_pretrained(tmp_path, gguf_file="model.gguf")
    with pytest.raises(FileNotFoundError, match="force_download=True .* never downloads"):
        roberta.RobertaConfig.from_pretrained("org/not-cached", force_download=True)
    with pytest.raises(TypeError, match="subfolder must be a str"):
        roberta.RobertaConfig.from_pretrained(tmp_path, subfolder=3)
    # a local folder has no download to force and no revisions, as in the reference
    assert roberta.RobertaConfig.from_pretrained(tmp_path, force_download=True, revision="v9", proxies={}) == (
        roberta.RobertaConfig()
    )

"""Weights in every direction: PyTorch <-> TF (h5, TF-tagged safetensors), ours <-> the reference's, and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from tf_testing import assert_tf_close, make_tf_reference

import roberta
from roberta.checkpoint import names
from roberta_testing import TINY, batch, make_reference, tiny_config

SRC = Path(roberta.__file__).resolve().parents[1]


def _pt_inputs():
    ids, mask = batch("right")
    return ids, mask, ids.numpy(), mask.numpy()


def test_names_follow_the_reference_on_every_variable(tmp_path):
    """The derived TF name of every reference PyTorch weight is the reference's TF variable name, both ways."""
    config = dict(is_decoder=True, add_cross_attention=True)
    pt = transformers.RobertaForCausalLM(tiny_config(**config))
    tf_ref = make_tf_reference("RobertaForCausalLM", tmp_path, **config)
    tf_names = {w.name.split("/", 1)[1].removesuffix(":0") for w in tf_ref.weights}
    pt_names = {k for k in pt.state_dict() if not k.startswith("lm_head.decoder.")}
    assert {names.pt_to_tf(k)[0] for k in pt_names} == tf_names
    assert {names.tf_to_pt(k)[0] for k in tf_names} == pt_names
    assert names.pt_to_tf("roberta.encoder.layer.1.attention.self.query.weight") == (
        "roberta/encoder/layer_._1/attention/self/query/kernel",
        True,
    )
    assert names.tf_to_pt("roberta/embeddings/LayerNorm/gamma:0") == ("roberta.embeddings.LayerNorm.weight", False)
    legacy, _ = names.convert({"roberta.embeddings.LayerNorm.gamma": np.ones(3)}, "pt", "tf")
    assert list(legacy) == ["roberta/embeddings/LayerNorm/gamma"]


@pytest.mark.parametrize("fmt", ["safetensors", "bin", "sharded"])
def test_pytorch_checkpoints_load_into_tf(tmp_path, fmt):
    """model.safetensors, pytorch_model.bin and shards, with from_pt=True and without it (the only weights)."""
    torch.manual_seed(0)
    pt = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).eval()
    options = {"bin": dict(safe_serialization=False), "sharded": dict(max_shard_size=20_000)}.get(fmt, {})
    pt.save_pretrained(tmp_path, **options)
    assert (fmt != "sharded") or (tmp_path / "model.safetensors.index.json").is_file()
    ids, mask, np_ids, np_mask = _pt_inputs()
    with torch.no_grad():
        expected = pt(input_ids=ids, attention_mask=mask).logits
    for kwargs in ({}, {"from_pt": True}):
        ours, info = roberta.TFRobertaForMaskedLM.from_pretrained(tmp_path, output_loading_info=True, **kwargs)
        assert info["missing_keys"] == info["unexpected_keys"] == []
        assert_tf_close(expected, ours(input_ids=np_ids, attention_mask=np_mask).logits, mask, f"{fmt} {kwargs}")


def test_pytorch_to_tf_to_pytorch_round_trip(tmp_path):
    """PyTorch -> TF (.h5, and TF-tagged safetensors) -> PyTorch: every weight within 1e-5."""
    torch.manual_seed(1)
    config = roberta.RobertaConfig(**TINY, num_labels=3)
    pt = roberta.RobertaForSequenceClassification(config).eval()
    pt.save_pretrained(tmp_path / "pt")
    tf_model = roberta.TFRobertaForSequenceClassification.from_pretrained(tmp_path / "pt")
    tf_model.save_pretrained(tmp_path / "h5")
    tf_model.save_pretrained(tmp_path / "st", safe_serialization=True)
    assert sorted(os.listdir(tmp_path / "h5")) == ["config.json", "tf_model.h5"]
    assert json.loads((tmp_path / "h5" / "config.json").read_text())["architectures"] == [
        "RobertaForSequenceClassification"  # as the reference's TF classes write it
    ]
    original = pt.state_dict()
    for path, kwargs in (
        (tmp_path / "h5", {"from_tf": True}),
        (tmp_path / "st", {"from_tf": True}),
        (tmp_path / "st", {}),
    ):
        back = roberta.RobertaForSequenceClassification.from_pretrained(path, **kwargs)
        state = back.state_dict()
        assert state.keys() == original.keys()
        diff = max((state[k] - original[k]).abs().max().item() for k in original)
        assert diff <= 1e-5, f"{path.name} {kwargs}: {diff}"


@pytest.mark.parametrize("safe", [False, True])
def test_reference_tf_classes_load_ours_and_ours_load_theirs(tmp_path, safe):
    ref = make_tf_reference("RobertaForMaskedLM", tmp_path / "ref")
    ours = roberta.TFRobertaForMaskedLM.from_pretrained(tmp_path / "ref")
    ours.save_pretrained(tmp_path / "ours", safe_serialization=safe)
    back, info = transformers.TFRobertaForMaskedLM.from_pretrained(tmp_path / "ours", output_loading_info=True)
    assert info["missing_keys"] == info["unexpected_keys"] == [], info
    _, _, ids, mask = _pt_inputs()
    assert_tf_close(ref(ids, attention_mask=mask).logits, back(ids, attention_mask=mask).logits, mask)
    assert_tf_close(ref(ids, attention_mask=mask).logits, ours(ids, attention_mask=mask).logits, mask)


def test_base_and_head_checkpoints_cross_load(tmp_path):
    """A head's checkpoint loads into the bare model (head dropped) and a bare one into a head (head new)."""
    make_reference("RobertaModel", tmp_path / "base")  # PyTorch names without the roberta. prefix
    make_tf_reference("RobertaForTokenClassification", tmp_path / "head")
    _, info = roberta.TFRobertaForTokenClassification.from_pretrained(tmp_path / "base", output_loading_info=True)
    assert info["missing_keys"] == ["classifier/kernel", "classifier/bias"] and info["unexpected_keys"] == []
    model, info = roberta.TFRobertaModel.from_pretrained(tmp_path / "head", output_loading_info=True)
    assert sorted(info["unexpected_keys"]) == ["classifier/bias", "classifier/kernel"]
    assert {n.split("/")[1] for n in info["missing_keys"]} == {"pooler"}


def test_loading_errors_are_clear(tmp_path):
    make_tf_reference("RobertaForSequenceClassification", tmp_path / "cls")
    with pytest.raises(ValueError, match="ignore_mismatched_sizes"):
        roberta.TFRobertaForSequenceClassification.from_pretrained(tmp_path / "cls", num_labels=5)
    model, info = roberta.TFRobertaForSequenceClassification.from_pretrained(
        tmp_path / "cls", num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True
    )
    assert [m[0] for m in info["mismatched_keys"]] == ["classifier/out_proj/kernel", "classifier/out_proj/bias"]
    assert model(np.array([[0, 5, 2]])).logits.shape == (1, 5)

    (tmp_path / "empty").mkdir()
    (tmp_path / "cls" / "config.json").replace(tmp_path / "empty" / "config.json")
    with pytest.raises(FileNotFoundError, match="holds no model weights.*tf_model.h5.*pytorch_model.bin"):
        roberta.TFRobertaModel.from_pretrained(tmp_path / "empty")

    bert = transformers.TFBertModel(transformers.BertConfig(**{k: v for k, v in TINY.items()}))
    bert(bert.dummy_inputs)
    bert.save_pretrained(tmp_path / "bert")
    with pytest.raises(ValueError, match="model_type='bert'"):
        roberta.TFRobertaModel.from_pretrained(tmp_path / "bert")
    (tmp_path / "empty" / "config.json").replace(tmp_path / "bert" / "config.json")  # a roberta config.json
    with pytest.raises(ValueError, match="none of the .* weights in .*tf_model.h5 belong to a TFRobertaModel"):
        roberta.TFRobertaModel.from_pretrained(tmp_path / "bert")

    (tmp_path / "bert" / "tf_model.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match="could not be read as an HDF5 weights file"):
        roberta.TFRobertaModel.from_pretrained(tmp_path / "bert")


def test_imports_keep_frameworks_apart(tmp_path):
    """`import roberta` imports no framework; reading PyTorch safetensors into a TF class imports no torch; the
    PyTorch side reads TF checkpoints without TensorFlow; nothing sets TF_USE_LEGACY_KERAS."""
    torch.manual_seed(0)
    roberta.RobertaModel(roberta.RobertaConfig(**TINY)).save_pretrained(tmp_path / "pt")
    roberta.TFRobertaModel.from_pretrained(tmp_path / "pt").save_pretrained(tmp_path / "tf")
    script = f"""
import os, sys
import roberta
assert not {{"torch", "tensorflow", "jax"}} & set(sys.modules), "import roberta pulled in a framework"
from roberta.checkpoint import locate, names, read_arrays, reading_order
assert "tensorflow" not in sys.modules and "torch" not in sys.modules
found = locate({str(tmp_path / "tf")!r}, reading_order("pt", source="tf"))
state, _ = names.convert(read_arrays(found), found.naming, "pt")
assert "roberta.encoder.layer.0.attention.self.query.weight" in state and "tensorflow" not in sys.modules
model = roberta.TFRobertaModel.from_pretrained({str(tmp_path / "pt")!r})
assert "torch" not in sys.modules, "reading PyTorch safetensors imported torch"
assert "TF_USE_LEGACY_KERAS" not in os.environ
import tensorflow as tf
assert tf.keras.__version__.startswith("3"), tf.keras.__version__  # tf.keras is still the user's Keras
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("TF_USE_LEGACY_KERAS", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().endswith("ok"), done.stderr[-2000:]

"""The seam that lets other frameworks' models run in the pipelines, exercised with a NumPy stand-in."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch

import roberta
from roberta.pipelines import backends


class _NumpyRunner:
    """Runs one of our PyTorch heads but speaks NumPy, as a TF / Flax / ONNX runner does."""

    def __init__(self, model):
        self.model, self.config = model, model.config
        self.model_class = "Fake" + type(model).__name__
        self.calls = 0

    def __call__(self, input_ids, attention_mask):
        assert isinstance(input_ids, np.ndarray) and input_ids.dtype == np.int64
        self.calls += 1
        with torch.no_grad():
            out = self.model(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(attention_mask))
        return {k: v.numpy() for k, v in out.items() if isinstance(v, torch.Tensor)}


class FakeModel:
    """An instance of the fake framework's model classes (its module is the framework's model package)."""

    def __init__(self, model):
        self.inner, self.config = model, model.config


@pytest.fixture
def fake_framework(monkeypatch):
    runners = types.ModuleType("fake_runners")
    runners.load = lambda path, model_class, dtype: _NumpyRunner(getattr(roberta, model_class).from_pretrained(path))
    runners.wrap = lambda model: _NumpyRunner(model.inner)
    models = types.ModuleType("fake_models")
    FakeModel.__module__ = "fake_models"
    models.FakeModel = FakeModel
    monkeypatch.setitem(sys.modules, "fake_runners", runners)
    monkeypatch.setitem(sys.modules, "fake_models", models)
    monkeypatch.setitem(backends.FRAMEWORKS, "fake", backends.Framework("fake_runners", "fake_models"))
    return "fake"


def test_a_runner_loaded_by_framework_gives_the_native_results(checkpoints, fake_framework):
    native = roberta.pipeline("fill-mask", model=checkpoints["fill-mask"])
    other = roberta.pipeline("fill-mask", model=checkpoints["fill-mask"], framework=fake_framework)
    assert isinstance(other.model, backends.ArrayModel) and other.model.model_class == "FakeRobertaForMaskedLM"
    texts = ["Paris is the <mask> of France.", "A <mask> day."]
    assert other(texts, top_k=3) == native(texts, top_k=3)
    assert other.model.runner.calls >= 1


def test_an_instance_of_another_framework_runs_in_its_framework(checkpoints, fake_framework):
    path = checkpoints["text-classification"]
    torch_model = roberta.RobertaForSequenceClassification.from_pretrained(path)
    pipe = roberta.pipeline("text-classification", model=FakeModel(torch_model), tokenizer=path)
    native = roberta.pipeline("text-classification", model=torch_model, tokenizer=path)
    assert pipe("a fine day", top_k=None) == native("a fine day", top_k=None)
    with pytest.raises(TypeError, match="needs a RobertaForMaskedLM"):
        roberta.pipeline("fill-mask", model=FakeModel(torch_model), tokenizer=path)
    with pytest.raises(ValueError, match="does not match the model given"):
        roberta.pipeline("text-classification", model=FakeModel(torch_model), tokenizer=path, framework="tf")


def test_bad_framework_names_and_devices(checkpoints, fake_framework):
    with pytest.raises(ValueError, match="unknown framework 'jax'.*'pt', 'tf', 'flax', 'onnx'"):
        roberta.pipeline("fill-mask", model=checkpoints["fill-mask"], framework="jax")
    with pytest.raises(TypeError, match="directory path or a roberta model"):
        roberta.pipeline("fill-mask", model=object())
    pipe = roberta.pipeline("fill-mask", model=checkpoints["fill-mask"], framework=fake_framework)
    with pytest.raises(TypeError, match="input_ids and attention_mask only"):
        pipe.model(torch.zeros(1, 3, dtype=torch.long), torch.ones(1, 3, dtype=torch.long), token_type_ids=None)

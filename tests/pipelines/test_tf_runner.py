"""TF models in the pipelines (roberta.modeling_tf.runner): the same results as the PyTorch model, every task."""

from __future__ import annotations

import pytest
import torch
from pipeline_helpers import assert_same

import roberta
from roberta.pipelines import backends

CALLS = {
    "fill-mask": (["Paris is the <mask> of France.", "A <mask> day."], dict(top_k=3)),
    "text-classification": (["a fine day", {"text": "one", "text_pair": "two"}], dict(top_k=None)),
    "text-classification-1": (["a fine day"], {}),
    "token-classification": (["Ada Lovelace lived in London."], dict(aggregation_strategy="simple")),
    "question-answering": (
        [{"question": "Where did Ada live?", "context": "Ada Lovelace lived in London with her mother."}],
        dict(top_k=2),
    ),
    "feature-extraction": (["hello world", "a longer sentence than that"], {}),
    "sentence-embedding": (["hello world", "a longer sentence than that"], {}),
    "text-generation": (["Hello there", "The weather"], dict(do_sample=False, max_new_tokens=8)),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_tf_pipelines_give_the_pytorch_results(checkpoints, name):
    task = name.removesuffix("-1")
    path = checkpoints[{"sentence-embedding": "feature-extraction"}.get(name, name)]
    inputs, options = CALLS[name]
    native = roberta.pipeline(task, model=str(path))
    from_dir = roberta.pipeline(task, model=str(path), framework="tf")
    assert isinstance(from_dir.model, backends.ArrayModel) and from_dir.model.model_class.startswith("TFRoberta")
    tf_class = getattr(roberta, from_dir.model.model_class)
    from_instance = roberta.pipeline(task, model=tf_class.from_pretrained(path), tokenizer=str(path))
    expected = native(inputs, **options)
    assert_same(from_dir(inputs, **options), expected, f"{name} (framework='tf')")
    assert_same(from_instance(inputs, **options), expected, f"{name} (TF model instance)")


def test_tf_sampling_is_reproducible_with_a_generator(checkpoints):
    pipe = roberta.pipeline("text-generation", model=str(checkpoints["text-generation"]), framework="tf")
    runs = [
        pipe("Hello there", max_new_tokens=6, return_tensors=True, generator=torch.Generator().manual_seed(s))
        for s in (0, 0)
    ]
    assert runs[0] == runs[1] and len(runs[0][0]["generated_token_ids"]) > 3


def test_tf_pipeline_errors(checkpoints):
    path = str(checkpoints["fill-mask"])
    with pytest.raises(ValueError, match="run in float32"):
        roberta.pipeline("fill-mask", model=path, framework="tf", dtype="float16")
    model = roberta.TFRobertaForMaskedLM.from_pretrained(path)
    with pytest.raises(TypeError, match="needs a RobertaForSequenceClassification"):
        roberta.pipeline("text-classification", model=model, tokenizer=path)
    gen = roberta.pipeline("text-generation", model=str(checkpoints["text-generation"]), framework="tf")
    with pytest.raises(ValueError, match="position_ids_from_zero is not supported"):
        gen("Hello", position_ids_from_zero=True, max_new_tokens=2)

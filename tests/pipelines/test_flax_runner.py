"""Flax models in the pipelines (`roberta.modeling_flax.runner`): the same results as the PyTorch pipelines."""

from __future__ import annotations

import pytest

import roberta


@pytest.mark.parametrize(
    "task,inputs,options",
    [
        ("text-classification", "a fine day", {"top_k": None}),
        ("token-classification", "Ada Lovelace lived in London", {"aggregation_strategy": "simple"}),
        ("question-answering", {"question": "Where?", "context": "She lived in London."}, {}),
        ("feature-extraction", "a fine day", {}),
    ],
)
def test_a_checkpoint_run_with_framework_flax(checkpoints, task, inputs, options):
    path = checkpoints[task]
    want = roberta.pipeline(task, model=path)(inputs, **options)
    pipe = roberta.pipeline(task, model=path, framework="flax")
    assert pipe.model.model_class.startswith("FlaxRoberta")
    got = pipe(inputs, **options)
    if task == "feature-extraction":
        assert max(abs(a - b) for ra, rb in zip(got[0], want[0]) for a, b in zip(ra, rb)) < 1e-4
    else:
        assert got == pytest.approx(want, abs=1e-4) if isinstance(got, dict) else _same(got, want)


def _same(got, want) -> bool:
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == (pytest.approx(b[key], abs=1e-4) if isinstance(b[key], float) else b[key]), key
    return True


def test_a_flax_model_instance(checkpoints):
    path = checkpoints["fill-mask"]
    model = roberta.FlaxRobertaForMaskedLM.from_pretrained(path)
    texts = ["Paris is the <mask> of France.", "A <mask> day."]
    want = roberta.pipeline("fill-mask", model=path)(texts, top_k=3)
    got = roberta.pipeline("fill-mask", model=model, tokenizer=path)(texts, top_k=3)
    assert [[r["token"] for r in row] for row in got] == [[r["token"] for r in row] for row in want]
    for row_got, row_want in zip(got, want):
        assert [r["score"] for r in row_got] == pytest.approx([r["score"] for r in row_want], abs=1e-4)
    with pytest.raises(TypeError, match="needs a RobertaForSequenceClassification"):
        roberta.pipeline("text-classification", model=model, tokenizer=path)

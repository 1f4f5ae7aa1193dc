"""Tiny random-weight checkpoints (real roberta-base tokenizer) for the server tests, and the pipelines whose
answers the server must give."""

from __future__ import annotations

from pathlib import Path

import pytest

from roberta_testing import NER_LABELS, save_pipeline_checkpoint

# name -> (model class, seed, config overrides)
SERVED = {
    "mlm": ("RobertaForMaskedLM", 1, {}),
    "cls": ("RobertaForSequenceClassification", 2, {"id2label": {0: "NEG", 1: "NEU", 2: "POS"}}),
    "rank": ("RobertaForSequenceClassification", 3, {"num_labels": 1}),
    "ner": ("RobertaForTokenClassification", 10, {"id2label": dict(enumerate(NER_LABELS))}),
    "qa": ("RobertaForQuestionAnswering", 5, {}),
    "base": ("RobertaModel", 6, {}),
}


@pytest.fixture(scope="session")
def served(tmp_path_factory, roberta_base_dir) -> dict[str, Path]:
    """One checkpoint per served model name."""
    root = tmp_path_factory.mktemp("serve-ckpts")
    return {
        name: save_pipeline_checkpoint(root, name, cls, seed, roberta_base_dir, **overrides)
        for name, (cls, seed, overrides) in SERVED.items()
    }


@pytest.fixture(scope="session")
def pipelines(served):
    """Our `pipeline()` per (task, model name), built once: what the server must answer."""
    from roberta import pipeline

    cache: dict = {}

    def make(task: str, name: str):
        if (task, name) not in cache:
            cache[task, name] = pipeline(task, model=str(served[name]))
        return cache[task, name]

    return make

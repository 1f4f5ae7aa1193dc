"""Shared fixtures. Helper functions live in `roberta_testing.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from roberta_testing import NER_LABELS, save_pipeline_checkpoint, shared_dir


@pytest.fixture(scope="session")
def roberta_base_dir() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory, roberta_base_dir) -> dict[str, Path]:
    """One random-weight tiny checkpoint directory (real roberta-base tokenizer) per task, for the pipeline
    and CLI tests."""
    root = tmp_path_factory.mktemp("pipeline-ckpts")
    return {
        "fill-mask": save_pipeline_checkpoint(root, "mlm", "RobertaForMaskedLM", 1, roberta_base_dir),
        "text-classification": save_pipeline_checkpoint(
            root,
            "cls",
            "RobertaForSequenceClassification",
            2,
            roberta_base_dir,
            id2label={0: "NEG", 1: "NEU", 2: "POS"},
        ),
        "text-classification-1": save_pipeline_checkpoint(
            root, "cls1", "RobertaForSequenceClassification", 3, roberta_base_dir, num_labels=1
        ),
        "token-classification": save_pipeline_checkpoint(
            root, "ner", "RobertaForTokenClassification", 10, roberta_base_dir, id2label=dict(enumerate(NER_LABELS))
        ),
        "question-answering": save_pipeline_checkpoint(root, "qa", "RobertaForQuestionAnswering", 5, roberta_base_dir),
        "feature-extraction": save_pipeline_checkpoint(root, "base", "RobertaModel", 6, roberta_base_dir),
        "text-generation": save_pipeline_checkpoint(
            root, "clm", "RobertaForCausalLM", 7, roberta_base_dir, is_decoder=True
        ),
    }


@pytest.fixture(scope="session")
def our_pipeline():
    """Build (and cache) our pipeline for a checkpoint."""
    from roberta.pipelines import pipeline

    cache: dict = {}

    def make(task: str, path: Path, **kwargs):
        key = (task, str(path), tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = pipeline(task, model=str(path), **kwargs)
        return cache[key]

    return make


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

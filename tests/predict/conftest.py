"""Tiny random checkpoints (real roberta-base tokenizer) and small corpora for the `roberta predict` tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from roberta_testing import NER_LABELS, save_pipeline_checkpoint

# which checkpoint answers each task
MODEL_OF = {
    "fill-mask": "mlm",
    "text-classification": "cls",
    "token-classification": "ner",
    "question-answering": "qa",
    "feature-extraction": "base",
    "sentence-embedding": "base",
}


@pytest.fixture(scope="session")
def models(tmp_path_factory, roberta_base_dir) -> dict[str, Path]:
    """One checkpoint directory per task."""
    root = tmp_path_factory.mktemp("predict-ckpts")
    made = {
        "mlm": save_pipeline_checkpoint(root, "mlm", "RobertaForMaskedLM", 1, roberta_base_dir),
        "cls": save_pipeline_checkpoint(
            root,
            "cls",
            "RobertaForSequenceClassification",
            2,
            roberta_base_dir,
            id2label={0: "NEG", 1: "NEU", 2: "POS"},
        ),
        "ner": save_pipeline_checkpoint(
            root, "ner", "RobertaForTokenClassification", 3, roberta_base_dir, id2label=dict(enumerate(NER_LABELS))
        ),
        "qa": save_pipeline_checkpoint(root, "qa", "RobertaForQuestionAnswering", 4, roberta_base_dir),
        "base": save_pipeline_checkpoint(root, "base", "RobertaModel", 5, roberta_base_dir),
    }
    return {task: made[name] for task, name in MODEL_OF.items()}


@pytest.fixture(scope="session")
def loaded():
    """`loaded(task, path)`: our pipeline of a checkpoint, loaded once for the session."""
    from roberta.pipelines import pipeline

    cache: dict = {}

    def load(task: str, path: Path):
        if (task, str(path)) not in cache:
            cache[task, str(path)] = pipeline(task, model=str(path))
        return cache[task, str(path)]

    return load


@pytest.fixture(autouse=True)
def one_load_per_model(monkeypatch, loaded):
    """`predict()` in this process reuses `loaded`'s pipeline of the job's model instead of loading it for every
    job: the runner gives the job's options with every call, so a pipeline built without them answers the same.
    (The CLI subprocess and the Ray actors still load their own.)"""
    from roberta.predict import runner

    real = runner.load_pipeline

    def load(job):
        if job.device is not None or job.dtype is not None:
            return real(job)
        return loaded(job.task, job.model)

    monkeypatch.setattr(runner, "load_pipeline", load)


@pytest.fixture(scope="session")
def ref_pipeline_factory():
    """The reference's `transformers.pipeline` for a checkpoint (cached)."""
    import transformers

    transformers.logging.set_verbosity_error()
    cache: dict = {}

    def make(task: str, path: Path):
        if (task, path) not in cache:
            cache[task, path] = transformers.pipeline(task, model=str(path), device=-1)
        return cache[task, path]

    return make

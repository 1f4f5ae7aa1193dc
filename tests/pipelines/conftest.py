"""The reference's pipelines for the pipeline tests (our pipelines and the checkpoints they run, which the CLI
tests share, are fixtures of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ref_pipeline():
    """Build (and cache) the reference `transformers.pipeline` for a checkpoint."""
    import transformers

    transformers.logging.set_verbosity_error()
    cache: dict = {}

    def make(task: str, path: Path, **kwargs):
        key = (task, str(path), tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = transformers.pipeline(task, model=str(path), device=-1, **kwargs)
        return cache[key]

    return make

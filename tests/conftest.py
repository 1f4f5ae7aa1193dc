"""Shared fixtures. Helper functions live in `roberta_testing.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from roberta_testing import SHARED


def pytest_sessionstart(session):
    # Most tests read the real tokenizer files: say once what is missing instead of erroring in each test.
    if not (SHARED / "vocab.json").is_file():
        raise pytest.UsageError(
            f"the roberta-base tokenizer files (vocab.json, merges.txt, ...) are expected in "
            f"{SHARED}: put the shared/ folder beside the repository"
        )


@pytest.fixture(scope="session")
def roberta_base_dir() -> Path:
    return SHARED


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

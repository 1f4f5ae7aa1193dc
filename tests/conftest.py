"""Shared fixtures. Helper functions live in `roberta_testing.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from roberta_testing import SHARED


@pytest.fixture(scope="session")
def roberta_base_dir() -> Path:
    if not (SHARED / "vocab.json").is_file():
        raise FileNotFoundError(f"the roberta-base tokenizer files are expected in {SHARED}")
    return SHARED


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

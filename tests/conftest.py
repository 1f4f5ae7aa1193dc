"""Shared fixtures. Helper functions live in `roberta_testing.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from roberta_testing import shared_dir


@pytest.fixture(scope="session")
def roberta_base_dir() -> Path:
    return shared_dir()


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

"""accelerate keeps one process-wide state (Trainer makes one too): each test here starts and ends without it."""

from __future__ import annotations

import pytest
from accelerate.state import AcceleratorState, GradientState, PartialState


def _reset() -> None:
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()
    PartialState._reset_state()


@pytest.fixture(autouse=True)
def _fresh_accelerate_state():
    _reset()
    yield
    _reset()

"""Comparison helpers for the pipeline tests."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

TOL = 1e-4


def assert_same(ours: Any, ref: Any, path: str = "result") -> None:
    """Same structure, same strings / ints, floats within TOL."""
    if isinstance(ref, (torch.Tensor, np.ndarray)):
        ref = ref.tolist()
    if isinstance(ours, (torch.Tensor, np.ndarray)):
        ours = ours.tolist()
    if isinstance(ref, dict):
        assert isinstance(ours, dict), f"{path}: expected a dict, got {type(ours).__name__}"
        assert list(ours) == list(ref), f"{path}: keys {list(ours)} != {list(ref)}"
        for k in ref:
            assert_same(ours[k], ref[k], f"{path}[{k!r}]")
    elif isinstance(ref, (list, tuple)):
        assert isinstance(ours, (list, tuple)), f"{path}: expected a list, got {type(ours).__name__}"
        assert len(ours) == len(ref), f"{path}: length {len(ours)} != {len(ref)}"
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(ref, (float, np.floating)) and not isinstance(ref, bool):
        assert isinstance(ours, (float, int)) and not isinstance(ours, bool), f"{path}: {ours!r} is not a number"
        assert math.isclose(float(ours), float(ref), abs_tol=TOL), f"{path}: {ours} != {ref}"
    elif isinstance(ref, (np.integer,)):
        assert ours == int(ref), f"{path}: {ours!r} != {ref!r}"
    else:
        assert type(ours) is type(ref) and ours == ref, f"{path}: {ours!r} != {ref!r}"

"""The activations `hidden_act` may name: one table, from which each framework's implementation is looked up.

The names are the reference's (`transformers.activations.ACT2FN`) that RoBERTa checkpoints use. Each entry says
how to build the function from a framework's operations (`ArrayOps`): most are one of the framework's own
kernels; `quick_gelu` is written here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from .ops import ArrayOps


def _quick_gelu(ops: ArrayOps, x: Any) -> Any:
    return x * ops.sigmoid(1.702 * x)


# name -> the framework operation it is (a name in ArrayOps), or a function of (ops, x) written here
_TABLE: dict[str, str | Callable[[ArrayOps, Any], Any]] = {
    "gelu": "gelu",  # exact: x * Phi(x), with the error function
    "relu": "relu",
    "silu": "silu",
    "swish": "silu",
    "tanh": "tanh",
    "gelu_new": "gelu_tanh",  # the tanh approximation, as GPT-2's
    "gelu_fast": "gelu_tanh",
    "gelu_pytorch_tanh": "gelu_tanh",
    "quick_gelu": _quick_gelu,  # x * sigmoid(1.702 x)
}

ACTIVATION_NAMES: tuple[str, ...] = tuple(_TABLE)


def check_activation(name: Any) -> str:
    """`name` if the table has it; else a ValueError listing the supported names (the same in every framework)."""
    if not isinstance(name, str) or name not in _TABLE:
        raise ValueError(f"hidden_act={name!r} is not one of {ACTIVATION_NAMES}")
    return name


def activation(name: str, ops: ArrayOps) -> Callable[[Any], Any]:
    """The activation `name` as a function of one array, built from `ops` (a class: the result pickles)."""
    entry = _TABLE[check_activation(name)]
    if isinstance(entry, str):
        return getattr(ops, entry)
    return partial(entry, ops)

"""Checkpoint names: the PyTorch classes carry the reference's module tree, so a state dict key is its name on
disk. What is left to rename are the legacy forms that older files hold (`weight_arrays.py` states them for
every framework): TF-era LayerNorm leaves (`gamma` / `beta`), the LM head's bias saved under the decoder's name
alone, and buffers that old checkpoints saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from ..weight_arrays import BIAS_ALIAS, BUFFERS, LEGACY_LEAVES


def from_disk(state: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Names found on disk -> the model's names, resolving the legacy forms. Values (tensors or stored
    tensors) pass through unread. Takes ownership of `state` and empties it. Returns (state, ignored keys)."""
    alias, target = BIAS_ALIAS
    names = set(state)
    out: dict[str, Any] = {}
    ignored: list[str] = []
    for name in list(state):
        tensor = state.pop(name)
        if BUFFERS.search(name):
            ignored.append(name)
            continue
        head, _, leaf = name.rpartition(".")
        name = f"{head}.{LEGACY_LEAVES.get(leaf, leaf)}" if head else name
        if name == alias or name.endswith("." + alias):
            renamed = name[: len(name) - len(alias)] + target
            if renamed in names:  # the same tensor as the bias beside it (one parameter, two names)
                ignored.append(name)
                continue
            name = renamed
        out[name] = tensor
    return out, ignored


def add_or_strip_prefix(
    state: dict[str, torch.Tensor], expected: Iterable[str], prefix: str
) -> dict[str, torch.Tensor]:
    """Match a base checkpoint to a head model (add `prefix.`) or a head checkpoint to a base model (strip it)."""
    expected = set(expected)
    has_prefix = any(k.startswith(prefix + ".") for k in state)
    wants_prefix = any(k.startswith(prefix + ".") for k in expected)
    if wants_prefix and not has_prefix:
        return {(f"{prefix}.{k}" if f"{prefix}.{k}" in expected else k): v for k, v in state.items()}
    if has_prefix and not wants_prefix:
        return {(k[len(prefix) + 1 :] if k.startswith(prefix + ".") else k): v for k, v in state.items()}
    return state

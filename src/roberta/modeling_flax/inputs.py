"""Checks and conversions of the arrays a Flax model is called with (concrete inputs only: under a user's
`jax.jit` the values are not known, and the shapes were checked on the first call)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model_facts import check_id_range, position_table_message, usable_positions
from .spec import ModelSpec

TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "position_ids")


def _ints(name: str, x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int32, copy=False)


def _check_range(name: str, arr: np.ndarray, limit: int, limit_name: str) -> None:
    if arr.size:
        check_id_range(name, int(arr.max()), int(arr.min()), limit, limit_name)


def check_inputs(spec: ModelSpec, inputs: dict, *, choices: bool, past: int) -> dict:
    """Validate concrete inputs and return them as NumPy int32 arrays (float arrays left as they are)."""
    ids = _ints("input_ids", inputs["input_ids"])
    want = 3 if choices else 2
    if ids.ndim != want:
        layout = "(batch, num_choices, seq)" if choices else "(batch, seq)"
        raise ValueError(f"input_ids must be shaped {layout}, got {ids.shape}")
    _check_range("input_ids", ids, spec.vocab_size, "vocab_size")
    out = dict(inputs, input_ids=ids)
    for name in ("token_type_ids", "position_ids"):
        if inputs[name] is not None:
            arr = _ints(name, inputs[name])
            if arr.shape != ids.shape:
                raise ValueError(f"{name} must have the shape of input_ids {ids.shape}, got {arr.shape}")
            out[name] = arr
    if out["token_type_ids"] is not None:
        _check_range("token_type_ids", out["token_type_ids"], spec.type_vocab_size, "type_vocab_size")
    if out["position_ids"] is not None:
        _check_range("position_ids", out["position_ids"], spec.max_positions, "max_position_embeddings")
    elif spec.relative is None:
        if past + ids.shape[-1] > usable_positions(spec.max_positions, spec.pad_token_id):
            found = f"a sequence of {past + ids.shape[-1]} tokens"
            raise ValueError(position_table_message(spec.max_positions, spec.pad_token_id, found))
    if inputs["attention_mask"] is not None:
        mask = np.asarray(inputs["attention_mask"])
        if mask.shape[0] != ids.shape[0] or (mask.ndim == ids.ndim and mask.shape[-1] < ids.shape[-1]):
            raise ValueError(f"attention_mask of shape {mask.shape} does not fit input_ids of shape {ids.shape}")
        out["attention_mask"] = mask.astype(np.int32, copy=False)
    states = inputs["encoder_hidden_states"]
    if states is not None and (np.ndim(states) != 3 or np.shape(states)[-1] != spec.hidden_size):
        raise ValueError(
            f"encoder_hidden_states must be shaped (batch, seq, hidden_size={spec.hidden_size}), got {np.shape(states)}"
        )
    return out


def cache_index(cache: Any) -> int:
    """Tokens already held by a cache from `init_cache` (its `cache_index`), 0 if it has none."""
    if isinstance(cache, dict):
        if "cache_index" in cache:
            return int(cache["cache_index"])
        for value in cache.values():
            found = cache_index(value)
            if found:
                return found
    return 0

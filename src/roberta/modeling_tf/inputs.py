"""Call arguments of the TF classes: the reference's input forms, gathered once and checked.

Like the reference, a model accepts its inputs as keywords, as one tensor (the input ids), or as a list / tuple
(in the order of `call`'s parameters) or a dict (by name) in the first position, which is how Keras passes
inputs from `fit` and `predict`. Bad input raises `ValueError` / `TypeError` naming what was wrong; in a traced
graph, value checks become assertions that fail when the graph runs (and are left out under XLA).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..model_facts import check_id_range, position_table_message
from ._keras import in_xla, tf

FLAGS = frozenset({"use_cache", "output_attentions", "output_hidden_states", "return_dict", "training"})


def gather(names: Sequence[str], values: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs of a call by name, as tensors (and flags); `values` holds `call`'s arguments by name."""
    first_name = names[0]
    args = {n: values[n] for n in names}
    first = args[first_name]
    if isinstance(first, Mapping):
        args[first_name] = None
        for key, value in first.items():
            if key not in args:
                raise TypeError(f"unexpected input {key!r}; this model takes {list(names)}")
            if args[key] is not None and key != first_name:
                raise ValueError(f"{key} was given both in the input dict and as a keyword")
            args[key] = value
    elif isinstance(first, (list, tuple)) and not _is_nested_ids(first):
        if len(first) > len(names):
            raise ValueError(f"got {len(first)} positional inputs; this model takes at most {len(names)}")
        args[first_name] = None
        for key, value in zip(names, first):
            args[key] = value
    return {k: (v if k in FLAGS else _to_tensor(v)) for k, v in args.items()}


def unpack_inputs(call: Callable) -> Callable:
    """Decorates a model's `call` (whose signature stays the reference's): the inputs, in any of the reference's
    forms, arrive as `call`'s own arguments, as tensors, with flags left None set from the model's config."""
    signature = inspect.signature(call)
    names = [p for p in signature.parameters if p != "self"]

    @functools.wraps(call)
    def unpacked(self, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        a = gather(names, bound.arguments)
        c = self.config
        for flag, default in (
            ("output_attentions", c.output_attentions),
            ("output_hidden_states", c.output_hidden_states),
            ("return_dict", c.use_return_dict),
            ("use_cache", c.use_cache),
        ):
            if flag in a and a[flag] is None:
                a[flag] = default
        a["training"] = bool(a["training"])
        return call(self, **a)

    unpacked.__signature__ = signature  # what Keras reads to find `training` and the first input
    return unpacked


def _is_nested_ids(value: Any) -> bool:
    """A (nested) Python list of ints, e.g. `model([[0, 31414, 2]])`: one input, not a list of inputs."""
    leaves = tf.nest.flatten(value)
    return bool(leaves) and all(
        isinstance(x, (int, np.integer)) or (isinstance(x, (tf.Tensor, np.ndarray)) and len(x.shape) == 0)
        for x in leaves
    )


def _to_tensor(value: Any) -> Any:
    if value is None or isinstance(value, (tf.Tensor, tf.Variable)):
        return value
    if isinstance(value, (tuple, list)) and not _is_nested_ids(value):  # past_key_values
        return tf.nest.map_structure(_to_tensor, value)
    return tf.convert_to_tensor(value)


def check_rank(name: str, x: tf.Tensor | None, rank: int, layout: str) -> None:
    if x is not None and x.shape.rank is not None and x.shape.rank != rank:
        raise ValueError(f"{name} must be shaped {layout}, got shape {tuple(x.shape)}")


def check_ids(name: str, ids: tf.Tensor | None, limit: int, limit_name: str) -> tf.Tensor | None:
    """Integer ids in [0, limit): TypeError for another dtype, ValueError (eager) or a failing assertion (graph).

    Returns `ids`; in a graph, made to wait for the assertion (so it fails before a lookup would)."""
    if ids is None:
        return None
    if not ids.dtype.is_integer:
        raise TypeError(f"{name} must hold integers (int32 or int64), got dtype {ids.dtype.name}")
    message = f"{name} must lie in [0, {limit}) set by {limit_name}={limit}"
    if tf.executing_eagerly():
        values = ids.numpy()
        if values.size:
            check_id_range(name, int(values.max()), int(values.min()), limit, limit_name)
        return ids
    return _guarded(ids, tf.logical_and(ids >= 0, ids < tf.cast(limit, ids.dtype)), message)


def check_positions(position_ids: tf.Tensor, max_positions: int, padding_idx: int) -> tf.Tensor:
    """Positions must fit the position table; the message says how long inputs may be. Returns position_ids
    (in a graph, made to wait for the assertion)."""
    message = position_table_message(max_positions, padding_idx)
    if tf.executing_eagerly():
        values = position_ids.numpy()
        if values.size and (values.max() >= max_positions or values.min() < 0):
            bad = int(values.max()) if values.max() >= max_positions else int(values.min())
            raise ValueError(position_table_message(max_positions, padding_idx, f"position id {bad}"))
        return position_ids
    limit = tf.cast(max_positions, position_ids.dtype)
    return _guarded(position_ids, tf.logical_and(position_ids >= 0, position_ids < limit), message)


def _guarded(x: tf.Tensor, valid: tf.Tensor, message: str) -> tf.Tensor:
    """x, made to wait for an assertion that every entry of `valid` holds (none under XLA, which cannot run
    it). One plain Assert op with a constant message: no branch to build the message at run time."""
    if in_xla():
        return x
    with tf.control_dependencies([tf.debugging.Assert(tf.reduce_all(valid), [message])]):
        return tf.identity(x)

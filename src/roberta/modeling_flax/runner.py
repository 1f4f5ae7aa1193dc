"""The Flax classes inside the pipelines: a runner (see `roberta.pipelines.backends`) around a Flax model.

The pipelines hand over padded int64 NumPy batches; the model's call buckets them by length and runs them
jitted, and the runner returns its named outputs as NumPy arrays.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from .._auto_base import auto_class_of
from .base import FlaxRobertaPreTrainedModel


class FlaxRunner:
    """`runner(input_ids, attention_mask) -> {output name: np.ndarray}` for one Flax model."""

    def __init__(self, model: FlaxRobertaPreTrainedModel) -> None:
        self.model, self.config = model, model.config
        self.model_class = type(model).__name__

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> dict[str, np.ndarray]:
        out = self.model(input_ids, attention_mask)
        return {name: np.asarray(value) for name, value in out.items() if not isinstance(value, (tuple, dict))}


def _compute_dtype(dtype: Any) -> Any:
    """A pipeline dtype (a torch dtype, its name, or None) -> the Flax compute dtype."""
    if dtype is None:
        return jnp.float32
    return jnp.dtype(str(dtype).removeprefix("torch."))


def load(path: str, model_class: str, dtype: Any) -> FlaxRunner:
    """Load the checkpoint at `path` with the Flax class of `model_class`'s head, of the checkpoint's family."""
    return FlaxRunner(auto_class_of(model_class, "flax").from_pretrained(path, dtype=_compute_dtype(dtype)))


def wrap(model: Any) -> FlaxRunner:
    if not isinstance(model, FlaxRobertaPreTrainedModel):
        raise TypeError(f"expected a Flax roberta model, got {type(model).__name__}")
    return FlaxRunner(model)

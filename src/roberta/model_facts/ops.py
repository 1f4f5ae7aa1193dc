"""The array operations the facts compute with, which each framework provides (one class of static methods).

Every operation works along the last axis where it has one, keeps its input's dtype, and must be traceable
(`torch.jit.trace` / `torch.export`, `tf.function`, `jax.jit`) wherever the facts run inside a traced program.
"""

from __future__ import annotations

from typing import Any, Protocol

Array = Any  # a torch.Tensor, tf.Tensor or jax.Array


class ArrayOps(Protocol):
    """What `activations.py`, `positions.py` and `sampling.py` need from a framework."""

    # Kept repeat: a Protocol's one-line stubs: one per operation a framework provides.
    # activations: the framework's own kernels (exact erf GELU, tanh-approximated GELU, ...)
    @staticmethod
    def gelu(x: Array) -> Array: ...
    @staticmethod
    def gelu_tanh(x: Array) -> Array: ...
    @staticmethod
    def relu(x: Array) -> Array: ...
    @staticmethod
    def silu(x: Array) -> Array: ...
    @staticmethod
    def tanh(x: Array) -> Array: ...
    @staticmethod
    def sigmoid(x: Array) -> Array: ...

    # positions
    @staticmethod
    def as_int(x: Array) -> Array:
        """A boolean array as int32 (1 where true)."""

    @staticmethod
    def cumsum(x: Array) -> Array:
        """Running sums along the last axis, in x's dtype."""

    # sampling, on (batch, vocab) float scores
    @staticmethod
    def kth_largest(x: Array, k: Any) -> Array:
        """(batch, 1): the k-th largest entry of each row, k (an int or a traced integer) clipped to [1, vocab]."""

    @staticmethod
    def sort(x: Array) -> tuple[Array, Array]:
        """(ascending values, their indices) of each row."""

    @staticmethod
    def unsort(values: Array, order: Array) -> Array:
        """Puts values back where `order` (from `sort`) took them from: out[i, order[i, j]] = values[i, j]."""

    @staticmethod
    def softmax(x: Array) -> Array: ...

    @staticmethod
    def index(x: Array) -> Array:
        """0, 1, ..., n - 1 along x's last axis (int32, broadcastable against x)."""

    @staticmethod
    def drop(x: Array, cond: Array) -> Array:
        """x with -inf where cond holds."""

    @staticmethod
    def where(cond: Array, x: Array, y: Array) -> Array:
        """x where cond (a traced boolean, possibly a scalar) holds, else y."""

"""JAX's `ArrayOps` (`model_facts/ops.py`): the operations the shared model facts compute with (all jit-able;
`kth_largest` takes a traced k)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _gelu_exact(x):
    return jax.nn.gelu(x, approximate=False)


def _gelu_tanh(x):
    return jax.nn.gelu(x, approximate=True)


class JaxOps:
    gelu = staticmethod(_gelu_exact)
    gelu_tanh = staticmethod(_gelu_tanh)
    relu = staticmethod(jax.nn.relu)
    silu = staticmethod(jax.nn.silu)
    tanh = staticmethod(jnp.tanh)
    sigmoid = staticmethod(jax.nn.sigmoid)

    @staticmethod
    def as_int(x):
        return x.astype(jnp.int32)

    @staticmethod
    def cumsum(x):
        return jnp.cumsum(x, axis=-1, dtype=x.dtype)

    @staticmethod
    def kth_largest(x, k):
        descending = -jnp.sort(-x, axis=-1)
        return jnp.take(descending, jnp.clip(k, 1, x.shape[-1]) - 1, axis=-1)[..., None]

    @staticmethod
    def sort(x):
        order = jnp.argsort(x, axis=-1)
        return jnp.take_along_axis(x, order, axis=-1), order

    @staticmethod
    def unsort(values, order):
        rows = jnp.arange(values.shape[0])[:, None]
        return jnp.zeros_like(values).at[rows, order].set(values)

    @staticmethod
    def softmax(x):
        return jax.nn.softmax(x, axis=-1)

    @staticmethod
    def index(x):
        return jnp.arange(x.shape[-1])

    @staticmethod
    def drop(x, cond):
        return jnp.where(cond, -jnp.inf, x)

    @staticmethod
    def where(cond, x, y):
        return jnp.where(cond, x, y)

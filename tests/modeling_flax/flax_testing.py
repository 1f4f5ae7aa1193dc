"""Helpers of the Flax tests (imported by name: pytest puts this folder on sys.path for its tests)."""

from __future__ import annotations

import jax
import numpy as np
import torch


def to_torch(x):
    """JAX / NumPy arrays (or tuples of them) as torch tensors, for roberta_testing.assert_close."""
    if isinstance(x, (tuple, list)):
        return type(x)(to_torch(v) for v in x)
    return torch.from_numpy(np.array(x, dtype=np.float32))


def mixed_batch(lengths=(16, 12, 8, 5), t: int = 24, vocab: int = 99, seed: int = 0):
    """Right-padded ids of the given real lengths in width t, and their mask. The default rows all fit length
    bucket 16: the bucketed call trims them and runs one chunk."""
    g = np.random.default_rng(seed)
    ids = g.integers(3, vocab, (len(lengths), t))
    ids[:, 0] = 0
    mask = np.ones_like(ids)
    for row, n in enumerate(lengths):
        ids[row, n:], mask[row, n:] = 1, 0
    return ids, mask


def max_diff(a, b, mask=None) -> float:
    a, b = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    assert a.shape == b.shape, f"{a.shape} vs {b.shape}"
    if mask is not None and a.ndim >= 2 and a.shape[:2] == mask.shape:
        a, b = a[mask.astype(bool)], b[mask.astype(bool)]
    return float(np.abs(a - b).max()) if a.size else 0.0


def tree_max_diff(a, b) -> float:
    diffs = jax.tree_util.tree_map(lambda x, y: max_diff(x, y), a, b)
    return max(jax.tree_util.tree_leaves(diffs))

"""The sampling filters of `generate`: temperature, then top-k, then top-p (nucleus), in the reference's order.

Written once against `ArrayOps`, for (batch, vocab) float scores of any framework. Options given as Python
numbers decide in Python whether a filter runs (it runs only where the reference adds its logits warper);
options that are traced arrays (inside `jax.jit`) compute every filter and choose with `ops.where`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .ops import ArrayOps


def _static(value: Any) -> bool:
    return isinstance(value, (int, float))


def _switch(ops: ArrayOps, on: Any, scores: Any, filtered: Callable[[Any], Any]) -> Any:
    """`filtered(scores)` where `on` holds: chosen in Python for a Python bool, else with ops.where."""
    if isinstance(on, bool):
        return filtered(scores) if on else scores
    return ops.where(on, filtered(scores), scores)


def filter_logits(
    ops: ArrayOps, logits: Any, temperature: Any = 1.0, top_k: Any = 0, top_p: Any = 1.0, min_tokens_to_keep: int = 1
) -> Any:
    """Scores divided by `temperature`, then all but the `top_k` highest (0: off) and all outside the smallest
    set whose probability reaches `top_p` (1.0: off) set to -inf; each filter keeps at least
    `min_tokens_to_keep` tokens (beam search keeps more), as the reference's warpers."""
    if not _static(temperature) or temperature != 1.0:
        logits = logits / temperature

    def top_k_filter(scores: Any) -> Any:
        k = top_k if min_tokens_to_keep <= 1 else max(top_k, min_tokens_to_keep)
        return ops.drop(scores, scores < ops.kth_largest(scores, k))

    def top_p_filter(scores: Any) -> Any:
        ascending, order = ops.sort(scores)
        cumulative = ops.cumsum(ops.softmax(ascending))
        vocab = scores.shape[-1]
        remove = (cumulative <= 1 - top_p) & (ops.index(ascending) < vocab - min_tokens_to_keep)
        return ops.drop(scores, ops.unsort(remove, order))  # the most likely tokens always stay

    logits = _switch(ops, top_k > 0, logits, top_k_filter)  # a Python bool for Python options
    return _switch(ops, top_p < 1.0, logits, top_p_filter)

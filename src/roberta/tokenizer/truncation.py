"""Truncating one sequence or a pair of id lists, as the reference's slow tokenizers do."""

from __future__ import annotations

import logging

from .options import TruncationStrategy

logger = logging.getLogger(__name__)


def _cut_or_keep(seq: list[int], n: int, stride: int, side: str, which: str) -> tuple[list[int], list[int]]:
    """`seq` less `n` tokens and the overflow, or, when it is too short to lose them, `seq` whole (the
    reference logs this error and does the same)."""
    if len(seq) > n:
        return _cut(seq, n, stride, side)
    logger.error(
        "We need to remove %d tokens to truncate the input but the %s sequence has a length %d.", n, which, len(seq)
    )
    return seq, []


def _cut(ids: list[int], n: int, stride: int, side: str) -> tuple[list[int], list[int]]:
    """Remove `n` tokens from `side`; the overflow keeps `stride` extra tokens of context."""
    window = min(len(ids), stride + n)
    if side == "left":
        return ids[n:], ids[:window]
    return ids[:-n], ids[-window:]


def truncate_pair(
    ids: list[int], pair: list[int] | None, n: int, strategy: TruncationStrategy, stride: int = 0, side: str = "right"
) -> tuple[list[int], list[int] | None, list[int]]:
    """Remove `n` tokens from `ids`/`pair` by `strategy`; returns (ids, pair, overflowing_tokens).

    When the chosen sequence is too short to lose `n` tokens nothing is removed (the reference logs an
    error and does the same).
    """
    if side not in ("left", "right"):
        raise ValueError(f"truncation_side must be 'left' or 'right', got {side!r}")
    if n <= 0:
        return ids, pair, []
    if strategy == TruncationStrategy.ONLY_FIRST or (strategy == TruncationStrategy.LONGEST_FIRST and pair is None):
        ids, overflow = _cut_or_keep(ids, n, stride, side, "first")
        return ids, pair, overflow
    if strategy == TruncationStrategy.LONGEST_FIRST:
        len_pair = len(pair)
        first_remove = min(abs(len_pair - len(ids)), n)
        second_remove = n - first_remove
        if len(ids) > len_pair:
            from_ids, from_pair = first_remove + second_remove // 2, second_remove - second_remove // 2
        else:
            from_ids, from_pair = second_remove // 2, first_remove + second_remove - second_remove // 2
        if side == "right":
            ids = ids[:-from_ids] if from_ids > 0 else ids
            pair = pair[:-from_pair] if from_pair > 0 else pair
        else:
            ids, pair = ids[from_ids:], pair[from_pair:]
        return ids, pair, []
    if strategy == TruncationStrategy.ONLY_SECOND and pair is not None:
        pair, overflow = _cut_or_keep(pair, n, stride, side, "second")
        return ids, pair, overflow
    return ids, pair, []

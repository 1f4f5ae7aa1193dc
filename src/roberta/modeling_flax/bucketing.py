"""Length bucketing: run a padded batch as a few fixed-shape chunks of rows of similar length.

Under `jax.jit` every input shape is its own compiled program, and a padded batch spends most of its work on
padding. The wrapper classes therefore cut a concrete (B, T) batch into chunks: rows are trimmed after their
last real token, rounded up to a length from a fixed ladder (16, 24, 32, 48, 64, 96, ...), and grouped in
power-of-two row counts. A handful of shapes serves any batch, and trimmed positions are only padding: real
tokens get the numbers of the padded call (positions past a row's chunk length come back as zeros).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_LENGTH = 16


def bucket_length(n: int, width: int) -> int:
    """The smallest ladder length >= n (two steps per doubling above MIN_LENGTH), at most `width`."""
    length = MIN_LENGTH
    while length < n:
        half = 1 << (length.bit_length() - 1)  # the power of two at or below `length`
        length += half // 2
    return min(length, width)


@dataclass(frozen=True)
class Chunk:
    rows: np.ndarray  # batch rows, padded to a power of two by repeating the last one
    real: int  # how many of `rows` are real (the rest are repeats whose results are dropped)
    length: int


def plan(mask: np.ndarray, max_rows: int = 64) -> list[Chunk] | None:
    """Chunks for a (B, T) attention mask, or None when bucketing would not trim anything."""
    b, t = mask.shape
    real = mask != 0
    if t <= MIN_LENGTH or real[:, -1].all():
        return None  # every row reaches the last column: nothing to trim
    last = np.where(real.any(axis=1), t - np.argmax(real[:, ::-1], axis=1), 1)  # one past the last real token
    lengths = np.array([bucket_length(int(n), t) for n in last])
    if (lengths == t).all():
        return None
    chunks = []
    for length in np.unique(lengths):
        group = np.flatnonzero(lengths == length)
        for start in range(0, len(group), max_rows):
            rows = group[start : start + max_rows]
            for size in _row_counts(len(rows)):
                take, rows = rows[:size], rows[size:]
                padded = np.concatenate([take, np.repeat(take[-1:], size - len(take))])
                chunks.append(Chunk(padded, len(take), int(length)))
    return chunks


def _row_counts(n: int) -> list[int]:
    """Power-of-two chunk sizes covering n rows: the largest power p <= n, then the remainder r rounded up to
    a power of two; one chunk of 2p instead when r > p / 2 (fewer calls, under p / 2 repeated rows)."""
    p = 1 << (n.bit_length() - 1)
    r = n - p
    if r == 0:
        return [p]
    if 2 * r > p:
        return [2 * p]
    return [p, 1 << (r - 1).bit_length()]


def slice_rows(chunk: Chunk, x, token_level: bool):
    """The chunk's rows of an input (and its first `length` columns for per-token inputs)."""
    if x is None:
        return None
    x = x[chunk.rows]
    return x[:, : chunk.length] if token_level else x


def assemble(chunks: list[Chunk], parts: list, batch: int, width: int, token_level: bool) -> np.ndarray:
    """Put the chunks' results of one output back in batch order: (B, T, ...) for per-token outputs (zeros
    past each row's chunk length), (B, ...) for per-row outputs."""
    first = np.asarray(parts[0])
    shape = (batch, width) + first.shape[2:] if token_level else (batch,) + first.shape[1:]
    out = np.zeros(shape, dtype=first.dtype)
    for chunk, part in zip(chunks, parts):
        part = np.asarray(part)[: chunk.real]
        rows = chunk.rows[: chunk.real]
        if token_level:
            out[rows, : chunk.length] = part
        else:
            out[rows] = part
    return out

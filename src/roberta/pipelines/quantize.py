"""Embedding precision and Matryoshka truncation, with sentence-transformers' (5.x) semantics, so that
`precision=` and `truncate_dim=` give what `SentenceTransformer.encode(precision=, truncate_dim=)` gives.

* "float32": the vectors as they are;
* "int8" / "uint8": each dimension cut into 256 buckets between a low and a high value: bucket
  `clip(floor((x - low) / ((high - low) / 255)), 0, 255)` (a step of 0 counts as 1), minus 128 for int8.
  The ranges are `ranges` (shape (2, dim): the lows, then the highs) when given, else the per-dimension
  minimum and maximum of `calibration` embeddings when given, else of the embeddings being quantized, as
  `quantize_embeddings` does: so without ranges the answer depends on the other inputs of the call (one input
  alone maps every dimension to bucket 0). Give ranges measured on a corpus for stable codes;
* "binary" / "ubinary": one bit per dimension (x > 0), packed 8 to a byte, the first dimension in the highest
  bit; "binary" subtracts 128 from each byte and holds it as int8.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")


def check_precision(precision: Any) -> str:
    """`precision` if it is one of PRECISIONS, else a ValueError naming them."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return precision


def check_truncate_dim(truncate_dim: Any, size: int) -> int | None:
    """`truncate_dim` (None, or an int from 1 to the embedding's `size`)."""
    if truncate_dim is None:
        return None
    if not isinstance(truncate_dim, int) or isinstance(truncate_dim, bool) or not 1 <= truncate_dim <= size:
        raise ValueError(f"truncate_dim must be an int from 1 to the embedding size {size}, got {truncate_dim!r}")
    return truncate_dim


def quantize(embeddings: np.ndarray, precision: str, ranges: Any = None, calibration: Any = None) -> np.ndarray:
    """(n, dim) float embeddings at `precision` (see the module docstring): float32, int8 or uint8 (n, dim),
    binary (int8) or ubinary (uint8) (n, ceil(dim / 8))."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim != 2:
        raise ValueError(f"quantize takes (inputs, dim) embeddings, got shape {embeddings.shape}")
    check_precision(precision)
    if precision == "float32":
        return embeddings
    if precision in ("binary", "ubinary"):
        packed = np.packbits(embeddings > 0, axis=-1).reshape(embeddings.shape[0], -1)
        return (packed - 128).astype(np.int8) if precision == "binary" else packed
    lows, highs = _ranges(embeddings, ranges, calibration)
    steps = (highs - lows) / 255
    steps = np.where(steps == 0, 1, steps)
    buckets = np.clip(np.floor((embeddings - lows) / steps), 0, 255)
    return buckets.astype(np.uint8) if precision == "uint8" else (buckets - 128).astype(np.int8)


def _ranges(embeddings: np.ndarray, ranges: Any, calibration: Any) -> tuple[np.ndarray, np.ndarray]:
    dim = embeddings.shape[1]
    if ranges is not None:
        ranges = np.asarray(ranges)  # its own dtype, as quantize_embeddings computes with it
        if ranges.shape != (2, dim):
            raise ValueError(f"ranges must be shaped (2, {dim}) (the lows, then the highs), got {ranges.shape}")
        return ranges[0], ranges[1]
    source = embeddings if calibration is None else np.asarray(calibration)
    if source.ndim != 2 or source.shape[1] != dim:
        raise ValueError(f"calibration embeddings must be shaped (n, {dim}), got {source.shape}")
    return source.min(axis=0), source.max(axis=0)

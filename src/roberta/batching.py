"""The one batch padder: ragged lists (of any depth) -> right-padded arrays, and id rows -> a model batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def _shape(values: Any) -> tuple[int, ...]:
    if not isinstance(values, (list, tuple, np.ndarray)):
        return ()
    inner = [_shape(v) for v in values]
    if not inner or not inner[0]:
        return (len(values),)
    return (len(values), *(max(s[d] for s in inner) for d in range(len(inner[0]))))


def pad(values: Sequence[Any], fill: Any, dtype: Any = np.int64) -> np.ndarray:
    """Nested sequences (rows of ids, rows of choices of ids, ...) right-padded with `fill` into one array."""
    out = np.full(_shape(values), fill, dtype=dtype)

    def put(dst: np.ndarray, src: Any) -> None:
        if dst.ndim == 1:
            dst[: len(src)] = src
        else:
            for i, s in enumerate(src):
                put(dst[i], s)

    put(out, values)
    return out


def pad_batch(
    rows: Sequence[Sequence[int]], pad_id: int, labels: Sequence[Sequence[int]] | None = None
) -> dict[str, torch.Tensor]:
    """Right-pad id rows into `input_ids` and `attention_mask` (and `labels`, padded with -100)."""
    out = {
        "input_ids": torch.from_numpy(pad(rows, pad_id)),
        "attention_mask": torch.from_numpy(pad([[1] * len(r) for r in rows], 0)),
    }
    if labels is not None:
        out["labels"] = torch.from_numpy(pad(labels, -100))
    return out

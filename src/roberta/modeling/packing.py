"""Unpadded execution: run per-token work (linears, LayerNorm, GELU) only on real tokens.

A padded batch (B, T) with N real tokens is packed into one (N, C) tensor. Attention, the only step that
mixes tokens, unpacks queries/keys/values and runs with a padding bias, so every real token sees exactly what
it sees in the padded computation. For encoders with absolute positions, rows are sorted by length and split
into buckets, each unpacked only to its own longest row (less padding inside attention too); otherwise
attention unpacks to the full (B, T). Padded positions come back as zeros,
except position 0 of every row, which is always computed because the pooler and the classification head
read it (with left padding it is a pad token, and the reference computes it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# Packing pays a gather and a scatter per layer; below this fraction of padding it is not worth it.
MIN_PADDING_FRACTION = 0.05


MAX_BUCKETS = 8
ROWS_PER_BUCKET = 8  # at least this many rows share one attention call


@dataclass(frozen=True)
class Bucket:
    """Rows of similar length attended together in a (rows, length) buffer."""

    rows: int
    length: int
    tokens: torch.Tensor  # (n,) indices into the packed (N, C) tensor
    slots: torch.Tensor  # (n,) where each of those tokens sits in the (rows * length) buffer
    bias: torch.Tensor  # (rows, 1, 1, length) additive key mask: padding and empty slots masked


@dataclass(frozen=True)
class Packing:
    index: torch.Tensor  # (N,) flat indices into the (B * T) positions that are computed
    batch: int
    length: int
    buckets: tuple[Bucket, ...] | None = None

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (N, C)."""
        return x.reshape(self.batch * self.length, -1).index_select(0, self.index)

    def unpack(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C) -> (B, T, C), zeros where nothing was computed."""
        out = x.new_zeros(self.batch * self.length, x.size(-1))
        out.index_copy_(0, self.index, x)
        return out.view(self.batch, self.length, -1)


def plan_packing(
    attention_mask: torch.Tensor | None,
    batch: int,
    length: int,
    also_keep: torch.Tensor | None = None,
    *,
    bucket_dtype: torch.dtype | None = None,
) -> Packing | None:
    """A Packing for a (B, T) padding mask (plus `also_keep` positions), or None when there is too little
    padding to gain from it. With `bucket_dtype`, also plan length buckets for attention (biases in it)."""
    if attention_mask is None or attention_mask.dim() != 2 or attention_mask.shape != (batch, length):
        return None
    keep = attention_mask.bool().clone()
    keep[:, 0] = True
    if also_keep is not None:
        keep |= also_keep.to(keep.device).bool()
    n = int(keep.sum())
    if n > (1.0 - MIN_PADDING_FRACTION) * batch * length:
        return None
    index = keep.flatten().nonzero().squeeze(1)
    buckets = _plan_buckets(keep, attention_mask, bucket_dtype) if bucket_dtype is not None else None
    return Packing(index, batch, length, buckets)


def _plan_buckets(keep: torch.Tensor, attention_mask: torch.Tensor, dtype: torch.dtype) -> tuple[Bucket, ...]:
    batch = keep.size(0)
    packed_pos = (keep.flatten().long().cumsum(0) - 1).view_as(keep)  # (B, T) index into the packed tensor
    counts = keep.sum(1)
    order = torch.argsort(counts, stable=True)
    groups = torch.tensor_split(order, min(MAX_BUCKETS, max(1, batch // ROWS_PER_BUCKET)))
    out = []
    for rows in groups:
        sub = keep[rows]  # (b, T)
        b, width = rows.numel(), int(counts[rows].max())
        rank = sub.long().cumsum(1) - 1  # position of each kept token inside its row's compacted run
        slots = (torch.arange(b, device=keep.device)[:, None] * width + rank)[sub]
        tokens = packed_pos[rows][sub]
        key_ok = torch.zeros(b * width, dtype=dtype, device=keep.device)
        key_ok[slots] = attention_mask[rows][sub].to(dtype)
        bias = ((1.0 - key_ok) * torch.finfo(dtype).min).view(b, 1, 1, width)
        out.append(Bucket(b, width, tokens, slots, bias))
    return tuple(out)

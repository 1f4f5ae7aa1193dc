"""How one forward pass lays its (B, T) batch out: chosen once in `RobertaModel`, used by every layer and head.

* **Padded**: hidden states stay (B, T, C) and attention sees the whole batch with its padding bias, as in the
  reference. Taken with a KV cache, when attention weights or a head mask are asked for, when a head needs every
  position, for `attn_implementation="eager"` / `"sdpa"`, and when there is too little padding to gain.
* **Packed** (the default, `"unpadded"`): per-token work (linears, LayerNorm, GELU, the heads' projections) runs
  on the N real tokens as one (N, C) tensor. Attention, the only step that mixes tokens, gathers each *group* of
  rows into a (rows, length) buffer, runs the kernel on it and scatters the result back. For encoders with
  absolute positions the rows are sorted by length into groups of similar lengths (`split_rows`), each cut to
  its own longest row (less padding inside attention too); otherwise (decoders, relative positions,
  cross-attention) one group holds every row at full width, so positions and biases are those of the padded
  batch.

Position 0 of every row is always computed, because the pooler and the <s> heads read it (with left padding it
is a pad token, which the reference computes too). Other padded positions come back as zeros.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

# Packing pays a gather and a scatter per layer; below this fraction of padding it is not worth it.
MIN_PADDING_FRACTION = 0.05
# What one more attention call per layer costs, in the unit of a group's attention work (rows x width^2):
# the gather, scatter and kernel call of a group cost about what one 45-token row's attention does.
# Throughput is flat over a wide range of values around it, and both extremes (fixed-size groups, one group
# per batch) were slower on mixed-length batches; `split_rows` trades the two (docs/performance.md, "Tuned
# constants", has the figures).
GROUP_COST = 2048
MAX_ROWS_PER_GROUP = 64  # bounds the search: a group never needs more rows to amortise its cost


@dataclass(frozen=True)
class Group:
    """Rows attended together in one (rows, length) buffer."""

    rows: int
    length: int
    tokens: torch.Tensor | None  # (n,) rows of the packed tensor that fill the buffer; None: all, in order
    slots: torch.Tensor | None  # (n,) where they sit in the flattened (rows * length) buffer; None: padded
    bias: torch.Tensor | None  # additive self-attention bias for the buffer, or None when nothing is masked


@dataclass(frozen=True)
class Layout:
    batch: int
    length: int
    groups: tuple[Group, ...]
    index: torch.Tensor | None = None  # (N,) flat (B * T) positions that are computed; None: padded

    @property
    def packed(self) -> bool:
        return self.index is not None

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> the working form: (N, C) packed, or unchanged when padded."""
        if self.index is None:
            return x
        return x.reshape(self.batch * self.length, -1).index_select(0, self.index)

    def unpack(self, h: torch.Tensor) -> torch.Tensor:
        """The working form -> (B, T, C), zeros where nothing was computed."""
        if self.index is None:
            return h
        out = h.new_zeros(self.batch * self.length, h.size(-1))
        out.index_copy_(0, self.index, h)
        return out.view(self.batch, self.length, -1)

    def attend(
        self,
        projs: Sequence[torch.Tensor],
        width: int,
        fn: Callable[[list[torch.Tensor], Group], torch.Tensor],
    ) -> torch.Tensor:
        """Run `fn(buffers, group) -> (rows, length, width)` over every group, where `buffers` holds each working
        tensor of `projs` (projected queries / keys / values) gathered into that group's (rows, length, C)
        buffer, and return its results in working form."""
        if self.index is None:
            return fn(list(projs), self.groups[0])
        out = projs[0].new_empty(projs[0].size(0), width)
        for g in self.groups:
            bufs = []
            for proj in projs:
                src = proj if g.tokens is None else proj.index_select(0, g.tokens)
                buf = proj.new_zeros(g.rows * g.length, proj.size(-1))
                buf.index_copy_(0, g.slots, src)
                bufs.append(buf.view(g.rows, g.length, -1))
            res = fn(bufs, g).reshape(g.rows * g.length, width).index_select(0, g.slots)
            if g.tokens is None:
                out = res
            else:
                out.index_copy_(0, g.tokens, res)
        return out


def padded(batch: int, length: int, bias: torch.Tensor | None) -> Layout:
    return Layout(batch, length, (Group(batch, length, None, None, bias),))


def plan(
    attention_mask: torch.Tensor | None,
    batch: int,
    length: int,
    *,
    bias: torch.Tensor | None,
    compact: bool,
    keep: torch.Tensor | None = None,
) -> Layout:
    """The packed layout for a (B, T) padding mask (plus `keep` positions that must be computed, e.g. labelled
    padding), or the padded one when there is too little padding. `bias` is the padded batch's self-attention
    bias (full-width groups use it); `compact` cuts groups to their rows' lengths (absolute-position encoders)."""
    if attention_mask is None or attention_mask.dim() != 2 or attention_mask.shape != (batch, length):
        return padded(batch, length, bias)
    computed = attention_mask.bool().clone()
    computed[:, 0] = True
    if keep is not None:
        computed |= keep.to(computed.device).bool()
    if int(computed.sum()) > (1.0 - MIN_PADDING_FRACTION) * batch * length:
        return padded(batch, length, bias)
    index = computed.flatten().nonzero().squeeze(1)
    if not compact:
        return Layout(batch, length, (Group(batch, length, None, index, bias),), index)
    dtype = bias.dtype if bias is not None else torch.float32
    return Layout(batch, length, _groups(computed, attention_mask, dtype), index)


def split_rows(lengths: list[int]) -> list[int]:
    """Where to cut rows sorted by ascending length into groups: the cut points (exclusive ends) minimising
    the attention work of the groups, each `rows x (its longest row)^2`, plus `GROUP_COST` per group. Rows of
    similar lengths share a group; a long row does not pad many short ones. Dynamic programming over the cut
    before each row, looking back at most `MAX_ROWS_PER_GROUP` rows."""
    n = len(lengths)
    best = [0.0] + [math.inf] * n  # best[j]: cost of the first j rows
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        square = lengths[j - 1] ** 2
        for i in range(max(0, j - MAX_ROWS_PER_GROUP), j):
            cost = best[i] + GROUP_COST + (j - i) * square
            if cost < best[j]:
                best[j], cut[j] = cost, i
    ends = []
    j = n
    while j > 0:
        ends.append(j)
        j = cut[j]
    return ends[::-1]


def _groups(computed: torch.Tensor, attention_mask: torch.Tensor, dtype: torch.dtype) -> tuple[Group, ...]:
    """Rows sorted by length, split into groups by `split_rows`; each group's buffer is as wide as its longest
    row."""
    packed_pos = (computed.flatten().long().cumsum(0) - 1).view_as(computed)  # (B, T) index into the packed tensor
    counts = computed.sum(1)
    order = torch.argsort(counts, stable=True)
    ends = split_rows(counts[order].tolist())
    out = []
    for rows in torch.tensor_split(order, ends[:-1]):
        sub = computed[rows]  # (b, T)
        b, width = rows.numel(), int(counts[rows].max())
        rank = sub.long().cumsum(1) - 1  # position of each computed token inside its row's compacted run
        slots = (torch.arange(b, device=computed.device)[:, None] * width + rank)[sub]
        key_ok = torch.zeros(b * width, dtype=dtype, device=computed.device)
        key_ok[slots] = attention_mask[rows][sub].to(dtype)
        bias = ((1.0 - key_ok) * torch.finfo(dtype).min).view(b, 1, 1, width)
        out.append(Group(b, width, packed_pos[rows][sub], slots, bias))
    return tuple(out)

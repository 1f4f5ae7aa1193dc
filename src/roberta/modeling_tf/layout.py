"""Where the tokens of a batch live while the trunk runs: all B * T positions, or only the kept ones.

The trunk works on a 2-D (tokens, hidden) tensor. With a padding mask and outside XLA, only the kept tokens
(real tokens, position 0 of every row, and positions that carry labels) are gathered once at the start, every
linear, LayerNorm and GELU runs on them alone, attention scatters them back to (B, T) for its padded product,
and the output is scattered to (B, T, hidden) with zeros at the dropped positions. Without a mask, with a cache,
or under XLA (which needs static shapes) every position is kept and packing is a reshape.
"""

from __future__ import annotations

from ._keras import tf


class Layout:
    """The plan for one call: `pack` (B, T, ...) -> (N, ...) and `unpack` back; chosen once per forward pass."""

    def __init__(self, batch: tf.Tensor, length: tf.Tensor, index: tf.Tensor | None = None) -> None:
        self.batch, self.length = batch, length
        self.index = index  # (N, 1) flat positions of the kept tokens, or None: every position is kept

    @classmethod
    def plan(cls, batch, length, keep: tf.Tensor | None) -> Layout:
        """`keep` (B, T) bool marks the positions to compute; None computes all of them."""
        if keep is None:
            return cls(batch, length)
        first = tf.range(length)[None, :] == 0  # pooler and <s> heads read position 0, even if it is padding
        keep = tf.logical_or(keep, first)
        return cls(batch, length, tf.cast(tf.where(tf.reshape(keep, [-1])), tf.int32))

    @property
    def packed(self) -> bool:
        return self.index is not None

    def pack(self, x: tf.Tensor) -> tf.Tensor:
        """(B, T, ...) -> (N, ...)."""
        flat = tf.reshape(x, [-1, *dims(x, 2)])
        return flat if self.index is None else tf.gather_nd(flat, self.index)

    def unpack(self, x: tf.Tensor) -> tf.Tensor:
        """(N, ...) -> (B, T, ...), zeros where tokens were dropped."""
        rest = dims(x, 1)
        if self.index is not None:
            x = tf.scatter_nd(self.index, x, [self.batch * self.length, *rest])
        return tf.reshape(x, [self.batch, self.length, *rest])


def dims(x: tf.Tensor, start: int = 0) -> list:
    """The sizes of x's dimensions from `start` on: static where known (so shapes stay known), else dynamic."""
    dynamic = tf.shape(x)
    return [d if d is not None else dynamic[i] for i, d in enumerate(x.shape[start:], start)]

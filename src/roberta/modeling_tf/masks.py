"""Attention masks (1 = attend, 0 = ignore) -> additive float32 biases, as `roberta.modeling.masks` does."""

from __future__ import annotations

from ._keras import tf


def _to_bias(keep: tf.Tensor) -> tf.Tensor:
    # Masked scores get float32's most negative finite value (not -inf) so fully masked rows stay finite.
    return (1.0 - keep) * tf.float32.min


def self_attention_bias(mask, batch, length, past_length, *, causal: bool) -> tf.Tensor | None:
    """Bias (B, 1, L, S) with S = past_length + length, or None when nothing is masked.

    `mask` is (B, S) for padding or (B, L, S) for a full mask (then no causal mask is added, as in the
    reference). Decoders (causal) let query i see keys 0 .. past_length + i.
    """
    total = past_length + length
    if mask is None:
        if not causal:
            return None
        mask = tf.ones((batch, total))
    mask = tf.cast(mask, tf.float32)
    if mask.shape.rank == 3:
        return _to_bias(mask[:, None, :, :])
    keep = mask[:, None, None, :]  # (B, 1, 1, S)
    if causal:
        q_pos = tf.range(past_length, total)
        k_pos = tf.range(total)
        keep = keep * tf.cast(k_pos[None, :] <= q_pos[:, None], tf.float32)[None, None]  # (B, 1, L, S)
    return _to_bias(keep)


def cross_attention_bias(mask) -> tf.Tensor | None:
    """Bias over encoder positions: (B, S_enc) -> (B, 1, 1, S_enc); (B, L, S_enc) -> (B, 1, L, S_enc)."""
    if mask is None:
        return None
    mask = tf.cast(mask, tf.float32)
    return _to_bias(mask[:, None, None, :] if mask.shape.rank == 2 else mask[:, None, :, :])

"""`head_mask`: 1 keeps an attention head, 0 silences it (values between scale it), applied to the attention
probabilities. Shaped [num_heads] (every layer alike) or [num_layers, num_heads], as the reference takes it."""

from __future__ import annotations

from typing import Any


def per_layer_head_masks(head_mask: Any, num_layers: int, num_heads: int) -> list:
    """None, [H] or [num_layers, H] (already in the framework's float dtype) -> one mask per layer, shaped
    (1, H, 1, 1) to broadcast over (batch, heads, queries, keys) probabilities (or None for every layer).
    Any other shape is a ValueError naming both accepted ones."""
    if head_mask is None:
        return [None] * num_layers
    shape = tuple(head_mask.shape)
    if shape != (num_heads,) and shape != (num_layers, num_heads):
        raise ValueError(
            f"head_mask must be shaped [num_heads={num_heads}] or [num_layers={num_layers}, num_heads], got {shape}"
        )
    if len(shape) == 1:
        return [head_mask[None, :, None, None]] * num_layers
    return [head_mask[i][None, :, None, None] for i in range(num_layers)]

"""User attention masks (1 = attend, 0 = ignore) -> boolean "keep" masks broadcastable to (B, H, L, S)."""

from __future__ import annotations

import jax.numpy as jnp


def self_attention_keep(mask, length: int, total: int, past, *, causal: bool):
    """Keep-mask (B or 1, 1, L, S) over S = `total` key slots, or None when nothing is masked.

    `mask` is None, (B, S') with S' <= S (cached decoding: slots past S' count as attended, the causal mask
    hides the unfilled ones), or (B, L, S) as a full mask (then no causal mask is added, as in PyTorch).
    Query i sits at position past + i; decoders (causal) let it see slots 0 .. past + i.
    """
    if mask is not None and mask.ndim == 3:
        if mask.shape[1:] != (length, total):
            raise ValueError(f"a 3-D attention_mask must be (batch, {length}, {total}), got {tuple(mask.shape)}")
        return mask[:, None, :, :] > 0
    keep = None
    if mask is not None:
        if mask.ndim != 2 or mask.shape[-1] > total:
            raise ValueError(
                f"attention_mask must be shaped (batch, {total}) (cached + new tokens), got {tuple(mask.shape)}"
            )
        if mask.shape[-1] < total:
            mask = jnp.pad(mask, ((0, 0), (0, total - mask.shape[-1])), constant_values=1)
        keep = mask[:, None, None, :] > 0  # (B, 1, 1, S)
    if causal:
        q_pos = past + jnp.arange(length)
        k_pos = jnp.arange(total)
        below = (k_pos[None, :] <= q_pos[:, None])[None, None]  # (1, 1, L, S)
        keep = below if keep is None else keep & below
    return keep


def cross_attention_keep(mask):
    """Keep-mask over encoder positions: (B, S_enc) -> (B, 1, 1, S_enc); (B, L, S_enc) -> (B, 1, L, S_enc)."""
    if mask is None:
        return None
    if mask.ndim == 2:
        return mask[:, None, None, :] > 0
    if mask.ndim == 3:
        return mask[:, None, :, :] > 0
    raise ValueError(f"encoder_attention_mask must be 2-D or 3-D, got shape {tuple(mask.shape)}")

"""Turn user attention masks (1 = attend, 0 = ignore) into additive biases for the attention backends."""

from __future__ import annotations

import torch


def _to_bias(keep: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    # Masked scores get the dtype's most negative finite value (not -inf) so fully masked rows stay finite.
    return (1.0 - keep.to(dtype)) * torch.finfo(dtype).min


def self_attention_bias(
    mask: torch.Tensor | None,
    batch: int,
    length: int,
    past_length: int,
    *,
    causal: bool,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor | None:
    """Bias shaped (B, 1, L, S) with S = past_length + length, or None when nothing is masked.

    `mask` is (B, S) for padding, or (B, L, S) for a full mask (then no causal mask is added, as in the
    reference). Decoders (causal) let query i see keys 0 .. past_length + i.
    """
    total = past_length + length
    if mask is None:
        if not causal:
            return None
        mask = torch.ones((batch, total), device=device)
    if mask.dim() == 3:
        if mask.shape[1:] != (length, total):
            raise ValueError(f"a 3-D attention_mask must be (batch, {length}, {total}), got {tuple(mask.shape)}")
        return _to_bias(mask[:, None, :, :], dtype)
    if mask.dim() != 2 or mask.shape != (batch, total):
        raise ValueError(
            f"attention_mask must be shaped (batch={batch}, {total}) (cached + new tokens), got {tuple(mask.shape)}"
        )
    keep = mask[:, None, None, :].to(dtype)  # (B, 1, 1, S)
    if causal:
        q_pos = torch.arange(past_length, total, device=mask.device)
        k_pos = torch.arange(total, device=mask.device)
        keep = keep * (k_pos[None, :] <= q_pos[:, None]).to(dtype)[None, None]  # (B, 1, L, S)
    return _to_bias(keep, dtype)


def cross_attention_bias(mask: torch.Tensor | None, length: int, *, dtype: torch.dtype) -> torch.Tensor | None:
    """Bias over encoder positions: (B, S_enc) -> (B, 1, 1, S_enc); (B, L, S_enc) -> (B, 1, L, S_enc)."""
    if mask is None:
        return None
    if mask.dim() == 2:
        return _to_bias(mask[:, None, None, :], dtype)
    if mask.dim() == 3:
        return _to_bias(mask[:, None, :, :], dtype)
    raise ValueError(f"encoder_attention_mask must be 2-D or 3-D, got shape {tuple(mask.shape)}")

"""Attention backends: plain functions with one signature, in one table.

Every backend takes queries, keys and values shaped (B, H, L, D), (B, H, S, D), (B, H, S, D) and an
additive float `bias` broadcastable to (B, H, L, S) that already holds the padding / causal mask and any
relative-position scores (scaled), and returns `(context (B, H, L, D), probs (B, H, L, S) or None)`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)

AttentionFn = Callable[..., tuple[torch.Tensor, torch.Tensor | None]]


def eager_attention(q, k, v, *, bias=None, dropout_p=0.0, head_mask=None, need_weights=False):
    """softmax(q k^T / sqrt(D) + bias) v, written out so probabilities can be returned and head-masked."""
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(q.size(-1)))  # (B, H, L, S)
    if bias is not None:
        scores = scores + bias
    probs = torch.softmax(scores, dim=-1)
    if dropout_p > 0.0:
        probs = F.dropout(probs, p=dropout_p, training=True)
    if head_mask is not None:
        probs = probs * head_mask
    return torch.matmul(probs, v), (probs if need_weights else None)


def sdpa_attention(q, k, v, *, bias=None, dropout_p=0.0, head_mask=None, need_weights=False):
    """torch's fused scaled_dot_product_attention; cannot return weights or apply a head mask."""
    assert head_mask is None and not need_weights, "resolve_backend() must not pick sdpa here"
    if bias is not None and bias.dtype != q.dtype:
        bias = bias.to(q.dtype)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p), None


@dataclass(frozen=True)
class Kernel:
    fn: AttentionFn
    returns_weights: bool
    supports_head_mask: bool


ATTENTION_BACKENDS: dict[str, Kernel] = {
    "eager": Kernel(eager_attention, returns_weights=True, supports_head_mask=True),
    "sdpa": Kernel(sdpa_attention, returns_weights=False, supports_head_mask=False),
}

# `attn_implementation` names: a kernel of the table, and whether padding is skipped (the packed layout,
# layout.py). "unpadded", the default, is exact for every input it accepts.
IMPLEMENTATIONS: dict[str, tuple[str, bool]] = {
    "eager": ("eager", False),
    "sdpa": ("sdpa", False),
    "unpadded": ("sdpa", True),
}
DEFAULT_BACKEND = "unpadded"
_warned: set[str] = set()


def check_backend_name(name: str | None) -> str:
    """Return a valid attn_implementation (the default for None) or raise listing the valid ones."""
    name = DEFAULT_BACKEND if name is None else name
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"unknown attn_implementation {name!r}; choose one of {sorted(IMPLEMENTATIONS)}")
    return name


def resolve_kernel(name: str, *, need_weights: bool, head_mask: bool) -> tuple[Kernel, bool]:
    """The kernel for this call and whether it may skip padding. When the chosen kernel cannot serve the request
    (attention weights or a head mask), eager runs instead, padded, and a warning says so once per reason."""
    kernel_name, skip_padding = IMPLEMENTATIONS[check_backend_name(name)]
    kernel = ATTENTION_BACKENDS[kernel_name]
    reason = None
    if need_weights and not kernel.returns_weights:
        reason = "output_attentions=True"
    elif head_mask and not kernel.supports_head_mask:
        reason = "head_mask"
    if reason is None:
        return kernel, skip_padding and not (need_weights or head_mask)
    key = f"{name}:{reason}"
    if key not in _warned:
        _warned.add(key)
        logger.warning(
            "attn_implementation=%r cannot serve %s; running 'eager' attention for such calls. "
            "Pass attn_implementation='eager' to silence this.",
            name,
            reason,
        )
    return ATTENTION_BACKENDS["eager"], False

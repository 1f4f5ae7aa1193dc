"""The transformer layers, in the reference's module tree and names (`encoder.layer[i].attention.self.query`).

The tree is an interface: peft, accelerate and users' scripts address these modules by name. How they run is an
execution detail: every product goes through `linear.py` (oneDNN in CPU inference, fused query/key/value when it
pays, the module itself when it was replaced or hooked), and the pass runs in the layout `RobertaModel` chose
once (`layout.py`: padded (B, T, C) or packed (N, C) real tokens).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.utils.checkpoint
from torch import nn

from ..model_facts import activation
from .array_ops import TorchOps
from .attention import Kernel
from .cache import KVCache
from .layout import Group, Layout
from .linear import linear


class Activation(nn.Module):
    """An activation of the shared table (`model_facts.activations`) as a module (the reference's tree has one:
    hooks can observe it)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.fn = name, activation(name, TorchOps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


@dataclass
class Pass:
    """What every layer of one forward pass shares: chosen once in `RobertaModel`."""

    layout: Layout
    fast: bool  # products on oneDNN (linear.onednn_pass), decided once
    kernel: Kernel
    need_weights: bool
    cache: KVCache | None
    encoder_states: torch.Tensor | None
    cross_bias: torch.Tensor | None


class RobertaSelfAttention(nn.Module):
    """Query, key and value projections and the attention itself (self- or cross-attention)."""

    def __init__(
        self, *, hidden_size: int, num_heads: int, dropout: float, relative: str | None, max_positions: int
    ) -> None:
        super().__init__()
        self.num_attention_heads, self.attention_head_size = num_heads, hidden_size // num_heads
        self.all_head_size = num_heads * self.attention_head_size
        self.query = nn.Linear(hidden_size, self.all_head_size)
        self.key = nn.Linear(hidden_size, self.all_head_size)
        self.value = nn.Linear(hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(dropout)
        self.position_embedding_type = relative or "absolute"
        self.max_position_embeddings = max_positions
        if relative is not None:
            self.distance_embedding = nn.Embedding(2 * max_positions - 1, self.attention_head_size)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.reshape(b, t, self.num_attention_heads, self.attention_head_size).transpose(1, 2)  # (B, H, T, D)

    def _merge(self, ctx: torch.Tensor) -> torch.Tensor:
        b, _, t, _ = ctx.shape
        return ctx.transpose(1, 2).reshape(b, t, -1)  # (B, H, L, D) -> (B, L, hidden)

    def _relative_bias(self, q, k, past_length: int) -> torch.Tensor:
        """Relative-position scores, already divided by sqrt(D), shaped (B, H, L, S).

        Query i sits at absolute position past_length + i, so cached steps score like a full pass
        (the reference uses key_length - 1 for every query when a cache is given).
        """
        q_pos = torch.arange(past_length, past_length + q.size(2), device=q.device)
        k_pos = torch.arange(k.size(2), device=q.device)
        dist = q_pos[:, None] - k_pos[None, :] + self.max_position_embeddings - 1  # (L, S)
        emb = self.distance_embedding(dist).to(q.dtype)  # (L, S, D)
        scores = torch.einsum("bhld,lsd->bhls", q, emb)
        if self.position_embedding_type == "relative_key_query":
            scores = scores + torch.einsum("bhsd,lsd->bhls", k, emb)
        return scores / math.sqrt(self.attention_head_size)

    def _cross_keys(self, p: Pass, layer_idx: int):
        cached = p.cache.cross(layer_idx) if p.cache is not None else None
        if cached is not None:
            return cached
        k, v = (self._heads(linear(m, p.encoder_states, p.fast)) for m in (self.key, self.value))
        if p.cache is not None:
            p.cache.set_cross(layer_idx, k, v)
        return k, v

    def forward(self, x: torch.Tensor, p: Pass, head_mask, layer_idx: int, cross: bool):
        """x in the layout's working form -> (context in working form, probabilities or None). The layout
        gathers the projections into per-group (rows, length) buffers; one code path attends over each."""
        dropout_p = self.dropout.p if self.training else 0.0
        probs = None

        def attend(bufs: list[torch.Tensor], group: Group) -> torch.Tensor:
            nonlocal probs
            past_length, bias = 0, group.bias
            if cross:  # decoders only: their layout keeps every row, in order, at full width
                q, (k, v), bias = self._heads(bufs[0]), self._cross_keys(p, layer_idx), p.cross_bias
            else:
                q, k, v = (self._heads(t) for t in bufs)
                if p.cache is not None:
                    past_length = p.cache.get_seq_length(layer_idx)
                    k, v = p.cache.update(layer_idx, k, v)
            if self.position_embedding_type != "absolute":
                rel = self._relative_bias(q, k, past_length)
                bias = rel if bias is None else rel + bias
            ctx, probs = p.kernel.fn(
                q, k, v, bias=bias, dropout_p=dropout_p, head_mask=head_mask, need_weights=p.need_weights
            )
            return self._merge(ctx)

        if cross:
            projs = [linear(self.query, x, p.fast)]
        else:
            projs = [linear(m, x, p.fast) for m in (self.query, self.key, self.value)]
        ctx = p.layout.attend(projs, self.all_head_size, attend)
        return ctx, probs


class _ProjectAddNorm(nn.Module):
    """Projection (in_size -> hidden_size), dropout, residual and LayerNorm (post-norm): the end of the
    attention block and of the feed-forward block alike."""

    def __init__(self, in_size: int, hidden_size: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(in_size, hidden_size)
        self.LayerNorm = nn.LayerNorm(hidden_size, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor, fast: bool = False) -> torch.Tensor:
        return self.LayerNorm(self.dropout(linear(self.dense, x, fast)) + residual)


class RobertaSelfOutput(_ProjectAddNorm):
    """The attention block's output projection, dropout, residual and LayerNorm."""

    def __init__(self, *, hidden_size: int, eps: float, dropout: float) -> None:
        super().__init__(hidden_size, hidden_size, eps, dropout)


class RobertaAttention(nn.Module):
    def __init__(
        self,
        *,
        hidden_size: int,
        num_heads: int,
        eps: float,
        dropout: float,
        attention_dropout: float,
        relative: str | None,
        max_positions: int,
    ) -> None:
        super().__init__()
        self.self = RobertaSelfAttention(
            hidden_size=hidden_size,
            num_heads=num_heads,
            dropout=attention_dropout,
            relative=relative,
            max_positions=max_positions,
        )
        self.output = RobertaSelfOutput(hidden_size=hidden_size, eps=eps, dropout=dropout)

    def forward(self, x: torch.Tensor, p: Pass, head_mask, layer_idx: int, cross: bool = False):
        ctx, probs = self.self(x, p, head_mask, layer_idx, cross)
        return self.output(ctx, x, p.fast), probs


class RobertaIntermediate(nn.Module):
    def __init__(self, *, hidden_size: int, intermediate_size: int, act: str) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, intermediate_size)
        self.intermediate_act_fn = Activation(act)

    def forward(self, x: torch.Tensor, fast: bool = False) -> torch.Tensor:
        return self.intermediate_act_fn(linear(self.dense, x, fast))


class RobertaOutput(_ProjectAddNorm):
    """The feed-forward block's down projection, dropout, residual and LayerNorm."""

    def __init__(self, *, hidden_size: int, intermediate_size: int, eps: float, dropout: float) -> None:
        super().__init__(intermediate_size, hidden_size, eps, dropout)


class RobertaLayer(nn.Module):
    """Self-attention [, cross-attention], feed-forward; each followed by residual and LayerNorm."""

    def __init__(self, config, layer_idx: int = 0) -> None:
        super().__init__()
        c = config
        # Kept repeat: config fields to layer keywords; the TF and Flax models map their own names alike.
        common = dict(
            hidden_size=c.hidden_size,
            num_heads=c.num_attention_heads,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
            attention_dropout=c.attention_probs_dropout_prob,
            max_positions=c.max_position_embeddings,
        )
        relative = None if c.position_embedding_type == "absolute" else c.position_embedding_type
        self.layer_idx = layer_idx
        self.attention = RobertaAttention(relative=relative, **common)
        self.is_decoder, self.add_cross_attention = c.is_decoder, c.add_cross_attention
        if c.add_cross_attention:  # cross-attention always uses absolute positions, as in the reference
            self.crossattention = RobertaAttention(relative=None, **common)
        self.intermediate = RobertaIntermediate(
            hidden_size=c.hidden_size, intermediate_size=c.intermediate_size, act=c.hidden_act
        )
        self.output = RobertaOutput(
            hidden_size=c.hidden_size,
            intermediate_size=c.intermediate_size,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
        )

    def forward(self, x: torch.Tensor, p: Pass, head_mask=None):
        x, self_probs = self.attention(x, p, head_mask, self.layer_idx)
        cross_probs = None
        if p.encoder_states is not None:
            if not self.add_cross_attention:
                raise ValueError(
                    "encoder_hidden_states were given but the model has no cross-attention; "
                    "build it with config.add_cross_attention=True"
                )
            x, cross_probs = self.crossattention(x, p, head_mask, self.layer_idx, cross=True)
        return self.output(self.intermediate(x, p.fast), x, p.fast), self_probs, cross_probs


class RobertaEncoder(nn.Module):
    """The stack of layers (`layer`), run in one layout; optional gradient checkpointing per layer."""

    def __init__(self, config) -> None:
        super().__init__()
        self.layer = nn.ModuleList([RobertaLayer(config, i) for i in range(config.num_hidden_layers)])
        self.gradient_checkpointing = False
        self._checkpointing_kwargs: dict = {"use_reentrant": False}

    def forward(self, x: torch.Tensor, p: Pass, head_masks: list, output_hidden_states: bool):
        all_hidden, all_self, all_cross = [], [], []
        for i, layer in enumerate(self.layer):
            if output_hidden_states:
                all_hidden.append(p.layout.unpack(x))
            if self.gradient_checkpointing and self.training:
                x, probs, cross_probs = torch.utils.checkpoint.checkpoint(
                    layer.__call__, x, p, head_masks[i], **self._checkpointing_kwargs
                )
            else:
                x, probs, cross_probs = layer(x, p, head_masks[i])
            if p.need_weights:
                all_self.append(probs)
                if cross_probs is not None:
                    all_cross.append(cross_probs)
        return x, all_hidden, all_self, all_cross


class RobertaPooler(nn.Module):
    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.activation(linear(self.dense, hidden[:, 0]))  # the <s> token

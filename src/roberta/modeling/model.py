"""The RoBERTa trunk: embeddings, transformer layers and `RobertaModel`.

Module names say what they are (`qkv`, `ffn.up`); `weights.py` maps them to the reference's names on disk.
The config is unpacked once here: inner modules get plain numbers.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import nn

from ..config import RobertaConfig
from .attention import Kernel, check_backend_name, resolve_kernel
from .cache import KVCache, as_cache
from .layout import Group, Layout, padded, plan
from .linear import Linear
from .masks import cross_attention_bias, self_attention_bias
from .outputs import BaseModelOutputWithPoolingAndCrossAttentions
from .pretrained import RobertaPreTrainedModel


def _quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


def _gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


ACTIVATIONS = {
    "gelu": F.gelu,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
    "gelu_new": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "quick_gelu": _quick_gelu,
}


def position_ids_from_input_ids(input_ids: torch.Tensor, padding_idx: int, past_length: int = 0) -> torch.Tensor:
    """RoBERTa counts positions from padding_idx + 1 and gives padding tokens position padding_idx."""
    real = input_ids.ne(padding_idx).int()
    return ((torch.cumsum(real, dim=1).int() + past_length) * real).long() + padding_idx


class Embeddings(nn.Module):
    def __init__(
        self,
        *,
        vocab_size: int,
        hidden_size: int,
        max_positions: int,
        type_vocab_size: int,
        padding_idx: int,
        eps: float,
        dropout: float,
        absolute: bool,
    ) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden_size, padding_idx=padding_idx)
        # Kept for every position type so checkpoints have the same keys; only added when `absolute`.
        self.position_embeddings = nn.Embedding(max_positions, hidden_size, padding_idx=padding_idx)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, hidden_size)
        self.norm = nn.LayerNorm(hidden_size, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.padding_idx, self.absolute, self.max_positions = padding_idx, absolute, max_positions

    def position_ids(self, input_ids, inputs_embeds, past_length: int) -> torch.Tensor:
        if input_ids is not None:
            return position_ids_from_input_ids(input_ids, self.padding_idx, past_length)
        b, t = inputs_embeds.shape[:2]
        start = self.padding_idx + 1 + past_length
        return torch.arange(start, start + t, device=inputs_embeds.device).expand(b, t)

    def forward(self, input_ids, token_type_ids, position_ids, inputs_embeds, past_length: int = 0) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        x = inputs_embeds + self.token_type_embeddings(token_type_ids)
        if self.absolute:
            if position_ids is None:
                position_ids = self.position_ids(input_ids, inputs_embeds, past_length)
            _check_positions(position_ids, self.max_positions, self.padding_idx)
            x = x + self.position_embeddings(position_ids)
        return self.dropout(self.norm(x))


def _check_positions(position_ids: torch.Tensor, max_positions: int, padding_idx: int) -> None:
    top = int(position_ids.max()) if position_ids.numel() else 0
    if top >= max_positions or (position_ids.numel() and int(position_ids.min()) < 0):
        usable = max_positions - padding_idx - 1
        raise ValueError(
            f"position id {top} is outside the position table of size max_position_embeddings={max_positions}: "
            f"this model takes at most {usable} tokens per sequence (cached tokens included); truncate the input "
            f"(e.g. tokenizer(..., truncation=True, max_length={usable}))"
        )


class Attention(nn.Module):
    """Multi-head attention with its output projection, residual and LayerNorm (post-norm).

    Self-attention uses one fused (hidden -> 3 * hidden) projection; cross-attention projects queries from
    the decoder and fused keys/values from the encoder states.
    """

    def __init__(
        self,
        *,
        hidden_size: int,
        num_heads: int,
        eps: float,
        dropout: float,
        attn_dropout: float,
        cross: bool,
        relative: str | None,
        max_positions: int,
    ) -> None:
        super().__init__()
        self.num_heads, self.head_dim = num_heads, hidden_size // num_heads
        self.cross, self.relative, self.max_positions = cross, relative, max_positions
        if cross:
            self.q = Linear(hidden_size, hidden_size)
            self.kv = Linear(hidden_size, 2 * hidden_size)
        else:
            self.qkv = Linear(hidden_size, 3 * hidden_size)
        if relative is not None:
            self.distance_embedding = nn.Embedding(2 * max_positions - 1, self.head_dim)
        self.out = Linear(hidden_size, hidden_size)
        self.norm = nn.LayerNorm(hidden_size, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.attn_dropout = attn_dropout

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.reshape(b, t, self.num_heads, self.head_dim).transpose(1, 2)  # (B, H, T, D)

    def _relative_bias(self, q, k, past_length: int) -> torch.Tensor:
        """Relative-position scores, already divided by sqrt(D), shaped (B, H, L, S).

        Query i sits at absolute position past_length + i, so cached steps score like a full pass
        (the reference uses key_length - 1 for every query when a cache is given).
        """
        q_pos = torch.arange(past_length, past_length + q.size(2), device=q.device)
        k_pos = torch.arange(k.size(2), device=q.device)
        dist = q_pos[:, None] - k_pos[None, :] + self.max_positions - 1  # (L, S)
        emb = self.distance_embedding(dist).to(q.dtype)  # (L, S, D)
        scores = torch.einsum("bhld,lsd->bhls", q, emb)
        if self.relative == "relative_key_query":
            scores = scores + torch.einsum("bhsd,lsd->bhls", k, emb)
        return scores / math.sqrt(self.head_dim)

    def _merge(self, ctx: torch.Tensor) -> torch.Tensor:
        b, _, t, _ = ctx.shape
        return ctx.transpose(1, 2).reshape(b, t, -1)  # (B, H, L, D) -> (B, L, hidden)

    def _cross_keys(self, encoder_states, cache: KVCache | None, layer_idx: int):
        cached = cache.cross(layer_idx) if cache is not None else None
        if cached is not None:
            return cached
        k, v = (self._heads(t) for t in self.kv(encoder_states).chunk(2, dim=-1))
        if cache is not None:
            cache.set_cross(layer_idx, k, v)
        return k, v

    def forward(
        self,
        x: torch.Tensor,
        layout: Layout,
        *,
        kernel: Kernel,
        head_mask=None,
        need_weights: bool = False,
        cache: KVCache | None = None,
        layer_idx: int = 0,
        encoder_states=None,
        cross_bias=None,
    ):
        """x is in the layout's working form: (B, T, hidden) padded, or (N, hidden) packed. The layout gathers
        the projections into per-group (rows, length) buffers; one code path attends over each buffer."""
        dropout_p = self.attn_dropout if self.training else 0.0
        probs = None

        def attend(buf: torch.Tensor, group: Group) -> torch.Tensor:
            nonlocal probs
            past_length, bias = 0, group.bias
            if self.cross:  # decoders only: their layout keeps every row, in order, at full width
                q, (k, v), bias = self._heads(buf), self._cross_keys(encoder_states, cache, layer_idx), cross_bias
            else:
                q, k, v = (self._heads(t) for t in buf.chunk(3, dim=-1))
                if cache is not None:
                    past_length = cache.get_seq_length(layer_idx)
                    k, v = cache.update(layer_idx, k, v)
            if self.relative is not None:
                rel = self._relative_bias(q, k, past_length)
                bias = rel if bias is None else rel + bias
            ctx, probs = kernel.fn(
                q, k, v, bias=bias, dropout_p=dropout_p, head_mask=head_mask, need_weights=need_weights
            )
            return self._merge(ctx)

        ctx = layout.attend(self.q(x) if self.cross else self.qkv(x), self.num_heads * self.head_dim, attend)
        return self.norm(self.dropout(self.out(ctx)) + x), probs


class FeedForward(nn.Module):
    def __init__(self, *, hidden_size: int, intermediate_size: int, act: str, eps: float, dropout: float) -> None:
        super().__init__()
        self.up = Linear(hidden_size, intermediate_size)
        self.down = Linear(intermediate_size, hidden_size)
        self.norm = nn.LayerNorm(hidden_size, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.act = ACTIVATIONS[act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.dropout(self.down(self.act(self.up(x)))) + x)


class Layer(nn.Module):
    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        c = config
        common = dict(
            hidden_size=c.hidden_size,
            num_heads=c.num_attention_heads,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
            attn_dropout=c.attention_probs_dropout_prob,
            max_positions=c.max_position_embeddings,
        )
        relative = None if c.position_embedding_type == "absolute" else c.position_embedding_type
        self.attn = Attention(cross=False, relative=relative, **common)
        # Cross-attention always uses absolute positions, as in the reference.
        self.cross = Attention(cross=True, relative=None, **common) if c.add_cross_attention else None
        self.ffn = FeedForward(
            hidden_size=c.hidden_size,
            intermediate_size=c.intermediate_size,
            act=c.hidden_act,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
        )

    def forward(
        self, x, layout: Layout, cross_bias, encoder_states, head_mask, *, kernel, need_weights, cache, layer_idx
    ):
        common = dict(kernel=kernel, head_mask=head_mask, need_weights=need_weights, cache=cache, layer_idx=layer_idx)
        x, self_probs = self.attn(x, layout, **common)
        cross_probs = None
        if encoder_states is not None:
            if self.cross is None:
                raise ValueError(
                    "encoder_hidden_states were given but the model has no cross-attention; "
                    "build it with config.add_cross_attention=True"
                )
            x, cross_probs = self.cross(x, layout, encoder_states=encoder_states, cross_bias=cross_bias, **common)
        return self.ffn(x), self_probs, cross_probs


class Pooler(nn.Module):
    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.dense = Linear(hidden_size, hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))  # the <s> token


def _check_ids(name: str, ids: torch.Tensor | None, limit: int, limit_name: str) -> None:
    if ids is None:
        return
    if not isinstance(ids, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(ids).__name__}")
    if ids.dtype not in (torch.long, torch.int32):
        raise TypeError(f"{name} must hold integers as torch.long (or torch.int32), got dtype {ids.dtype}")
    if ids.numel() and (int(ids.max()) >= limit or int(ids.min()) < 0):
        raise ValueError(
            f"{name} holds {int(ids.max()) if int(ids.max()) >= limit else int(ids.min())}, "
            f"outside [0, {limit}) set by {limit_name}={limit}"
        )


def _check_shape(name: str, tensor: torch.Tensor | None, want: tuple[int, int]) -> None:
    if tensor is not None and tuple(tensor.shape) != want:
        raise ValueError(f"{name} must have the shape of input_ids, {want}, got {tuple(tensor.shape)}")


def _head_mask(head_mask, num_layers: int, dtype) -> list:
    """[H] or [num_layers, H] (1 keeps a head) -> a per-layer mask broadcastable to (B, H, L, S)."""
    if head_mask is None:
        return [None] * num_layers
    m = head_mask.to(dtype)
    if m.dim() == 1:
        m = m.unsqueeze(0).expand(num_layers, -1)
    if m.dim() != 2 or m.size(0) != num_layers:
        raise ValueError(
            f"head_mask must be shaped [num_heads] or [num_layers={num_layers}, num_heads], "
            f"got {tuple(head_mask.shape)}"
        )
    return [m[i][None, :, None, None] for i in range(num_layers)]


# The forward arguments that `RobertaModel.encode` takes, as the heads and `forward` pass them on.
TRUNK_ARGS = (
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "position_ids",
    "head_mask",
    "inputs_embeds",
    "encoder_hidden_states",
    "encoder_attention_mask",
    "past_key_values",
    "use_cache",
    "output_attentions",
    "output_hidden_states",
)


def trunk_args(args: dict) -> dict:
    """The trunk's arguments among a forward's arguments (`locals()`)."""
    return {k: args[k] for k in TRUNK_ARGS if k in args}


class RobertaModel(RobertaPreTrainedModel):
    """The RoBERTa encoder (or decoder, with `config.is_decoder`), returning hidden states and a pooled output.

    Forward arguments and outputs follow the reference's `RobertaModel`.
    """

    def __init__(self, config: RobertaConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        c = config
        self.embeddings = Embeddings(
            vocab_size=c.vocab_size,
            hidden_size=c.hidden_size,
            max_positions=c.max_position_embeddings,
            type_vocab_size=c.type_vocab_size,
            padding_idx=c.pad_token_id,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
            absolute=c.position_embedding_type == "absolute",
        )
        self.layers = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])
        self.pooler = Pooler(c.hidden_size) if add_pooling_layer else None
        self.gradient_checkpointing = False
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
        cache_position=None,
    ):
        out, _ = self.encode(**trunk_args(locals()))
        if self.config.use_return_dict if return_dict is None else return_dict:
            return out
        # The reference keeps the pooled slot (None without a pooler) in the tuple form.
        rest = (out.past_key_values, out.hidden_states, out.attentions, out.cross_attentions)
        return (out.last_hidden_state, out.pooler_output) + tuple(r for r in rest if r is not None)

    def encode(
        self,
        *,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        keep: torch.Tensor | None = None,
        every_position: bool = False,
    ) -> tuple[BaseModelOutputWithPoolingAndCrossAttentions, Layout]:
        """The forward pass, and the layout it chose (heads run their own per-token work in it). `keep` (B, T)
        bool: padded positions a head needs computed (those carrying labels); `every_position`: compute every
        position (the padded layout), for heads whose loss reads them all."""
        c = self.config
        output_attentions = c.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = c.output_hidden_states if output_hidden_states is None else output_hidden_states
        use_cache = (c.use_cache if use_cache is None else use_cache) and c.is_decoder
        if self.gradient_checkpointing and self.training:
            use_cache = False

        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids or inputs_embeds")
        _check_ids("input_ids", input_ids, c.vocab_size, "vocab_size")
        _check_ids("token_type_ids", token_type_ids, c.type_vocab_size, "type_vocab_size")
        if inputs_embeds is not None and inputs_embeds.dtype != self.dtype:
            raise TypeError(f"inputs_embeds has dtype {inputs_embeds.dtype} but the model runs in {self.dtype}")
        ref = input_ids if input_ids is not None else inputs_embeds
        if ref.dim() != (2 if input_ids is not None else 3):
            raise ValueError(
                f"{'input_ids' if input_ids is not None else 'inputs_embeds'} must be batched: "
                f"shape (batch, seq{'' if input_ids is not None else ', hidden'}), got {tuple(ref.shape)}"
            )
        b, t = ref.shape[:2]
        if b == 0 or t == 0:
            raise ValueError(
                f"{'input_ids' if input_ids is not None else 'inputs_embeds'} is empty (shape {tuple(ref.shape)}): "
                f"give at least one sequence of at least one token"
            )
        _check_shape("token_type_ids", token_type_ids, (b, t))
        _check_shape("position_ids", position_ids, (b, t))
        device = ref.device

        cache = as_cache(past_key_values, c.num_hidden_layers)
        if cache is None and use_cache:
            cache = KVCache(c.num_hidden_layers)
        past_length = cache.get_seq_length() if cache is not None else 0
        if token_type_ids is None:
            token_type_ids = torch.zeros((b, t), dtype=torch.long, device=device)

        x = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds, past_length)
        kernel, skip_padding = resolve_kernel(
            self.attn_implementation, need_weights=bool(output_attentions), head_mask=head_mask is not None
        )
        bias = self_attention_bias(attention_mask, b, t, past_length, causal=c.is_decoder, dtype=x.dtype, device=device)
        cross_bias = None
        if encoder_hidden_states is not None:
            cross_bias = cross_attention_bias(encoder_attention_mask, t, dtype=x.dtype)
        head_masks = _head_mask(head_mask, c.num_hidden_layers, x.dtype)
        # The layout, once for the whole pass (layout.py): packed unless something needs every position.
        if skip_padding and cache is None and not every_position:
            compact = not c.is_decoder and c.position_embedding_type == "absolute" and encoder_hidden_states is None
            layout = plan(attention_mask, b, t, bias=bias, compact=compact, keep=keep)
        else:
            layout = padded(b, t, bias)
        x = layout.pack(x)  # packed: (N, hidden), only real tokens (and position 0) from here on

        all_hidden, all_self, all_cross = [], [], []
        for i, layer in enumerate(self.layers):
            if output_hidden_states:
                all_hidden.append(layout.unpack(x))
            kwargs = dict(kernel=kernel, need_weights=bool(output_attentions), cache=cache, layer_idx=i)
            if self.gradient_checkpointing and self.training:
                x, p, cp = torch.utils.checkpoint.checkpoint(
                    lambda *a, _l=layer, _k=kwargs: _l(*a, **_k),
                    x,
                    layout,
                    cross_bias,
                    encoder_hidden_states,
                    head_masks[i],
                    use_reentrant=False,
                )
            else:
                x, p, cp = layer(x, layout, cross_bias, encoder_hidden_states, head_masks[i], **kwargs)
            if output_attentions:
                all_self.append(p)
                if self.layers[i].cross is not None and cp is not None:
                    all_cross.append(cp)
        x = layout.unpack(x)
        if output_hidden_states:
            all_hidden.append(x)

        out = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=x,
            pooler_output=self.pooler(x) if self.pooler is not None else None,
            past_key_values=cache if use_cache else None,
            hidden_states=tuple(all_hidden) if output_hidden_states else None,
            attentions=tuple(all_self) if output_attentions else None,
            cross_attentions=tuple(all_cross) if output_attentions and c.add_cross_attention else None,
        )
        return out, layout

    @property
    def attn_implementation(self) -> str:
        return check_backend_name(self.config._attn_implementation)

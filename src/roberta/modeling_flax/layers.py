"""Linen building blocks of the RoBERTa trunk: embeddings, attention, feed-forward, the layer stack, pooler.

Module names are the reference's Flax parameter names (`attention/self/query`, `output/LayerNorm`, ...), so the
parameter tree is the reference's and its `flax_model.msgpack` files load as they are. Every module receives
plain numbers (unpacked from the config once, in `model.py`).
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from ..model_facts import activation
from .array_ops import JaxOps


def dense(features: int, init_range: float, dtype: Any, name: str, use_bias: bool = True) -> nn.Dense:
    return nn.Dense(
        features,
        use_bias=use_bias,
        dtype=dtype,
        kernel_init=jax.nn.initializers.normal(init_range),
        name=name,
    )


def embed(num: int, features: int, init_range: float, dtype: Any, name: str) -> nn.Embed:
    return nn.Embed(num, features, embedding_init=jax.nn.initializers.normal(init_range), dtype=dtype, name=name)


class Embeddings(nn.Module):
    """word + token type (+ absolute position) embeddings -> LayerNorm -> dropout."""

    vocab_size: int
    hidden_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    dropout: float
    absolute: bool
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, input_ids, token_type_ids, position_ids, *, deterministic: bool):
        args = (self.init_range, self.dtype)
        x = embed(self.vocab_size, self.hidden_size, *args, "word_embeddings")(input_ids)
        x = x + embed(self.type_vocab_size, self.hidden_size, *args, "token_type_embeddings")(token_type_ids)
        # Created for every position type so checkpoints have the same keys; only added when `absolute`.
        positions = embed(self.max_positions, self.hidden_size, *args, "position_embeddings")
        if self.absolute:
            x = x + positions(position_ids)
        else:
            positions.embedding  # noqa: B018  (creates the table without using it)
        x = nn.LayerNorm(epsilon=self.eps, dtype=self.dtype, name="LayerNorm")(x)
        return nn.Dropout(self.dropout)(x, deterministic=deterministic)


class SelfAttention(nn.Module):
    """Scaled dot-product attention (the reference's `attention/self`): q, k, v projections and the softmax.

    Self-attention of a decoder keeps its keys and values in the "cache" collection when one is in use
    (`decode`), shaped (B, max_length, H, D), filled from slot `past`.
    """

    hidden_size: int
    num_heads: int
    attn_dropout: float
    relative: str | None
    max_positions: int
    init_range: float
    dtype: Any = jnp.float32

    def _heads(self, x):
        b, t, _ = x.shape
        return x.reshape(b, t, self.num_heads, self.hidden_size // self.num_heads)  # (B, T, H, D)

    @nn.compact
    def __call__(
        self,
        x,
        keep,
        *,
        past,
        kv_states=None,
        decode: bool = False,
        head_mask=None,
        deterministic: bool = True,
        need_weights: bool = False,
    ):
        """x (B, L, hidden); keep: bool broadcastable to (B, H, L, S), or None; kv_states (B, S, hidden) for
        cross-attention. Returns context (B, L, hidden) and probabilities (B, H, L, S) or None."""
        args = (self.init_range, self.dtype)
        source = x if kv_states is None else kv_states
        q = self._heads(dense(self.hidden_size, *args, "query")(x))
        k = self._heads(dense(self.hidden_size, *args, "key")(source))
        v = self._heads(dense(self.hidden_size, *args, "value")(source))
        if decode:
            k, v = self._cached(k, v, past)
        head_dim = q.shape[-1]
        scores = jnp.einsum("blhd,bshd->bhls", q, k)  # (B, H, L, S)
        if self.relative is not None:
            scores = scores + self._relative_scores(q, k, past)
        scores = scores / jnp.asarray(math.sqrt(head_dim), scores.dtype)
        if keep is not None:
            scores = jnp.where(keep, scores, jnp.finfo(scores.dtype).min)
        probs = jax.nn.softmax(scores.astype(jnp.float32), axis=-1).astype(self.dtype)
        probs = nn.Dropout(self.attn_dropout)(probs, deterministic=deterministic)
        if head_mask is not None:
            probs = probs * head_mask.astype(probs.dtype)  # (1, H, 1, 1)
        ctx = jnp.einsum("bhls,bshd->blhd", probs, v)
        return ctx.reshape(ctx.shape[0], ctx.shape[1], self.hidden_size), (probs if need_weights else None)

    def _cached(self, k, v, past):
        """Write this step's keys/values at slot `past` and return the whole cache. The first call (while
        `init_cache` builds the collection) only creates it."""
        filled = self.has_variable("cache", "cached_key")
        cached_k = self.variable("cache", "cached_key", jnp.zeros, k.shape, k.dtype)
        cached_v = self.variable("cache", "cached_value", jnp.zeros, v.shape, v.dtype)
        if not filled:
            return k, v
        cached_k.value = lax.dynamic_update_slice(cached_k.value, k.astype(cached_k.value.dtype), (0, past, 0, 0))
        cached_v.value = lax.dynamic_update_slice(cached_v.value, v.astype(cached_v.value.dtype), (0, past, 0, 0))
        return cached_k.value, cached_v.value

    def _relative_scores(self, q, k, past):
        """Relative-position scores (B, H, L, S) before the 1/sqrt(D) scaling. Query i sits at position
        past + i, so cached steps score like a full pass."""
        distance = embed(2 * self.max_positions - 1, q.shape[-1], self.init_range, self.dtype, "distance_embedding")
        q_pos = past + jnp.arange(q.shape[1])
        k_pos = jnp.arange(k.shape[1])
        emb = distance(q_pos[:, None] - k_pos[None, :] + self.max_positions - 1)  # (L, S, D)
        scores = jnp.einsum("blhd,lsd->bhls", q, emb)
        if self.relative == "relative_key_query":
            scores = scores + jnp.einsum("bshd,lsd->bhls", k, emb)
        return scores


class AddNorm(nn.Module):
    """dense -> dropout -> LayerNorm(+ residual): the reference's `output` blocks."""

    hidden_size: int
    eps: float
    dropout: float
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, residual, *, deterministic: bool):
        x = dense(self.hidden_size, self.init_range, self.dtype, "dense")(x)
        x = nn.Dropout(self.dropout)(x, deterministic=deterministic)
        return nn.LayerNorm(epsilon=self.eps, dtype=self.dtype, name="LayerNorm")(x + residual)


class Attention(nn.Module):
    """Attention with its output projection, residual and LayerNorm (post-norm)."""

    hidden_size: int
    num_heads: int
    eps: float
    dropout: float
    attn_dropout: float
    relative: str | None
    max_positions: int
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, keep, *, past, kv_states=None, decode=False, head_mask=None, deterministic, need_weights):
        ctx, probs = SelfAttention(
            self.hidden_size,
            self.num_heads,
            self.attn_dropout,
            self.relative,
            self.max_positions,
            self.init_range,
            self.dtype,
            name="self",
        )(
            x,
            keep,
            past=past,
            kv_states=kv_states,
            decode=decode,
            head_mask=head_mask,
            deterministic=deterministic,
            need_weights=need_weights,
        )
        out = AddNorm(self.hidden_size, self.eps, self.dropout, self.init_range, self.dtype, name="output")
        return out(ctx, x, deterministic=deterministic), probs


class Intermediate(nn.Module):
    intermediate_size: int
    act: str
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x):
        return activation(self.act, JaxOps)(dense(self.intermediate_size, self.init_range, self.dtype, "dense")(x))


class Layer(nn.Module):
    """Self-attention [-> cross-attention] -> feed-forward, each with residual and LayerNorm."""

    hidden_size: int
    num_heads: int
    intermediate_size: int
    act: str
    eps: float
    dropout: float
    attn_dropout: float
    relative: str | None
    max_positions: int
    cross_attention: bool
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, keep, cross_keep, encoder_states, head_mask, past, decode, deterministic, need_weights):
        def attention(relative, name):
            return Attention(
                self.hidden_size,
                self.num_heads,
                self.eps,
                self.dropout,
                self.attn_dropout,
                relative,
                self.max_positions,
                self.init_range,
                self.dtype,
                name=name,
            )

        common = dict(head_mask=head_mask, deterministic=deterministic, need_weights=need_weights)
        x, self_probs = attention(self.relative, "attention")(x, keep, past=past, decode=decode, **common)
        cross_probs = None
        if encoder_states is not None:
            if not self.cross_attention:
                raise ValueError(
                    "encoder_hidden_states were given but the model has no cross-attention; "
                    "build it with config.add_cross_attention=True"
                )
            # Cross-attention always uses absolute positions, as in the reference.
            x, cross_probs = attention(None, "crossattention")(
                x, cross_keep, past=past, kv_states=encoder_states, **common
            )
        h = Intermediate(self.intermediate_size, self.act, self.init_range, self.dtype, name="intermediate")(x)
        out = AddNorm(self.hidden_size, self.eps, self.dropout, self.init_range, self.dtype, name="output")
        return out(h, x, deterministic=deterministic), self_probs, cross_probs


class LayerStack(nn.Module):
    """The reference's `encoder/layer`: layers named "0" .. "N-1", optionally rematerialised in training."""

    num_layers: int
    layer: dict  # Layer's fields
    gradient_checkpointing: bool = False
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, keep, cross_keep, encoder_states, head_masks, past, decode, flags):
        deterministic, need_weights, want_hidden = flags
        block = nn.remat(Layer, static_argnums=(7, 8, 9)) if self.gradient_checkpointing else Layer
        hidden, self_probs, cross_probs = [], [], []
        for i in range(self.num_layers):
            if want_hidden:
                hidden.append(x)
            x, p, cp = block(**self.layer, dtype=self.dtype, name=str(i))(
                x, keep, cross_keep, encoder_states, head_masks[i], past, decode, deterministic, need_weights
            )
            self_probs.append(p)
            cross_probs.append(cp)
        if want_hidden:
            hidden.append(x)
        return x, hidden, self_probs, cross_probs


class Encoder(nn.Module):
    """The reference's `encoder` level of the parameter tree; the layers live in `LayerStack` ("layer")."""

    num_layers: int
    layer: dict
    gradient_checkpointing: bool = False
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, *args):
        stack = LayerStack(self.num_layers, self.layer, self.gradient_checkpointing, self.dtype, name="layer")
        return stack(*args)


class Pooler(nn.Module):
    hidden_size: int
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x):
        return jnp.tanh(dense(self.hidden_size, self.init_range, self.dtype, "dense")(x[:, 0]))  # the <s> token

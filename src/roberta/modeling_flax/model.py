"""The RoBERTa trunk as a linen module (`RobertaModule`, the reference's `roberta` subtree).

The config arrives unpacked once (`ModelSpec`); the blocks in `layers.py` get plain numbers. Decoders keep a
key/value cache in the "cache" collection: one `cache_index` (tokens already cached) here, the keys and
values in each layer's self-attention.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from .. import model_facts
from .array_ops import JaxOps
from .layers import Embeddings, Encoder, Pooler
from .masks import cross_attention_keep, self_attention_keep
from .outputs import FlaxBaseModelOutputWithPoolingAndCrossAttentions
from .spec import ModelSpec


def position_ids_from_input_ids(input_ids, padding_idx: int, past_length=0):
    """RoBERTa counts positions from padding_idx + 1 (after `past_length` cached tokens); padding tokens get
    position padding_idx."""
    return model_facts.position_ids_from_input_ids(JaxOps, input_ids, padding_idx, past_length)


def _cache_length(cache: Any) -> int | None:
    """Slots of the first cached key found in a cache tree, shaped (B, max_length, H, D)."""
    if not isinstance(cache, dict):
        return None
    if "cached_key" in cache:
        return cache["cached_key"].shape[1]
    for value in cache.values():
        found = _cache_length(value)
        if found is not None:
            return found
    return None


class RobertaModule(nn.Module):
    """Embeddings -> N layers [-> pooler]. Arguments and outputs follow the reference's `FlaxRobertaModule`,
    except that `position_ids` default to RoBERTa's (counted from pad_token_id + 1, as the PyTorch model)."""

    spec: ModelSpec
    dtype: Any = jnp.float32
    add_pooling_layer: bool = True
    gradient_checkpointing: bool = False

    # The reference's argument list (the Flax model, trunk and heads share its start): users call it positionally.
    @nn.compact
    def __call__(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                 encoder_hidden_states=None, encoder_attention_mask=None, init_cache: bool = False,
                 deterministic: bool = True, output_attentions: bool = False, output_hidden_states: bool = False,
                 return_dict: bool = True):  # fmt: skip
        s = self.spec
        b, t = input_ids.shape
        decode = init_cache or self.has_variable("cache", "cache_index")
        past, total = 0, t
        if decode:
            if not s.is_decoder:
                raise ValueError("a key/value cache needs a decoder: build the model with config.is_decoder=True")
            filled = self.has_variable("cache", "cache_index")
            index = self.variable("cache", "cache_index", lambda: jnp.array(0, dtype=jnp.int32))
            if filled:
                past, total = index.value, _cache_length(self.variables["cache"])
                index.value = past + t
        if token_type_ids is None:
            token_type_ids = jnp.zeros_like(input_ids)
        if position_ids is None:
            position_ids = position_ids_from_input_ids(input_ids, s.pad_token_id, past)

        x = Embeddings(
            s.vocab_size,
            s.hidden_size,
            s.max_positions,
            s.type_vocab_size,
            s.eps,
            s.dropout,
            s.relative is None,
            s.init_range,
            self.dtype,
            name="embeddings",
        )(input_ids, token_type_ids, position_ids, deterministic=deterministic)
        keep = self_attention_keep(attention_mask, t, total, past, causal=s.is_decoder)
        cross_keep = cross_attention_keep(encoder_attention_mask)
        if encoder_hidden_states is not None:
            encoder_hidden_states = encoder_hidden_states.astype(self.dtype)
        # Kept repeat: config fields to layer keywords; the PyTorch and TF models map their own names alike.
        layer = dict(
            hidden_size=s.hidden_size,
            num_heads=s.num_heads,
            intermediate_size=s.intermediate_size,
            act=s.act,
            eps=s.eps,
            dropout=s.dropout,
            attn_dropout=s.attn_dropout,
            relative=s.relative,
            max_positions=s.max_positions,
            cross_attention=s.cross_attention,
            init_range=s.init_range,
        )
        encoder = Encoder(s.num_layers, layer, self.gradient_checkpointing, self.dtype, name="encoder")
        x, hidden, self_probs, cross_probs = encoder(
            x,
            keep,
            cross_keep,
            encoder_hidden_states,
            model_facts.per_layer_head_masks(
                None if head_mask is None else jnp.asarray(head_mask), s.num_layers, s.num_heads
            ),
            past,
            decode,
            (deterministic, output_attentions, output_hidden_states),
        )
        pooled = Pooler(s.hidden_size, s.init_range, self.dtype, name="pooler")(x) if self.add_pooling_layer else None
        out = FlaxBaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=x,
            pooler_output=pooled,
            hidden_states=tuple(hidden) if output_hidden_states else None,
            attentions=tuple(self_probs) if output_attentions else None,
            cross_attentions=tuple(cross_probs) if output_attentions and encoder_hidden_states is not None else None,
        )
        return out if return_dict else out.to_tuple()

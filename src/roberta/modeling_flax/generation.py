"""Greedy and sampled decoding for `FlaxRobertaForCausalLM`, one jitted `lax.while_loop` over a static cache.

The steps are those of the PyTorch text-generation pipeline (`TextGenerationPipeline.generate_ids`), so both
give the same tokens on the same weights: the prompt runs once, then one token at a time over the key/value
cache; positions are RoBERTa's (counted from pad_token_id + 1, cached tokens included), or counted from 0
with `position_ids_from_zero=True` (what the reference's `generate` does); rows that produced
`eos_token_id` continue with `pad_token_id`; the loop stops when every row has finished.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from .. import model_facts
from .array_ops import JaxOps
from .base import apply, empty_cache
from .model import position_ids_from_input_ids
from .outputs import FlaxGreedySearchOutput, FlaxSampleOutput


def filter_logits(logits, temperature=1.0, top_k=0, top_p=1.0):
    """Temperature, then top-k, then nucleus (top-p) filtering (`model_facts.sampling`, as the PyTorch and TF
    `generate`); filtered entries become -inf. `logits` is (batch, vocab) float32; the options may be traced
    (top_k 0: off)."""
    return model_facts.filter_logits(JaxOps, logits, temperature, top_k, top_p)


@partial(jax.jit, static_argnames=("module", "max_length"))
def _decode(module, params, input_ids, attention_mask, encoder_states, encoder_mask, key, options, *, max_length: int):
    """The whole decoding loop, compiled once per module, batch size, prompt length and max_length (every
    option in `options` is traced)."""
    b, t = input_ids.shape
    pad, eos = options["pad"], options["eos"]
    cache = empty_cache(module, b, max_length)
    if attention_mask is None:
        attention_mask = jnp.ones_like(input_ids)
    pad_id = module.spec.pad_token_id
    start = jnp.broadcast_to(jnp.arange(t), (b, t))  # positions counted from 0, as the reference's generate
    roberta = position_ids_from_input_ids(input_ids, pad_id)  # RoBERTa's (and the PyTorch pipeline's) default
    inputs = dict(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=None,
        position_ids=jnp.where(options["from_zero"], start, roberta),
        head_mask=None,
        encoder_hidden_states=encoder_states,
        encoder_attention_mask=encoder_mask,
    )
    out = apply(module, params, None, cache, inputs)

    def step(token, length, cache):
        roberta = position_ids_from_input_ids(token[:, None], pad_id, length)
        position = jnp.where(options["from_zero"], jnp.full((b, 1), length), roberta)
        out = apply(module, params, None, cache, dict(inputs, input_ids=token[:, None], position_ids=position))
        return out.logits[:, -1].astype(jnp.float32), out.past_key_values

    def body(state):
        length, sequences, finished, cache, logits, key = state
        key, sub = jax.random.split(key)
        filtered = filter_logits(logits, options["temperature"], options["top_k"], options["top_p"])
        sampled = jax.random.categorical(sub, filtered, axis=-1)
        token = jnp.where(options["do_sample"], sampled, jnp.argmax(logits, axis=-1))
        token = jnp.where(finished, pad, token).astype(jnp.int32)
        sequences = lax.dynamic_update_slice(sequences, token[:, None], (0, length))
        finished = finished | (token == eos)
        go_on = (length + 1 < max_length) & ~finished.all()
        logits, cache = lax.cond(go_on, step, lambda tok, n, c: (logits, c), token, length, cache)
        return length + 1, sequences, finished, cache, logits, key

    def cond(state):
        length, _, finished, *_ = state
        return (length < max_length) & ~finished.all()

    sequences = jnp.full((b, max_length), pad, dtype=jnp.int32).at[:, :t].set(input_ids)
    state = (
        jnp.array(t),
        sequences,
        jnp.zeros((b,), dtype=bool),
        out.past_key_values,
        out.logits[:, -1].astype(jnp.float32),
        key,
    )
    return lax.while_loop(cond, body, state)[1]


# The reference's generate() options, by name (TF's GenerationMixin.generate takes the same).
def generate(model, input_ids, attention_mask=None, *, max_length: int | None = None, max_new_tokens: int | None = None,
             do_sample: bool = False, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
             prng_key: jax.Array | None = None, eos_token_id: int | None = None, pad_token_id: int | None = None,
             params: dict | None = None, encoder_hidden_states=None, encoder_attention_mask=None,
             position_ids_from_zero: bool = False) -> Any:  # fmt: skip
    """Continue `input_ids` (batch, seq) up to `max_length` tokens in all (default 20, as the reference) or
    by `max_new_tokens`. Returns `FlaxGreedySearchOutput` / `FlaxSampleOutput` with `sequences` (batch,
    max_length): prompt, new tokens, then `pad_token_id` after `eos_token_id` (defaults: the config's)."""
    config = model.config
    if not config.is_decoder:
        raise ValueError("generate needs a decoder: build the model with config.is_decoder=True")
    input_ids = jnp.asarray(input_ids, dtype=jnp.int32)
    if input_ids.ndim != 2:
        raise ValueError(f"input_ids must be shaped (batch, seq), got {input_ids.shape}")
    t = input_ids.shape[1]
    if max_new_tokens is not None:
        if max_length is not None:
            raise ValueError("give max_length or max_new_tokens, not both")
        max_length = t + int(max_new_tokens)
    max_length = 20 if max_length is None else int(max_length)
    if max_length <= t:
        raise ValueError(f"max_length={max_length} leaves no room after a prompt of {t} tokens")
    model_facts.check_generation_length(config, t, max_length, from_zero=position_ids_from_zero)
    for name, value in (("temperature", temperature), ("top_p", top_p)):
        if not isinstance(value, (int, float)) or value <= 0 or (name == "top_p" and value > 1):
            raise ValueError(f"{name} must be a float {'in (0, 1]' if name == 'top_p' else '> 0'}, got {value!r}")
    if not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k must be an int >= 0, got {top_k!r}")
    key = jax.random.PRNGKey(0) if prng_key is None else prng_key
    eos = config.eos_token_id if eos_token_id is None else eos_token_id
    options = dict(
        do_sample=jnp.asarray(bool(do_sample)),
        temperature=jnp.float32(temperature),
        top_k=jnp.int32(top_k),
        top_p=jnp.float32(top_p),
        eos=jnp.int32(-1 if eos is None else eos),  # -1: no token ends a row
        pad=jnp.int32(
            (config.pad_token_id if config.pad_token_id is not None else 1) if pad_token_id is None else pad_token_id
        ),
        from_zero=jnp.asarray(bool(position_ids_from_zero)),
    )
    params = model.params if params is None else params
    mask = None if attention_mask is None else jnp.asarray(attention_mask, dtype=jnp.int32)
    sequences = _decode(model.module, params, input_ids, mask, encoder_hidden_states, encoder_attention_mask, key,
                        options, max_length=max_length)  # fmt: skip
    return (FlaxSampleOutput if do_sample else FlaxGreedySearchOutput)(sequences=sequences)

"""`generate` for `TFRobertaForCausalLM`: greedy or sampled decoding over the key/value cache.

Positions are RoBERTa's (counted from `pad_token_id + 1` over the real tokens), as our PyTorch model counts
them in a full pass, in training and in `TextGenerationPipeline`; so on the same weights TF and PyTorch greedy
generation agree token for token. (The reference's PyTorch `generate` feeds positions counted from 0, its TF
`generate` RoBERTa's, so those two disagree.) Left-padded prompts are counted from their first real token.
"""

from __future__ import annotations

from .. import model_facts
from ._keras import tf
from .array_ops import TFOps


def filter_logits(logits: tf.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> tf.Tensor:
    """Temperature, then top-k, then nucleus (top-p) filtering of (batch, vocab) logits (`model_facts.sampling`,
    as the PyTorch and Flax `generate`); filtered entries become -inf."""
    return model_facts.filter_logits(TFOps, logits, temperature, top_k, top_p)


def _check(max_new_tokens, temperature, top_k, top_p) -> None:
    if not isinstance(max_new_tokens, int) or isinstance(max_new_tokens, bool) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be an int >= 1, got {max_new_tokens!r}")
    if not isinstance(temperature, (int, float)) or temperature <= 0:
        raise ValueError(f"temperature must be a float > 0, got {temperature!r}")
    if not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k must be an int >= 0, got {top_k!r}")
    if not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must be a float in (0, 1], got {top_p!r}")


class GenerationMixin:
    """Adds `generate` to a causal LM whose call takes position_ids, past_key_values and use_cache."""

    # The reference's generate() options, by name (the Flax generate() takes the same).
    def generate(self, input_ids, attention_mask=None, *, max_new_tokens: int | None = None,
                 max_length: int | None = None, do_sample: bool = False, temperature: float = 1.0, top_k: int = 0,
                 top_p: float = 1.0, eos_token_id: int | None = None, pad_token_id: int | None = None,
                 seed: int | None = None) -> tf.Tensor:  # fmt: skip
        """Continue each prompt of `input_ids` (batch, seq) by up to `max_new_tokens` tokens (default 20; or up
        to `max_length` tokens in all) and return (batch, seq + new) ids; a row that produced `eos_token_id`
        (default: the config's) is filled with `pad_token_id` after it, and generation stops when every row
        has. `do_sample` draws from the filtered distribution (`temperature`, `top_k`, `top_p`), reproducibly
        when `seed` is given."""
        c = self.config
        ids = tf.convert_to_tensor(input_ids)
        if ids.shape.rank != 2 or not ids.dtype.is_integer:
            raise ValueError(f"input_ids must be integer ids shaped (batch, seq), got {ids.dtype.name} {ids.shape}")
        length = int(ids.shape[1])
        if max_new_tokens is None:
            max_new_tokens = 20 if max_length is None else max_length - length
        _check(max_new_tokens, temperature, top_k, top_p)
        eos = c.eos_token_id if eos_token_id is None else eos_token_id
        pad = c.pad_token_id if pad_token_id is None else pad_token_id
        model_facts.check_generation_length(c, length, length + max_new_tokens)
        mask = tf.ones_like(ids) if attention_mask is None else tf.cast(attention_mask, ids.dtype)
        positions = model_facts.positions_from_mask(TFOps, mask, c.pad_token_id)
        out = self(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
        finished = tf.zeros([tf.shape(ids)[0]], tf.bool)
        new_tokens = []
        for step in range(max_new_tokens):
            logits = out["logits"][:, -1, :]
            if do_sample:
                logits = filter_logits(logits, temperature, top_k, top_p)
                if seed is None:
                    next_ids = tf.random.categorical(logits, 1, dtype=ids.dtype)[:, 0]
                else:
                    next_ids = tf.random.stateless_categorical(logits, 1, seed=[seed, step], dtype=ids.dtype)[:, 0]
            else:
                next_ids = tf.argmax(logits, axis=-1, output_type=ids.dtype)
            next_ids = tf.where(finished, tf.cast(pad, ids.dtype), next_ids)
            new_tokens.append(next_ids)
            if eos is not None:
                finished = finished | tf.equal(next_ids, eos)
            if bool(tf.reduce_all(finished)) or step == max_new_tokens - 1:
                break
            mask = tf.concat([mask, tf.ones_like(mask[:, :1])], axis=1)
            out = self(
                input_ids=next_ids[:, None],
                attention_mask=mask,
                position_ids=model_facts.positions_from_mask(TFOps, mask, c.pad_token_id)[:, -1:],
                past_key_values=out["past_key_values"],
                use_cache=True,
            )
        return tf.concat([ids, tf.stack(new_tokens, axis=1)], axis=1)

"""`generate` for `TFRobertaForCausalLM`: greedy or sampled decoding over the key/value cache.

Positions are RoBERTa's (counted from `pad_token_id + 1` over the real tokens), as our PyTorch model counts
them in a full pass, in training and in `TextGenerationPipeline`; so on the same weights TF and PyTorch greedy
generation agree token for token. (The reference's PyTorch `generate` feeds positions counted from 0, its TF
`generate` RoBERTa's, so those two disagree.) Left-padded prompts are counted from their first real token.
"""

from __future__ import annotations

from ._keras import tf


def filter_logits(logits: tf.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> tf.Tensor:
    """Temperature, then top-k, then nucleus (top-p) filtering of (batch, vocab) logits, in the order of
    `roberta.pipelines.text_generation.filter_logits`; filtered entries become -inf."""
    if temperature != 1.0:
        logits = logits / temperature
    minus_inf = tf.fill(tf.shape(logits), float("-inf"))
    if top_k and top_k > 0:
        kth = tf.math.top_k(logits, k=min(top_k, logits.shape[-1])).values[:, -1:]
        logits = tf.where(logits < kth, minus_inf, logits)
    if top_p < 1.0:
        order = tf.argsort(logits, axis=-1, direction="ASCENDING")
        ascending = tf.gather(logits, order, batch_dims=1)
        cumulative = tf.cumsum(tf.nn.softmax(ascending, axis=-1), axis=-1)
        remove = cumulative <= 1 - top_p
        remove = tf.concat([remove[:, :-1], tf.zeros_like(remove[:, -1:])], axis=-1)  # keep the most likely
        remove = tf.gather(remove, tf.argsort(order, axis=-1), batch_dims=1)  # back to vocabulary order
        logits = tf.where(remove, minus_inf, logits)
    return logits


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

    def generate(
        self,
        input_ids,
        attention_mask=None,
        *,
        max_new_tokens: int | None = None,
        max_length: int | None = None,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        eos_token_id: int | None = None,
        pad_token_id: int | None = None,
        seed: int | None = None,
    ) -> tf.Tensor:
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
        usable = c.max_position_embeddings - c.pad_token_id - 1
        if length + max_new_tokens > usable:
            raise ValueError(
                f"a prompt of {length} tokens plus max_new_tokens={max_new_tokens} exceeds the {usable} positions "
                f"this model supports; shorten the prompt or lower max_new_tokens"
            )
        mask = tf.ones_like(ids) if attention_mask is None else tf.cast(attention_mask, ids.dtype)
        real = tf.cumsum(mask, axis=1)  # real tokens up to each position
        positions = real * mask + c.pad_token_id
        out = self(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True)
        count = real[:, -1:]
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
            count = count + 1
            mask = tf.concat([mask, tf.ones_like(count)], axis=1)
            out = self(
                input_ids=next_ids[:, None],
                attention_mask=mask,
                position_ids=count + c.pad_token_id,
                past_key_values=out["past_key_values"],
                use_cache=True,
            )
        return tf.concat([ids, tf.stack(new_tokens, axis=1)], axis=1)

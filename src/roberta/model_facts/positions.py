"""RoBERTa's positions: counted from `padding_idx + 1` over the real tokens, padding at `padding_idx`.

So a table of `max_position_embeddings` absolute positions holds `max_position_embeddings - padding_idx - 1`
tokens per sequence (cached tokens included), the length every tokenizer limit, pipeline window and
`generate` bound here derives from. Relative position types have no such table limit.
"""

from __future__ import annotations

from typing import Any

from .ops import ArrayOps


def usable_positions(
    max_positions: int, padding_idx: int | None, *, absolute: bool = True, from_zero: bool = False
) -> int:
    """Tokens one sequence may hold. `from_zero`: positions counted from 0 (the reference's `generate`)."""
    if not absolute or from_zero or padding_idx is None:
        return max_positions
    return max_positions - padding_idx - 1


def config_positions(config: Any, *, from_zero: bool = False) -> int:
    """`usable_positions` of a `RobertaConfig` (or anything with its fields)."""
    absolute = getattr(config, "position_embedding_type", "absolute") == "absolute"
    return usable_positions(config.max_position_embeddings, config.pad_token_id, absolute=absolute, from_zero=from_zero)


def check_generation_length(config: Any, prompt_length: int, max_length: int, *, from_zero: bool = False) -> None:
    """A ValueError when a prompt of `prompt_length` tokens continued to `max_length` tokens in all would not fit
    the model's positions (`generate` and the text-generation pipeline of every framework)."""
    usable = config_positions(config, from_zero=from_zero)
    if max_length > usable:
        raise ValueError(
            f"max_length={max_length} (a prompt of {prompt_length} tokens + {max_length - prompt_length} new tokens) "
            f"exceeds the {usable} positions this model supports; shorten the prompt or lower max_new_tokens / "
            f"max_length"
        )


def first_position(padding_idx: int, past_length: Any = 0) -> Any:
    """The position of the first real token after `past_length` cached ones."""
    return padding_idx + 1 + past_length


def positions_from_mask(
    ops: ArrayOps, keep: Any, padding_idx: int, past_length: Any = 0, *, from_zero: bool = False
) -> Any:
    """(batch, seq) positions from an int `keep` mask (1: a token, 0: padding), after `past_length` cached
    tokens: kept tokens count from padding_idx + 1, padding gets padding_idx. `from_zero`: the reference
    generate's instead (kept tokens count from 0, padding gets 1)."""
    counts = ops.cumsum(keep) + past_length
    if from_zero:
        return (counts - 1) * keep + (1 - keep)
    return counts * keep + padding_idx


def position_ids_from_input_ids(ops: ArrayOps, input_ids: Any, padding_idx: int, past_length: Any = 0) -> Any:
    """Positions of `input_ids` (batch, seq), every id other than padding_idx a token; int32."""
    return positions_from_mask(ops, ops.as_int(input_ids != padding_idx), padding_idx, past_length)


def position_table_message(max_positions: int, padding_idx: int, found: str = "a position id") -> str:
    """The error for a position outside the table: what `found` was, and how long inputs may be."""
    usable = usable_positions(max_positions, padding_idx)
    return (
        f"{found} is outside the position table of size max_position_embeddings={max_positions}: this model "
        f"takes at most {usable} tokens per sequence (cached tokens included); truncate the input "
        f"(e.g. tokenizer(..., truncation=True, max_length={usable}))"
    )

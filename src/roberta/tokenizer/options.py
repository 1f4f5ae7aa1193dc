"""Padding and truncation options: parsing them as the reference does, and padding one row."""

from __future__ import annotations

import dataclasses
import enum
import warnings
from dataclasses import dataclass
from typing import Any

LARGE_INTEGER = int(1e30)  # "no limit" model_max_length, as the reference uses


class PaddingStrategy(str, enum.Enum):
    """How to pad: not at all, to the longest row of the batch, or to `max_length`."""

    LONGEST = "longest"
    MAX_LENGTH = "max_length"
    DO_NOT_PAD = "do_not_pad"


class TruncationStrategy(str, enum.Enum):
    """How to truncate pairs (and single sequences) longer than `max_length`."""

    ONLY_FIRST = "only_first"
    ONLY_SECOND = "only_second"
    LONGEST_FIRST = "longest_first"
    DO_NOT_TRUNCATE = "do_not_truncate"


# Kept repeat: EncodeOptions' field list; model_facts/trunk.py's TrunkInputs is another record of like shape.
@dataclass(slots=True)
class EncodeOptions:
    """Every encoding option, resolved once by `RobertaTokenizerBase` and handed down whole to the tokenizer
    that encodes (the padding and truncation arguments as strategies and an effective `max_length`). Read
    only once built (not frozen: a frozen dataclass sets each field through `object.__setattr__`, slower, and
    one is built per call)."""

    padding_strategy: PaddingStrategy
    truncation_strategy: TruncationStrategy
    max_length: int | None
    add_special_tokens: bool = True
    stride: int = 0
    is_split_into_words: bool = False
    pad_to_multiple_of: int | None = None
    padding_side: str = "right"
    return_tensors: str | None = None
    return_token_type_ids: bool | None = None
    return_attention_mask: bool | None = None
    return_overflowing_tokens: bool = False
    return_special_tokens_mask: bool = False
    return_offsets_mapping: bool = False
    return_length: bool = False
    verbose: bool = True
    split_special_tokens: bool = False
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # anything else the caller passed


def _enum(cls: type, value: Any, arg: str) -> Any:
    try:
        return cls(getattr(value, "value", value))
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"{arg}={value!r} is not valid; use True, False or one of {allowed}") from None


def resolve_strategies(
    tok: Any,
    padding: Any = False,
    truncation: Any = None,
    max_length: int | None = None,
    pad_to_multiple_of: int | None = None,
) -> tuple[PaddingStrategy, TruncationStrategy, int | None]:
    """Turn user-facing `padding`/`truncation`/`max_length` into strategies and an effective max_length."""
    if max_length is not None and padding is False and truncation is None:
        truncation = "longest_first"  # the reference's implicit truncation when only max_length is given
    if padding is True:
        if max_length is not None and truncation in (None, False, "do_not_truncate"):
            warnings.warn(
                "`max_length` is ignored when `padding`=`True` and there is no truncation strategy. "
                "To pad to max length, use `padding='max_length'`.",
                stacklevel=2,
            )
        pad = PaddingStrategy.LONGEST
    elif padding is False or padding is None:
        pad = PaddingStrategy.DO_NOT_PAD
    else:
        pad = _enum(PaddingStrategy, padding, "padding")
    if truncation is True:
        trunc = TruncationStrategy.LONGEST_FIRST
    elif truncation is False or truncation is None:
        trunc = TruncationStrategy.DO_NOT_TRUNCATE
    else:
        trunc = _enum(TruncationStrategy, truncation, "truncation")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 0):
        raise ValueError(f"max_length must be a non-negative integer or None, got {max_length!r}")
    if pad_to_multiple_of is not None and (not isinstance(pad_to_multiple_of, int) or pad_to_multiple_of <= 0):
        raise ValueError(f"pad_to_multiple_of must be a positive integer or None, got {pad_to_multiple_of!r}")
    limit = tok.model_max_length
    if max_length is None:
        if pad == PaddingStrategy.MAX_LENGTH:
            if limit > LARGE_INTEGER:
                pad = PaddingStrategy.DO_NOT_PAD
            else:
                max_length = limit
        if trunc != TruncationStrategy.DO_NOT_TRUNCATE:
            if limit > LARGE_INTEGER:
                trunc = TruncationStrategy.DO_NOT_TRUNCATE
            else:
                max_length = limit
    if pad != PaddingStrategy.DO_NOT_PAD and (
        tok.pad_token is None or tok.pad_token_id is None or tok.pad_token_id < 0
    ):
        raise ValueError(
            "Asking to pad but the tokenizer does not have a padding token. Set one, e.g. "
            "`tokenizer.pad_token = tokenizer.eos_token`, or pass padding=False."
        )
    if (
        trunc != TruncationStrategy.DO_NOT_TRUNCATE
        and pad != PaddingStrategy.DO_NOT_PAD
        and pad_to_multiple_of is not None
        and max_length is not None
        and max_length % pad_to_multiple_of
    ):
        raise ValueError(
            f"Truncation and padding are both activated but truncation length ({max_length}) is not "
            f"a multiple of pad_to_multiple_of ({pad_to_multiple_of})."
        )
    return pad, trunc, max_length


def pad_row(
    row: dict[str, list],
    *,
    strategy: PaddingStrategy,
    max_length: int | None,
    pad_to_multiple_of: int | None,
    side: str,
    pad_id: int | None,
    pad_type_id: int,
    return_attention_mask: bool,
) -> dict[str, list]:
    """Pad one example's lists in place (input_ids, attention_mask, token_type_ids, special_tokens_mask)."""
    ids = row["input_ids"]
    if strategy == PaddingStrategy.LONGEST:
        max_length = len(ids)
    if max_length is not None and pad_to_multiple_of is not None and max_length % pad_to_multiple_of:
        max_length = (max_length // pad_to_multiple_of + 1) * pad_to_multiple_of
    if return_attention_mask and "attention_mask" not in row:
        row["attention_mask"] = [1] * len(ids)
    if strategy == PaddingStrategy.DO_NOT_PAD or max_length is None or len(ids) >= max_length:
        return row
    if side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {side!r}")
    n = max_length - len(ids)
    fills = {"input_ids": pad_id, "attention_mask": 0, "token_type_ids": pad_type_id, "special_tokens_mask": 1}
    for key, fill in fills.items():
        if key in row and (key != "attention_mask" or return_attention_mask):
            row[key] = row[key] + [fill] * n if side == "right" else [fill] * n + row[key]
    return row

"""The encoding front: `__call__`, `encode_plus`, `batch_encode_plus` and `encode`.

Each takes the reference's arguments, checks them, resolves them once into an `EncodeOptions` and hands the
inputs, as (text, text_pair) tuples, to the backend's `_encode_batch` (slow.py, fast.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .encoding import BatchEncoding
from .options import EncodeOptions, resolve_strategies

_TENSOR_TYPES = ("pt", "np", "jax", "tf")


def _is_text_input(t: Any) -> bool:
    if isinstance(t, str):
        return True
    if isinstance(t, (list, tuple)):
        if len(t) == 0 or isinstance(t[0], str):
            return True
        if isinstance(t[0], (list, tuple)):
            return len(t[0]) == 0 or isinstance(t[0][0], str)
    return False


def _batch_inputs(batch: Sequence[Any], split_into_words: bool) -> list[tuple[Any, Any]]:
    """A batch's examples as (text, text_pair) tuples; an example that is a list/tuple is a pair unless it
    is pre-split words."""
    inputs = []
    for item in batch:
        if not isinstance(item, (list, tuple)) or (split_into_words and not isinstance(item[0], (list, tuple))):
            inputs.append((item, None))
        else:
            if len(item) != 2:
                raise ValueError(
                    f"a batch item that is a list/tuple must be a (text, text_pair) pair, got "
                    f"{len(item)} elements; pass is_split_into_words=True for pre-split words"
                )
            inputs.append((item[0], item[1]))
    return inputs


class EncodeCallsMixin:
    """The user-facing encoding methods; subclasses provide `_encode_batch`."""

    padding_side: str
    split_special_tokens: bool

    def _encode_batch(self, inputs: list[tuple[Any, Any]], *, single: bool, options: EncodeOptions) -> BatchEncoding:
        """Encode (text, text_pair) tuples into one BatchEncoding (unbatched lists when `single`)."""
        raise NotImplementedError

    # The reference's argument list, repeated per method (encode_plus, batch_encode_plus): users pass it
    # positionally, so each method spells it out.
    def __call__(self, text: Any = None, text_pair: Any = None, text_target: Any = None, text_pair_target: Any = None,
                 add_special_tokens: bool = True, padding: Any = False, truncation: Any = None,
                 max_length: int | None = None, stride: int = 0, is_split_into_words: bool = False,
                 pad_to_multiple_of: int | None = None, padding_side: str | None = None,
                 return_tensors: str | None = None, return_token_type_ids: bool | None = None,
                 return_attention_mask: bool | None = None, return_overflowing_tokens: bool = False,
                 return_special_tokens_mask: bool = False, return_offsets_mapping: bool = False,
                 return_length: bool = False, verbose: bool = True, **kwargs: Any) -> BatchEncoding:  # fmt: skip
        """Tokenize a string, a pair, a batch of strings/pairs or pre-split words, ready for the model.
        `text_target` (and `text_pair_target`) are encoded the same way; their input ids become `labels`
        (or, without `text`, the target's encoding is returned)."""
        if text is None and text_target is None:
            raise ValueError(
                "You need to specify either `text` or `text_target` (a string, a list of strings or a list of "
                "word lists)."
            )
        for name, value in (
            ("text", text),
            ("text_pair", text_pair),
            ("text_target", text_target),
            ("text_pair_target", text_pair_target),
        ):
            if value is not None and not _is_text_input(value):
                raise ValueError(
                    f"{name} must be a str (one example), a list[str] (a batch, or one pre-split "
                    f"example) or a list[list[str]] (a batch of pre-split examples); got {value!r:.80}"
                )
        options = self._options(  # in _options's order, which is the signature's (split_special_tokens: in kwargs)
            add_special_tokens, padding, truncation, max_length, stride, is_split_into_words, pad_to_multiple_of,
            padding_side, return_tensors, return_token_type_ids, return_attention_mask, return_overflowing_tokens,
            return_special_tokens_mask, return_offsets_mapping, return_length, verbose, None, kwargs,
        )  # fmt: skip
        encodings = None if text is None else self._call_one(text, text_pair, options)
        if text_target is None:
            return encodings
        targets = self._call_one(text_target, text_pair_target, options)
        if encodings is None:
            return targets
        encodings["labels"] = targets["input_ids"]
        return encodings

    def _call_one(self, text: Any, text_pair: Any, options: EncodeOptions) -> BatchEncoding:
        """`__call__` on one text (and its pair): an example, or a batch of them."""
        if options.is_split_into_words:
            batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
        else:
            batched = isinstance(text, (list, tuple))
        if not batched:
            return self._encode_batch([(text, text_pair)], single=True, options=options)
        if isinstance(text_pair, str):
            raise TypeError(
                "when tokenizing batches of text, `text_pair` must be a list or tuple with the same length as `text`."
            )
        if text_pair is not None and len(text) != len(text_pair):
            raise ValueError(
                f"batch length of `text`: {len(text)} does not match batch length of `text_pair`: {len(text_pair)}."
            )
        pairs = list(zip(text, text_pair)) if text_pair is not None else text
        return self._encode_batch(_batch_inputs(pairs, options.is_split_into_words), single=False, options=options)

    def _options(self, add_special_tokens: bool, padding: Any, truncation: Any, max_length: int | None, stride: int,
                 is_split_into_words: bool, pad_to_multiple_of: int | None, padding_side: str | None,
                 return_tensors: str | None, return_token_type_ids: bool | None, return_attention_mask: bool | None,
                 return_overflowing_tokens: bool, return_special_tokens_mask: bool, return_offsets_mapping: bool,
                 return_length: bool, verbose: bool, split_special_tokens: bool | None,
                 extra: dict[str, Any]) -> EncodeOptions:  # fmt: skip
        """The arguments of one call, checked and resolved (`split_special_tokens` None: `extra`'s, else the
        tokenizer's).

        The callers pass them positionally: the parameters are in the order of the reference's signatures."""
        if split_special_tokens is None:
            split_special_tokens = extra.pop("split_special_tokens", None)
        pad, trunc, max_length = resolve_strategies(self, padding, truncation, max_length, pad_to_multiple_of)
        if padding_side is not None and padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        if return_tensors is not None and getattr(return_tensors, "value", return_tensors) not in _TENSOR_TYPES:
            raise ValueError(f"return_tensors must be 'pt', 'np', 'jax', 'tf' or None, got {return_tensors!r}")
        return EncodeOptions(
            padding_strategy=pad,
            truncation_strategy=trunc,
            max_length=max_length,
            add_special_tokens=add_special_tokens,
            stride=stride,
            is_split_into_words=is_split_into_words,
            pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side or self.padding_side,
            return_tensors=return_tensors,
            return_token_type_ids=return_token_type_ids,
            return_attention_mask=return_attention_mask,
            return_overflowing_tokens=return_overflowing_tokens,
            return_special_tokens_mask=return_special_tokens_mask,
            return_offsets_mapping=return_offsets_mapping,
            return_length=return_length,
            verbose=verbose,
            split_special_tokens=self.split_special_tokens if split_special_tokens is None else split_special_tokens,
            extra=extra,
        )

    def encode_plus(self, text: Any, text_pair: Any = None, add_special_tokens: bool = True, padding: Any = False,
                    truncation: Any = None, max_length: int | None = None, stride: int = 0,
                    is_split_into_words: bool = False, pad_to_multiple_of: int | None = None,
                    padding_side: str | None = None, return_tensors: str | None = None,
                    return_token_type_ids: bool | None = None, return_attention_mask: bool | None = None,
                    return_overflowing_tokens: bool = False, return_special_tokens_mask: bool = False,
                    return_offsets_mapping: bool = False, return_length: bool = False, verbose: bool = True,
                    **kwargs: Any) -> BatchEncoding:  # fmt: skip
        """Encode one example (a string, pre-split words or ids) or one pair; returns unbatched lists."""
        options = self._options(  # in _options's order, which is the signature's (split_special_tokens: in kwargs)
            add_special_tokens, padding, truncation, max_length, stride, is_split_into_words, pad_to_multiple_of,
            padding_side, return_tensors, return_token_type_ids, return_attention_mask, return_overflowing_tokens,
            return_special_tokens_mask, return_offsets_mapping, return_length, verbose, None, kwargs,
        )  # fmt: skip
        return self._encode_batch([(text, text_pair)], single=True, options=options)

    def batch_encode_plus(self, batch_text_or_text_pairs: Sequence[Any], add_special_tokens: bool = True,
                          padding: Any = False, truncation: Any = None, max_length: int | None = None, stride: int = 0,
                          is_split_into_words: bool = False, pad_to_multiple_of: int | None = None,
                          padding_side: str | None = None, return_tensors: str | None = None,
                          return_token_type_ids: bool | None = None, return_attention_mask: bool | None = None,
                          return_overflowing_tokens: bool = False, return_special_tokens_mask: bool = False,
                          return_offsets_mapping: bool = False, return_length: bool = False, verbose: bool = True,
                          split_special_tokens: bool | None = None, **kwargs: Any) -> BatchEncoding:  # fmt: skip
        """Encode a batch of examples; an example may be a (text, text_pair) tuple. `split_special_tokens`
        None (the default) keeps the tokenizer's setting."""
        if not isinstance(batch_text_or_text_pairs, (list, tuple)):
            raise TypeError(
                f"batch_text_or_text_pairs has to be a list or a tuple (got {type(batch_text_or_text_pairs).__name__})"
            )
        options = self._options(  # in _options's order, which is the signature's
            add_special_tokens, padding, truncation, max_length, stride, is_split_into_words, pad_to_multiple_of,
            padding_side, return_tensors, return_token_type_ids, return_attention_mask, return_overflowing_tokens,
            return_special_tokens_mask, return_offsets_mapping, return_length, verbose, split_special_tokens, kwargs,
        )  # fmt: skip
        inputs = _batch_inputs(batch_text_or_text_pairs, is_split_into_words)
        return self._encode_batch(inputs, single=False, options=options)

    def encode(self, text: Any, text_pair: Any = None, add_special_tokens: bool = True, **kwargs: Any) -> list[int]:
        """Return the input ids of one example or pair."""
        return self.encode_plus(text, text_pair, add_special_tokens=add_special_tokens, **kwargs)["input_ids"]

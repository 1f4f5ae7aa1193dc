"""`BatchEncoding`: the dict a tokenizer call returns, with attribute access and tensor conversion."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

TENSOR_TYPES = ("pt", "np", "jax", "tf")


def _as_tensor(key: str, value: Any, tensor_type: str) -> Any:
    if tensor_type == "jax":
        import jax.numpy as jnp

        return jnp.asarray(_as_tensor(key, value, "np"))
    if tensor_type == "tf":  # TensorFlow is imported only when asked for
        import tensorflow as tf

        return value if isinstance(value, tf.Tensor) else tf.constant(_as_tensor(key, value, "np"))
    if tensor_type == "pt":
        import torch

        if torch.is_tensor(value):
            return value
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
            return torch.from_numpy(np.array(value))
        return torch.tensor(value)
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple, np.ndarray)):
        if len({len(v) for v in value}) > 1:  # ragged: numpy object array, as the reference does
            out = np.empty(len(value), dtype=object)
            for i, v in enumerate(value):
                out[i] = np.asarray(v)
            return out
    return np.asarray(value)


class CharSpan(NamedTuple):
    """A span of characters in the original text: `start`, and `end` one past the last character."""

    start: int
    end: int


class TokenSpan(NamedTuple):
    """A span of tokens in an encoding: `start`, and `end` one past the last token."""

    start: int
    end: int


class NoSuchWordError(IndexError, TypeError):
    """A word index a row does not have. Also a TypeError, which is what the reference raises here."""


class BatchEncoding(dict):
    """Output of a tokenizer call: `input_ids`, `attention_mask`, ... as keys and as attributes.

    For fast tokenizers `encodings` holds the `tokenizers.Encoding` of each row, which powers
    `tokens()`, `word_ids()`, `sequence_ids()` and `char_to_token()`.
    """

    def __init__(
        self,
        data: dict | None = None,
        encoding: Any = None,
        tensor_type: str | None = None,
        prepend_batch_axis: bool = False,
        n_sequences: int | None = None,
    ) -> None:
        super().__init__(data or {})
        if encoding is not None and not isinstance(encoding, (list, tuple)):
            encoding = [encoding]
        self._encodings = list(encoding) if encoding is not None else None
        if n_sequences is None and self._encodings:
            n_sequences = self._encodings[0].n_sequences
        self._n_sequences = n_sequences
        self.convert_to_tensors(tensor_type, prepend_batch_axis=prepend_batch_axis)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no key or attribute {name!r}") from None

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return super().__getitem__(item)
        if isinstance(item, int):
            if self._encodings is None:
                raise KeyError("indexing by integer needs a fast tokenizer's encodings; index by key instead")
            return self._encodings[item]
        if isinstance(item, slice):
            return {key: value[item] for key, value in self.items()}
        raise KeyError(f"invalid key {item!r}: use a string key, an integer row or a slice")

    def __getstate__(self) -> dict:
        return {"data": dict(self), "encodings": self._encodings, "n_sequences": self._n_sequences}

    def __setstate__(self, state: dict) -> None:
        self.update(state["data"])
        self._encodings = state["encodings"]
        self._n_sequences = state["n_sequences"]

    @property
    def data(self) -> dict:
        """The underlying key -> value mapping (for compatibility with the reference's UserDict)."""
        return dict(self)

    @property
    def encodings(self) -> list | None:
        """The `tokenizers.Encoding` of each row (fast tokenizers), else None."""
        return self._encodings

    @property
    def is_fast(self) -> bool:
        """Whether this came from a fast tokenizer."""
        return self._encodings is not None

    @property
    def n_sequences(self) -> int | None:
        """1 for single sequences, 2 for pairs (None when unknown)."""
        return self._n_sequences

    def _encoding(self, batch_index: int, what: str) -> Any:
        if not self._encodings:
            raise ValueError(
                f"{what}() is not available when using non-fast tokenizers (e.g. RobertaTokenizer): "
                "it needs the offsets only a fast tokenizer keeps; use RobertaTokenizerFast"
            )
        return self._encodings[batch_index]

    def _locate(self, what: str, first: int, second: int | None, is_token: bool = False) -> tuple[Any, int]:
        """The row's Encoding and the index within it, for the `(index)` and `(batch_index, index)` call forms.
        Negative rows and (`is_token`) tokens count from the end, as on lists (the reference meant to, but
        raises AttributeError); negative word and character indices are the backend's OverflowError."""
        batch_index, index = (0, first) if second is None else (first, second)
        encoding = self._encoding(batch_index, what)
        if is_token and index < 0:
            index += len(encoding)
        return encoding, index

    def tokens(self, batch_index: int = 0) -> list[str]:
        """The tokens of row `batch_index`."""
        return self._encoding(batch_index, "tokens").tokens

    def word_ids(self, batch_index: int = 0) -> list[int | None]:
        """For each token of row `batch_index`, the index of the word it came from (None for special tokens)."""
        return self._encoding(batch_index, "word_ids").word_ids

    def words(self, batch_index: int = 0) -> list[int | None]:
        """Deprecated alias of `word_ids` (warns, as the reference does)."""
        self._encoding(batch_index, "words")
        warnings.warn(
            "`BatchEncoding.words()` property is deprecated and should be replaced with the identical, "
            "but more self-explanatory `BatchEncoding.word_ids()` property.",
            FutureWarning,
            stacklevel=2,
        )
        return self.word_ids(batch_index)

    def sequence_ids(self, batch_index: int = 0) -> list[int | None]:
        """For each token of row `batch_index`, 0 or 1 for the sequence it belongs to (None for special tokens)."""
        return self._encoding(batch_index, "sequence_ids").sequence_ids

    def token_to_sequence(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        """Which sequence (0, or 1 for the second of a pair) a token belongs to; None for special tokens.
        Called as `(token_index)` for row 0 or `(batch_index, token_index)`."""
        encoding, token = self._locate("token_to_sequence", batch_or_token_index, token_index, is_token=True)
        return encoding.token_to_sequence(token)

    def token_to_word(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        """Index of the word (in its own sequence) a token comes from; None for special tokens."""
        encoding, token = self._locate("token_to_word", batch_or_token_index, token_index, is_token=True)
        return encoding.token_to_word(token)

    def word_to_tokens(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> TokenSpan | None:
        """TokenSpan(start, end) of the tokens of a word of sequence `sequence_index`; None when no token has it."""
        encoding, word = self._locate("word_to_tokens", batch_or_word_index, word_index)
        span = encoding.word_to_tokens(word, sequence_index)
        return None if span is None else TokenSpan(*span)

    def token_to_chars(self, batch_or_token_index: int, token_index: int | None = None) -> CharSpan | None:
        """CharSpan(start, end) of a token in its text; None for special tokens."""
        encoding, token = self._locate("token_to_chars", batch_or_token_index, token_index, is_token=True)
        span = encoding.token_to_chars(token)
        return None if span is None else CharSpan(*span)

    def char_to_token(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        """Index of the token holding a character of sequence `sequence_index`; None for trimmed whitespace."""
        encoding, char = self._locate("char_to_token", batch_or_char_index, char_index)
        return encoding.char_to_token(char, sequence_index)

    def word_to_chars(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> CharSpan:
        """CharSpan(start, end) of a word of sequence `sequence_index` in its text. A word index the row does
        not have is a `NoSuchWordError` (a TypeError, as the reference's failure is)."""
        encoding, word = self._locate("word_to_chars", batch_or_word_index, word_index)
        span = encoding.word_to_chars(word, sequence_index)
        if span is None:
            raise NoSuchWordError(f"sequence {sequence_index} of this row has no word {word}")
        return CharSpan(*span)

    def char_to_word(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        """Index of the word holding a character of sequence `sequence_index`; None for whitespace."""
        encoding, char = self._locate("char_to_word", batch_or_char_index, char_index)
        return encoding.char_to_word(char, sequence_index)

    def convert_to_tensors(self, tensor_type: str | None = None, prepend_batch_axis: bool = False) -> BatchEncoding:
        """Turn the values into "pt" (torch), "np" (numpy), "jax" or "tf" (TensorFlow) arrays, in place; None
        leaves lists."""
        if tensor_type is None:
            return self
        tensor_type = getattr(tensor_type, "value", tensor_type)
        if tensor_type not in TENSOR_TYPES:
            raise ValueError(f"return_tensors must be one of {TENSOR_TYPES} or None, got {tensor_type!r}")
        for key, value in list(self.items()):
            if prepend_batch_axis:
                value = [value]
            try:
                super().__setitem__(key, _as_tensor(key, value, tensor_type))
            except (ValueError, TypeError, RuntimeError) as e:
                if key == "overflowing_tokens":
                    raise ValueError(
                        "Unable to create tensor returning overflowing tokens of different lengths. "
                        "Please see if a fast tokenizer might be available and use it instead."
                    ) from e
                raise ValueError(
                    f"Unable to create tensor for {key!r}: the rows have different lengths. Pass padding=True "
                    "(and truncation=True) to get rows of the same length."
                ) from e
        return self

    def to(self, device: Any, *, non_blocking: bool = False) -> BatchEncoding:
        """Move every torch tensor value to `device`; other values are left as they are."""
        for key, value in list(self.items()):
            if hasattr(value, "to") and callable(value.to):
                super().__setitem__(key, value.to(device=device, non_blocking=non_blocking))
        return self

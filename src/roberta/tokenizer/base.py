"""The Hugging Face tokenizer surface shared by `RobertaTokenizer` and `RobertaTokenizerFast`.

The two tokenizers supply a small backend half: encoding (`_encode_batch`), decoding (`_decode`), and the
vocabulary (`_lookup`, `_token_of`, `_add_to_vocabulary`, `_vocabulary`). `RobertaTokenizerBase` holds the
constructor's settings and gathers everything else, one concern a module:

- encode_calls.py: `__call__`, `encode_plus`, `batch_encode_plus`, `encode` (options resolved once into
  `EncodeOptions`, options.py)
- padding.py: `pad`
- special_tokens.py: the special-token attributes, `add_special_tokens`, RoBERTa's `<s> A </s></s> B </s>`
- vocabulary.py: token <-> id, `add_tokens`
- decoding.py: `decode`, `batch_decode`
- saving.py: `save_pretrained`, `save_vocabulary`, `from_pretrained`
- state.py: pickling and copying
"""

from __future__ import annotations

import os
from typing import Any

from .decoding import DecodingMixin, clean_up_tokenization
from .encode_calls import EncodeCallsMixin
from .options import LARGE_INTEGER, PaddingStrategy, TruncationStrategy
from .padding import PaddingMixin
from .saving import SavingMixin
from .special_tokens import SPECIAL_TOKEN_ATTRIBUTES, SpecialTokensMixin, default_special_tokens
from .state import TokenizerStateMixin
from .vocabulary import VocabularyMixin


class RobertaTokenizerBase(
    EncodeCallsMixin,
    PaddingMixin,
    DecodingMixin,
    SavingMixin,
    VocabularyMixin,
    TokenizerStateMixin,
    SpecialTokensMixin,
):
    """Shared encode/pad/decode/save logic of the RoBERTa tokenizers."""

    model_input_names: list[str] = ["input_ids", "attention_mask"]
    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
    is_fast = False

    def __init__(
        self,
        *,
        errors: str = "replace",
        add_prefix_space: bool = False,
        model_max_length: int | None = None,
        padding_side: str = "right",
        truncation_side: str = "right",
        clean_up_tokenization_spaces: bool = False,
        model_input_names: list[str] | None = None,
        split_special_tokens: bool = False,
        name_or_path: str | os.PathLike = "",
        **special_tokens: Any,
    ) -> None:
        unknown = set(special_tokens) - set(SPECIAL_TOKEN_ATTRIBUTES)
        if unknown:
            raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)} for {type(self).__name__}")
        for name, value in (("padding_side", padding_side), ("truncation_side", truncation_side)):
            if value not in ("left", "right"):
                raise ValueError(f"{name} must be 'left' or 'right', got {value!r}")
        self.errors = errors
        self.add_prefix_space = bool(add_prefix_space)
        self.model_max_length = LARGE_INTEGER if model_max_length is None else int(model_max_length)
        self.padding_side = padding_side
        self.truncation_side = truncation_side
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.split_special_tokens = split_special_tokens
        if model_input_names is not None:
            self.model_input_names = list(model_input_names)
        self.name_or_path = os.fspath(name_or_path)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length}, padding_side={self.padding_side!r}, "
            f"special_tokens={self.special_tokens_map})"
        )


__all__ = [
    "RobertaTokenizerBase",
    "TruncationStrategy",
    "PaddingStrategy",
    "clean_up_tokenization",
    "default_special_tokens",
]

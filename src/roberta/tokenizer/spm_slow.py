"""`SentencePieceTokenizer`: the slow tokenizer of a fairseq SentencePiece checkpoint (XLM-RoBERTa,
CamemBERT), segmenting with the `sentencepiece` package.

It is `RobertaTokenizer` with another vocabulary: the added-token splitting, encoding, truncation, padding,
decoding and the special-token layout (`<s> A </s></s> B </s>`) are RoBERTa's; the stretches between added
tokens are segmented by SentencePiece and its ids are shifted by the class's `FairseqLayout`.
"""

from __future__ import annotations

import os
from typing import Any

from tokenizers import AddedToken

from .base import RobertaTokenizerBase
from .slow import RobertaTokenizer
from .spm_convert import SPIECE_UNDERLINE
from .spm_files import SentencePieceFilesMixin, pop_special_tokens, sentencepiece_processor


class SentencePieceTokenizer(SentencePieceFilesMixin, RobertaTokenizer):
    """A fairseq SentencePiece tokenizer in Python; subclasses set the layout and the class facts."""

    # the SentencePiece processor and the vocabulary tables, rebuilt from the model's bytes (`_sp_proto`):
    # not pickled (see state.py)
    _transient = ("_split_pattern", "decoder", "encoder", "sp_model")
    _not_init_kwargs = RobertaTokenizerBase._not_init_kwargs

    def __init__(
        self,
        vocab_file: str | os.PathLike,
        sp_model_kwargs: dict[str, Any] | None = None,
        added_tokens_decoder: dict[int, AddedToken] | None = None,
        **kwargs: Any,
    ) -> None:
        special, additional = pop_special_tokens(self, kwargs)
        mask = special.get("mask_token")
        if isinstance(mask, str):  # <mask> absorbs the space before it
            special["mask_token"] = AddedToken(mask, lstrip=True, rstrip=False, normalized=False, special=True)
        self.sp_model_kwargs = dict(sp_model_kwargs or {})
        self._remember_init_kwargs(
            dict(**special, sp_model_kwargs=self.sp_model_kwargs, **kwargs)
            | ({"additional_special_tokens": additional} if additional else {})
        )
        kwargs.pop("tokenizer_file", None)
        self.vocab_file = os.fspath(vocab_file)
        with open(vocab_file, "rb") as f:
            self._sp_proto = f.read()
        super(RobertaTokenizer, self).__init__(**kwargs)
        self._setup_added_tokens(special, additional, added_tokens_decoder)

    def _reset_transient(self) -> None:
        self.sp_model = sentencepiece_processor(self._sp_proto, self.sp_model_kwargs, type(self).__name__)
        pieces = [self.sp_model.id_to_piece(i) for i in range(self.sp_model.get_piece_size())]
        self.encoder = self.layout.token_ids(pieces)
        super()._reset_transient()

    # RobertaTokenizer pickles its BPE tables as text; here every table is rebuilt from the model's bytes
    __getstate__ = RobertaTokenizerBase.__getstate__
    __setstate__ = RobertaTokenizerBase.__setstate__

    def _spm_bytes(self) -> bytes:
        return self._sp_proto

    # ----------------------------------------------------------------- tokenizing
    def tokenize(self, text: str, **kwargs: Any) -> list[str]:
        """Split `text` into tokens: added/special tokens whole, the rest SentencePiece pieces."""
        kwargs.pop("is_split_into_words", None)  # SentencePiece marks the start of every word itself
        kwargs.pop("add_prefix_space", None)
        return super().tokenize(text, add_prefix_space=False, **kwargs)

    def _tokenize_chunk(self, text: str) -> list[str]:
        return self.sp_model.encode(text, out_type=str)

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Join pieces into text: `▁` is a space; the ends are stripped."""
        return "".join(tokens).replace(SPIECE_UNDERLINE, " ").strip()

    def _vocabulary(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        raise NotImplementedError(f"{type(self).__name__} has a SentencePiece model, not vocab.json + merges.txt")

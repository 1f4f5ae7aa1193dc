"""`SentencePieceTokenizerFast`: the fast tokenizer of a fairseq SentencePiece checkpoint (XLM-RoBERTa,
CamemBERT), on the `tokenizers` library.

It is `RobertaTokenizerFast` over another backend: tokenizer.json when there is one, else the backend built
from sentencepiece.bpe.model as the reference converts it (`spm_convert`; no `sentencepiece` or protobuf
package needed).
"""

from __future__ import annotations

import os
from typing import Any

from tokenizers import AddedToken, Tokenizer

from .fast import RobertaTokenizerFast
from .sentencepiece_model import read_model
from .spm_convert import build_backend
from .spm_files import SPM_FILE, SentencePieceFilesMixin, pop_special_tokens


class SentencePieceTokenizerFast(SentencePieceFilesMixin, RobertaTokenizerFast):
    """A fairseq SentencePiece tokenizer on `tokenizers`, with offsets; subclasses set the layout and the
    class facts. Pre-split words (`is_split_into_words=True`) need no `add_prefix_space`: every word
    starts with `▁`."""

    vocab_files_names = {"vocab_file": SPM_FILE, "tokenizer_file": "tokenizer.json"}
    _words_need_prefix_space = False
    # whether a `<mask>` given as a string is matched in the normalized text (it then absorbs a `▁` that
    # folded a run of spaces, as well as the spaces themselves): the reference's classes differ here
    mask_normalized = False

    def __init__(
        self,
        vocab_file: str | os.PathLike | None = None,
        tokenizer_file: str | os.PathLike | None = None,
        sp_model_kwargs: dict[str, Any] | None = None,
        added_tokens_decoder: dict[int, AddedToken] | None = None,
        tokenizer_object: Tokenizer | None = None,
        **kwargs: Any,
    ) -> None:
        special, additional = pop_special_tokens(self, kwargs)
        mask = special.get("mask_token")
        if isinstance(mask, str):  # <mask> absorbs the space before it
            special["mask_token"] = AddedToken(
                mask, lstrip=True, rstrip=False, normalized=self.mask_normalized, special=True
            )
        self.sp_model_kwargs = dict(sp_model_kwargs or {})  # kept for the slow tokenizer the files also load
        super().__init__(
            vocab_file=None if vocab_file is None else os.fspath(vocab_file),
            tokenizer_file=None if tokenizer_file is None else os.fspath(tokenizer_file),
            added_tokens_decoder=added_tokens_decoder,
            tokenizer_object=tokenizer_object,
            additional_special_tokens=additional,
            **special,
            **kwargs,
        )
        del self.merges_file
        self.vocab_file = None if vocab_file is None else os.fspath(vocab_file)
        self._remember_init_kwargs(
            dict(**special, sp_model_kwargs=self.sp_model_kwargs, **kwargs)
            | ({"additional_special_tokens": additional} if additional else {})
        )

    def _backend_from_files(
        self, vocab_file: str | None, merges_file: str | None, special: dict[str, Any], add_prefix_space: bool
    ) -> Tokenizer:
        """The backend converted from sentencepiece.bpe.model, as the reference converts it."""
        if vocab_file is None:
            raise ValueError(f"{type(self).__name__} needs tokenizer_file (tokenizer.json) or vocab_file ({SPM_FILE})")
        return build_backend(read_model(vocab_file), self.layout, str(special["cls_token"]), str(special["sep_token"]))

    @property
    def can_save_slow_tokenizer(self) -> bool:
        """Whether the SentencePiece model the slow tokenizer needs is at hand (to save beside tokenizer.json)."""
        return self.vocab_file is not None and os.path.isfile(self.vocab_file)

    def _spm_bytes(self) -> bytes | None:
        if not self.can_save_slow_tokenizer:
            return None
        with open(self.vocab_file, "rb") as f:
            return f.read()

"""What the SentencePiece tokenizers (XLM-RoBERTa, CamemBERT; slow and fast) share: their files
(`sentencepiece.bpe.model` beside tokenizer.json), saving and loading them as the reference does, their
class facts (`layout`, the class name tokenizer_config.json records) and the `sentencepiece` import."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .._io import atomic_write_with, read_json
from ..hub import HUB_KWARGS, resolve_file
from .saving import CONFIG_FILE
from .spm_convert import FairseqLayout

SPM_FILE = "sentencepiece.bpe.model"
# tokenizer_config.json settings of these classes that RoBERTa's do not have
_OWN_SETTINGS = ("sp_model_kwargs",)


def sentencepiece_processor(proto: bytes, sp_model_kwargs: dict[str, Any], owner: str) -> Any:
    """A `sentencepiece.SentencePieceProcessor` loaded from a serialized model; a clear ImportError naming
    the extra to install when the package is missing."""
    try:
        import sentencepiece
    except ImportError:
        raise ImportError(
            f"{owner} needs the sentencepiece package: pip install 'roberta[sentencepiece]' "
            f"(or use {owner}Fast, which reads tokenizer.json or converts {SPM_FILE} without it)"
        ) from None
    processor = sentencepiece.SentencePieceProcessor(**sp_model_kwargs)
    processor.LoadFromSerializedProto(proto)
    return processor


class SentencePieceFilesMixin:
    """Saving and loading of a fairseq SentencePiece tokenizer's directory, for the slow and fast classes.

    Subclasses set `layout` (the fairseq id layout), `saved_class_name` (what tokenizer_config.json records
    as `tokenizer_class`: the slow class's name, as the reference writes it for both) and
    `default_additional_special_tokens`; they provide `_spm_bytes()`, the SentencePiece model to save."""

    layout: FairseqLayout
    saved_class_name: str
    default_additional_special_tokens: tuple[str, ...] = ()
    vocab_files_names = {"vocab_file": SPM_FILE}
    sp_model_kwargs: dict[str, Any]

    def _spm_bytes(self) -> bytes | None:
        raise NotImplementedError

    def save_vocabulary(self, save_directory: str | os.PathLike, filename_prefix: str | None = None) -> tuple[str]:
        """Write the SentencePiece model (sentencepiece.bpe.model) into `save_directory`; returns its path."""
        directory = os.fspath(save_directory)
        if not os.path.isdir(directory):
            raise ValueError(f"Vocabulary path ({directory}) should be a directory")
        data = self._spm_bytes()
        if data is None:
            raise ValueError(
                f"this {type(self).__name__} has no {SPM_FILE} to save (it was loaded from tokenizer.json alone)"
            )
        path = os.path.join(directory, (filename_prefix + "-" if filename_prefix else "") + SPM_FILE)
        atomic_write_with(path, lambda tmp: Path(tmp).write_bytes(data))
        return (path,)

    def _saved_settings(self) -> dict[str, Any]:
        return {"sp_model_kwargs": dict(self.sp_model_kwargs)}

    def _save_vocabulary_files(self, directory: str, filename_prefix: str | None) -> list[str]:
        """sentencepiece.bpe.model, when this tokenizer has one (one loaded from tokenizer.json alone has not);
        the fast class adds tokenizer.json in `_save_extra`."""
        if self._spm_bytes() is None:
            return []
        return list(self.save_vocabulary(directory, filename_prefix=filename_prefix))

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *init_inputs: Any, **kwargs: Any):
        """Load from a directory (or a hub id already in the local cache) that holds sentencepiece.bpe.model
        and/or tokenizer.json; `kwargs` override the saved settings."""
        hub = {k: kwargs[k] for k in HUB_KWARGS if k in kwargs}
        path = resolve_file(pretrained_model_name_or_path, CONFIG_FILE, required=False, **hub)
        stored = read_json(path) if path else {}
        own = {k: stored[k] for k in _OWN_SETTINGS if isinstance(stored, dict) and k in stored}
        return super().from_pretrained(pretrained_model_name_or_path, *init_inputs, **(own | kwargs))

    @classmethod
    def _resolve_files(cls, name_or_path: str | os.PathLike, hub: dict[str, Any]) -> dict[str, str | None]:
        names = {"tokenizer_file": "tokenizer.json", **cls.vocab_files_names}
        found = {arg: resolve_file(name_or_path, name, required=False, **hub) for arg, name in names.items()}
        if not cls._enough_files(found):
            wanted = SPM_FILE + (" or tokenizer.json" if "tokenizer_file" in cls.vocab_files_names else "")
            raise FileNotFoundError(f"{os.fspath(name_or_path)} holds no tokenizer files: expected {wanted}")
        return found

    @classmethod
    def _enough_files(cls, found: dict[str, str | None]) -> bool:
        return any(found.get(arg) is not None for arg in cls.vocab_files_names)


def pop_special_tokens(owner: Any, kwargs: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The special tokens by role (RoBERTa's defaults) and the additional ones (the class's defaults when
    none are given), popped from `kwargs`."""
    from .base import default_special_tokens

    special = default_special_tokens(kwargs)
    additional = kwargs.pop("additional_special_tokens", None)
    if additional is None:
        additional = list(owner.default_additional_special_tokens)
    return special, list(additional)

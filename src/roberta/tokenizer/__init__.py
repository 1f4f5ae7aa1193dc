"""RoBERTa tokenizers: `RobertaTokenizer` (pure Python) and `RobertaTokenizerFast` (Rust `tokenizers`); the
XLM-RoBERTa and CamemBERT ones are in `xlm_roberta` and `camembert`, and `load_tokenizer` picks a folder's."""

from __future__ import annotations

import os
from typing import Any

from .encoding import BatchEncoding, CharSpan, NoSuchWordError, TokenSpan
from .fast import RobertaTokenizerFast
from .slow import RobertaTokenizer

__all__ = [
    "BatchEncoding",
    "CharSpan",
    "NoSuchWordError",
    "RobertaTokenizer",
    "RobertaTokenizerFast",
    "TokenSpan",
    "load_tokenizer",
]


def load_tokenizer(source: Any, *, use_fast: bool = True, **kwargs: Any) -> Any:
    """The fast tokenizer of a folder's family (`RobertaTokenizerFast`, `XLMRobertaTokenizerFast`, ...; the slow
    one with `use_fast=False`), chosen as `AutoTokenizer` does, from a folder (or a cached hub id); a tokenizer
    object is returned as it is. Hub keywords (`revision`, `subfolder`, `cache_dir`, ...) pick the folder. A
    folder without tokenizer files is an error naming it and the files expected."""
    if not isinstance(source, (str, os.PathLike)):
        return source
    from ..auto import AutoTokenizer
    from ..hub import pop_hub_kwargs, resolve_model_dir
    from .spm_files import SPM_FILE

    path = resolve_model_dir(source, what="tokenizer", **pop_hub_kwargs(kwargs))
    if not any(os.path.isfile(os.path.join(path, f)) for f in ("tokenizer.json", "vocab.json", SPM_FILE)):
        raise FileNotFoundError(
            f"{os.fspath(source)} holds no tokenizer files (expected tokenizer.json, vocab.json + merges.txt, or "
            f"{SPM_FILE})"
        )
    return AutoTokenizer.from_pretrained(path, use_fast=use_fast, **kwargs)

"""`Auto*` classes: pick the class for a checkpoint directory, as the reference's Auto classes do. The model
family comes from config.json's `model_type` (the registry's FAMILIES), the head from the Auto class."""

from __future__ import annotations

import os
from typing import Any

from . import registry
from ._auto_base import _check_model_type, auto_classes, tokenizer_family


class AutoConfig:
    """`AutoConfig.from_pretrained(dir)` returns the config of the checkpoint's family (a `RobertaConfig` for
    RoBERTa); `for_model(model_type, **kw)` builds one."""

    @staticmethod
    def from_pretrained(name_or_path: str | os.PathLike, **kwargs: Any):
        return _check_model_type(name_or_path, **kwargs).config_class().from_pretrained(name_or_path, **kwargs)

    @staticmethod
    def for_model(model_type: str, **kwargs: Any):
        return registry.family(model_type).config_class()(**kwargs)


class AutoTokenizer:
    """Loads the fast tokenizer of the folder's family (`RobertaTokenizerFast`, `XLMRobertaTokenizerFast`,
    ...), or its slow one with `use_fast=False`: the family of tokenizer_config.json's `tokenizer_class`, else
    of config.json's `model_type`, as the reference chooses."""

    @staticmethod
    def from_pretrained(name_or_path: str | os.PathLike, *inputs: Any, use_fast: bool = True, **kwargs: Any):
        cls = tokenizer_family(name_or_path, **kwargs).tokenizer_class(use_fast)
        return cls.from_pretrained(name_or_path, *inputs, **kwargs)


_CLASSES = auto_classes("pt")
globals().update(_CLASSES)
__all__ = ["AutoConfig", "AutoTokenizer", *sorted(_CLASSES)]

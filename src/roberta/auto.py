"""`Auto*` classes: pick the RoBERTa class for a checkpoint directory, as the reference's Auto classes do."""

from __future__ import annotations

import os
from typing import Any

from . import modeling
from ._auto_base import _auto, _check_model_type
from .config import RobertaConfig


class AutoConfig:
    """`AutoConfig.from_pretrained(dir)` returns a `RobertaConfig`; `for_model("roberta", **kw)` builds one."""

    @staticmethod
    def from_pretrained(name_or_path: str | os.PathLike, **kwargs: Any) -> RobertaConfig:
        return RobertaConfig.from_pretrained(name_or_path, **kwargs)

    @staticmethod
    def for_model(model_type: str, **kwargs: Any) -> RobertaConfig:
        if model_type != "roberta":
            raise ValueError(f"model_type {model_type!r} is not supported; only 'roberta'")
        return RobertaConfig(**kwargs)


class AutoTokenizer:
    """Loads `RobertaTokenizerFast` (or `RobertaTokenizer` with `use_fast=False`) from a checkpoint."""

    @staticmethod
    def from_pretrained(name_or_path: str | os.PathLike, *inputs: Any, use_fast: bool = True, **kwargs: Any):
        from .tokenizer import RobertaTokenizer, RobertaTokenizerFast

        _check_model_type(name_or_path)
        cls = RobertaTokenizerFast if use_fast else RobertaTokenizer
        return cls.from_pretrained(name_or_path, *inputs, **kwargs)


AutoModel = _auto("AutoModel", modeling.RobertaModel)
AutoModelForMaskedLM = _auto("AutoModelForMaskedLM", modeling.RobertaForMaskedLM)
AutoModelForCausalLM = _auto("AutoModelForCausalLM", modeling.RobertaForCausalLM)
AutoModelForSequenceClassification = _auto(
    "AutoModelForSequenceClassification", modeling.RobertaForSequenceClassification
)
AutoModelForMultipleChoice = _auto("AutoModelForMultipleChoice", modeling.RobertaForMultipleChoice)
AutoModelForTokenClassification = _auto("AutoModelForTokenClassification", modeling.RobertaForTokenClassification)
AutoModelForQuestionAnswering = _auto("AutoModelForQuestionAnswering", modeling.RobertaForQuestionAnswering)

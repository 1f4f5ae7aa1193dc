"""`Auto*` classes: pick the RoBERTa class for a checkpoint directory, as the reference's Auto classes do."""

from __future__ import annotations

import os
from typing import Any

from . import modeling
from ._io import read_json
from .config import CONFIG_NAME, RobertaConfig
from .hub import resolve_file


def _check_model_type(name_or_path: str | os.PathLike, **hub: Any) -> None:
    path = resolve_file(name_or_path, CONFIG_NAME, required=False, **hub)
    if path is None:
        return
    data = read_json(path)
    model_type = data.get("model_type") if isinstance(data, dict) else None
    if model_type not in (None, "roberta"):
        raise ValueError(f"{name_or_path} holds a {model_type!r} model; roberta's Auto classes load only 'roberta'")


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


class _AutoModel:
    _model_class: type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__} is built with from_pretrained(...) or from_config(config)")

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *args: Any, **kwargs: Any):
        if kwargs.get("config") is None:
            _check_model_type(name_or_path)
        return cls._model_class.from_pretrained(name_or_path, *args, **kwargs)

    @classmethod
    def from_config(cls, config: RobertaConfig, **kwargs: Any):
        if not isinstance(config, RobertaConfig):
            raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
        attn = kwargs.pop("attn_implementation", None)
        if attn is not None:
            config._attn_implementation = attn
        return cls._model_class(config, **kwargs)


def _auto(name: str, model_class: type) -> type:
    return type(name, (_AutoModel,), {"_model_class": model_class, "__doc__": f"Loads a {model_class.__name__}."})


AutoModel = _auto("AutoModel", modeling.RobertaModel)
AutoModelForMaskedLM = _auto("AutoModelForMaskedLM", modeling.RobertaForMaskedLM)
AutoModelForCausalLM = _auto("AutoModelForCausalLM", modeling.RobertaForCausalLM)
AutoModelForSequenceClassification = _auto(
    "AutoModelForSequenceClassification", modeling.RobertaForSequenceClassification
)
AutoModelForMultipleChoice = _auto("AutoModelForMultipleChoice", modeling.RobertaForMultipleChoice)
AutoModelForTokenClassification = _auto("AutoModelForTokenClassification", modeling.RobertaForTokenClassification)
AutoModelForQuestionAnswering = _auto("AutoModelForQuestionAnswering", modeling.RobertaForQuestionAnswering)

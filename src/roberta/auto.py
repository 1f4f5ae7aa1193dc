"""`Auto*` classes: pick the RoBERTa class for a checkpoint directory, as the reference's Auto classes do."""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

from .config import CONFIG_NAME, RobertaConfig
from .hub import resolve_file


def _check_model_type(name_or_path: str | os.PathLike, **hub: Any) -> None:
    path = resolve_file(name_or_path, CONFIG_NAME, required=False, **hub)
    if path is None:
        return
    with open(path, encoding="utf-8") as f:
        try:
            model_type = json.load(f).get("model_type")
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON: {e}") from None
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
    _module: str  # where the model class lives, imported on first use (so this module pulls in no framework)
    _class_name: str

    @classmethod
    def _model_class(cls) -> type:
        return getattr(importlib.import_module(cls._module), cls._class_name)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__} is built with from_pretrained(...) or from_config(config)")

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *args: Any, **kwargs: Any):
        if kwargs.get("config") is None:
            _check_model_type(name_or_path)
        return cls._model_class().from_pretrained(name_or_path, *args, **kwargs)

    @classmethod
    def from_config(cls, config: RobertaConfig, **kwargs: Any):
        if not isinstance(config, RobertaConfig):
            raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
        attn = kwargs.pop("attn_implementation", None)
        if attn is not None:
            config._attn_implementation = attn
        return cls._model_class()(config, **kwargs)


def _auto(name: str, class_name: str, module: str = "roberta.modeling") -> type:
    attrs = {"_module": module, "_class_name": class_name, "__doc__": f"Loads a {class_name}."}
    return type(name, (_AutoModel,), attrs)


AutoModel = _auto("AutoModel", "RobertaModel")
AutoModelForMaskedLM = _auto("AutoModelForMaskedLM", "RobertaForMaskedLM")
AutoModelForCausalLM = _auto("AutoModelForCausalLM", "RobertaForCausalLM")
AutoModelForSequenceClassification = _auto("AutoModelForSequenceClassification", "RobertaForSequenceClassification")
AutoModelForMultipleChoice = _auto("AutoModelForMultipleChoice", "RobertaForMultipleChoice")
AutoModelForTokenClassification = _auto("AutoModelForTokenClassification", "RobertaForTokenClassification")
AutoModelForQuestionAnswering = _auto("AutoModelForQuestionAnswering", "RobertaForQuestionAnswering")

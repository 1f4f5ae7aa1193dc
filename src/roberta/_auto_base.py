"""The Auto classes' common part, framework-free: the PyTorch (`roberta.auto`) and Flax
(`roberta.modeling_flax.auto`) Auto classes are `_auto(name, model_class)` over it."""

from __future__ import annotations

import os
from typing import Any

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

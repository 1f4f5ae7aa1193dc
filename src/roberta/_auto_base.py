"""The Auto classes' common part, framework-free: each framework's Auto classes (`roberta.auto`,
`roberta.modeling_tf.auto`, `roberta.modeling_flax.auto`) are `auto_classes(framework)`, one per head of the
registry. An Auto class picks the family from the checkpoint's (or config's) `model_type` and loads that
family's class of its head; nothing is imported until then."""

from __future__ import annotations

import importlib
import os
from typing import Any

from . import registry
from ._io import read_json
from .config import CONFIG_NAME, RobertaConfig
from .hub import resolve_file
from .model_classes import model_class

_HUB_KEYS = ("cache_dir", "revision", "subfolder")  # from_pretrained keywords that say where config.json is
TOKENIZER_CONFIG = "tokenizer_config.json"


def _check_model_type(name_or_path: str | os.PathLike, **kwargs: Any) -> registry.Family:
    """The family of the checkpoint's config.json `model_type` (RoBERTa when it has none); ValueError naming
    the model types roberta loads when it is another. `kwargs`: a from_pretrained's, whose hub keywords say
    where config.json is."""
    hub = {k: kwargs[k] for k in _HUB_KEYS if k in kwargs}
    path = resolve_file(name_or_path, CONFIG_NAME, required=False, **hub)
    if path is None:
        return registry.ROBERTA
    data = read_json(path)
    model_type = data.get("model_type") if isinstance(data, dict) else None
    try:
        return registry.family(model_type)
    except ValueError:
        known = ", ".join(repr(f.model_type) for f in registry.FAMILIES)
        message = f"{name_or_path} holds a {model_type!r} model; roberta's Auto classes load only {known}"
        raise ValueError(message) from None


def tokenizer_family(name_or_path: str | os.PathLike, **kwargs: Any) -> registry.Family:
    """The family whose tokenizer reads the folder, as the reference's AutoTokenizer chooses it: the
    `tokenizer_class` of tokenizer_config.json (slow or fast name) when it names one, else config.json's
    `model_type` (RoBERTa when there is neither). ValueError naming the classes roberta has for another class."""
    hub = {k: kwargs[k] for k in _HUB_KEYS if k in kwargs}
    path = resolve_file(name_or_path, TOKENIZER_CONFIG, required=False, **hub)
    data = read_json(path) if path is not None else None
    named = data.get("tokenizer_class") if isinstance(data, dict) else None
    if named is None:
        return _check_model_type(name_or_path, **kwargs)
    fam = next((f for f in registry.FAMILIES if named in f.tokenizer_names), None)
    if fam is None:
        known = ", ".join(n for f in registry.FAMILIES for n in f.tokenizer_names)
        raise ValueError(f"{name_or_path} holds a {named} tokenizer (tokenizer_config.json); roberta has {known}")
    return fam


class _AutoModel:
    _head: registry.Head
    _framework: registry.Framework

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__} is built with from_pretrained(...) or from_config(config)")

    @classmethod
    def model_class(cls, family: registry.Family = registry.ROBERTA) -> type:
        """The class this Auto class loads for `family` (imports its framework)."""
        return model_class(registry.class_name(cls._head, family, cls._framework))

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *args: Any, **kwargs: Any):
        config = kwargs.get("config")
        if config is None:
            family = _check_model_type(name_or_path, **kwargs)
        else:
            family = registry.family(getattr(config, "model_type", None))
        return cls.model_class(family).from_pretrained(name_or_path, *args, **kwargs)

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any):
        if not isinstance(config, RobertaConfig):
            raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
        attn = kwargs.pop("attn_implementation", None)
        if attn is not None:
            config._attn_implementation = attn
        return cls.model_class(registry.family(config.model_type))(config, **kwargs)


def auto_classes(framework: str) -> dict[str, type]:
    """name -> Auto class, one per head of the registry, for the framework named `framework`."""
    fw = registry.framework(framework)
    classes = {}
    for row in registry.HEADS:
        name = registry.auto_name(row, fw)
        doc = f"Loads the {fw.prefix}*{row.stem} class of a checkpoint's model family: {row.description}."
        attrs = {"_head": row, "_framework": fw, "__doc__": doc, "__module__": fw.auto_module, "__qualname__": name}
        classes[name] = type(name, (_AutoModel,), attrs)
    return classes


def auto_class_of(model_class: str, framework: str) -> type:
    """The `framework`'s Auto class of the head of `model_class` (a class name of any family, e.g.
    "RobertaForMaskedLM" -> TFAutoModelForMaskedLM for "tf"): it loads the checkpoint's family's class."""
    row = registry.head_of_class(model_class)
    if row is None:
        raise ValueError(f"{model_class!r} is no model class of roberta's heads")
    fw = registry.framework(framework)
    return getattr(importlib.import_module(fw.auto_module), registry.auto_name(row, fw))

"""The model types that are RoBERTa's network under another name: their configs, and the table that maps a
config.json's `model_type` to its config class.

XLM-RoBERTa (bge-m3, multilingual-e5, bge-reranker, ...) and CamemBERT are the same network as RoBERTa with
a SentencePiece tokenizer; as configs they differ only in `model_type` and in the reference's default
`vocab_size`. Framework-free: nothing here imports torch, TensorFlow or JAX.
"""

from __future__ import annotations

from typing import Any

from . import registry
from .config import MODEL_TYPE, RobertaConfig


class XLMRobertaConfig(RobertaConfig):
    """Configuration of an XLM-RoBERTa model (`model_type` "xlm-roberta"): `RobertaConfig`'s fields, with
    the reference's `XLMRobertaConfig` defaults (`vocab_size` 30522)."""

    model_type = "xlm-roberta"
    default_overrides: dict[str, Any] = {"vocab_size": 30522}


class CamembertConfig(RobertaConfig):
    """Configuration of a CamemBERT model (`model_type` "camembert"): `RobertaConfig`'s fields, with the
    reference's `CamembertConfig` defaults (`vocab_size` 30522)."""

    model_type = "camembert"
    default_overrides: dict[str, Any] = {"vocab_size": 30522}


# model_type (as config.json spells it) -> the config class that reads it: the registry's FAMILIES (the
# classes above are already in this module, which the rows of this module's families import)
CONFIG_CLASSES: dict[str, type[RobertaConfig]] = {fam.model_type: fam.config_class() for fam in registry.FAMILIES}


def config_class_for(model_type: str) -> type[RobertaConfig]:
    """The config class of `model_type`; a ValueError naming the known types otherwise."""
    try:
        return CONFIG_CLASSES[model_type]
    except (KeyError, TypeError):
        known = ", ".join(repr(t) for t in CONFIG_CLASSES)
        raise ValueError(f"model_type {model_type!r} is not one of {known}") from None


def config_from_dict(data: dict[str, Any], **overrides: Any) -> RobertaConfig:
    """A config of the class its `model_type` names ("roberta" when it names none)."""
    return config_class_for(data.get("model_type", MODEL_TYPE)).from_dict(data, **overrides)


__all__ = ["CONFIG_CLASSES", "CamembertConfig", "XLMRobertaConfig", "config_class_for", "config_from_dict"]

"""Model classes by name, from the registry: the RoBERTa family's are imported from where they are defined;
another family's are the RoBERTa classes subclassed to set its config class (the network is the same; a model
type is a config and a tokenizer, not a copy of the network). Framework-free until a class is asked for, and
then only that class's framework is imported."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from . import registry
from .registry import ROBERTA, Framework, Head, auto_name, class_name, pretrained_name

_DERIVED: dict[str, type] = {}  # name -> the class derived for a family other than RoBERTa, built once


def _defined(fw: Framework, name: str, row: Head | None) -> type:
    module = fw.pretrained_module if row is None else fw.base_module if row.is_base else fw.heads_module
    return getattr(importlib.import_module(module), name)


def model_class(name: str) -> type:
    """The model class `name` ("RobertaForMaskedLM", "TFRobertaModel", "FlaxRobertaPreTrainedModel", ...).
    Another family's class subclasses the RoBERTa one and the family's PreTrainedModel (so isinstance checks
    hold as in the reference), with the family's `config_class`. AttributeError, importing nothing, when
    `name` is no model class of the registry."""
    parsed = registry.parse_class_name(name)
    if parsed is None:
        raise AttributeError(f"no model class {name!r}")
    fw, fam, row = parsed
    if fam is ROBERTA:
        return _defined(fw, name, row)
    if name not in _DERIVED:
        base = _defined(fw, class_name(row, ROBERTA, fw) if row else pretrained_name(ROBERTA, fw), row)
        bases = (base,) if row is None else (base, model_class(pretrained_name(fam, fw)))
        what = "the base class of its models" if row is None else row.description
        doc = f"The RoBERTa network with a {fam.config_class_name} ({fam.model_type}): {what}."
        attrs = {"config_class": fam.config_class(), "__module__": fw.package, "__qualname__": name, "__doc__": doc}
        _DERIVED[name] = type(name, bases, attrs)
    return _DERIVED[name]


def model_class_names(fw: Framework) -> list[str]:
    """Every model class the framework's package exports: each family's PreTrainedModel and heads."""
    names = []
    for fam in registry.FAMILIES:
        names += [pretrained_name(fam, fw), *(class_name(row, fam, fw) for row in registry.HEADS)]
    return names


def exports() -> dict[str, str]:
    """The registry's part of `roberta`'s public names -> the module that holds each: every family's config,
    tokenizers and model classes (of every framework), and every framework's Auto classes."""
    names: dict[str, str] = {}
    for fam in registry.FAMILIES:
        names[fam.config_class_name] = fam.config_module
        names.update(dict.fromkeys(fam.tokenizer_names, fam.tokenizer_module))
    for fw in registry.FRAMEWORKS:
        names.update(dict.fromkeys(model_class_names(fw), fw.package))
        names.update({auto_name(row, fw): fw.auto_module for row in registry.HEADS})
    return names


def package_getattr(package: str) -> Callable[[str], type]:
    """The PEP 562 `__getattr__` of a framework package: its model classes by name, each imported (or
    derived) on first use and then kept in the package."""

    def __getattr__(name: str) -> type:
        try:
            value = model_class(name)
        except AttributeError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__

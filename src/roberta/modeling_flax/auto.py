"""`FlaxAutoModel*`: the Flax class for a task, loaded from a checkpoint or built from a config."""

from __future__ import annotations

import os
from typing import Any

from ..config import RobertaConfig
from . import classes


class _FlaxAutoModel:
    _model_class: type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__} is built with from_pretrained(...) or from_config(config)")

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *args: Any, **kwargs: Any):
        """Load the checkpoint with this task's class (its config must be a RoBERTa one)."""
        return cls._model_class.from_pretrained(name_or_path, *args, **kwargs)

    @classmethod
    def from_config(cls, config: RobertaConfig, **kwargs: Any):
        """A randomly initialised model of this task's class."""
        if not isinstance(config, RobertaConfig):
            raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
        return cls._model_class(config, **kwargs)


def _auto(name: str, model_class: type) -> type:
    return type(name, (_FlaxAutoModel,), {"_model_class": model_class, "__doc__": f"Loads a {model_class.__name__}."})


FlaxAutoModel = _auto("FlaxAutoModel", classes.FlaxRobertaModel)
FlaxAutoModelForMaskedLM = _auto("FlaxAutoModelForMaskedLM", classes.FlaxRobertaForMaskedLM)
FlaxAutoModelForCausalLM = _auto("FlaxAutoModelForCausalLM", classes.FlaxRobertaForCausalLM)
FlaxAutoModelForSequenceClassification = _auto(
    "FlaxAutoModelForSequenceClassification", classes.FlaxRobertaForSequenceClassification
)
FlaxAutoModelForMultipleChoice = _auto("FlaxAutoModelForMultipleChoice", classes.FlaxRobertaForMultipleChoice)
FlaxAutoModelForTokenClassification = _auto(
    "FlaxAutoModelForTokenClassification", classes.FlaxRobertaForTokenClassification
)
FlaxAutoModelForQuestionAnswering = _auto("FlaxAutoModelForQuestionAnswering", classes.FlaxRobertaForQuestionAnswering)

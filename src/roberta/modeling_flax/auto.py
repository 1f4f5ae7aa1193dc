"""`FlaxAutoModel*`: the Flax class of a task, loaded from a checkpoint (`from_pretrained`) or built from a
config (`from_config`), on the same Auto base as the PyTorch Auto classes."""

from __future__ import annotations

from .._auto_base import _auto
from . import classes

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

"""`TFAutoModel*`: the TF class of a task, loaded from a checkpoint (`from_pretrained`) or built from a config
(`from_config`), on the same Auto base as the PyTorch and Flax Auto classes."""

from __future__ import annotations

from .._auto_base import _auto
from . import heads, model

TFAutoModel = _auto("TFAutoModel", model.TFRobertaModel)
TFAutoModelForMaskedLM = _auto("TFAutoModelForMaskedLM", heads.TFRobertaForMaskedLM)
TFAutoModelForCausalLM = _auto("TFAutoModelForCausalLM", heads.TFRobertaForCausalLM)
TFAutoModelForSequenceClassification = _auto(
    "TFAutoModelForSequenceClassification", heads.TFRobertaForSequenceClassification
)
TFAutoModelForMultipleChoice = _auto("TFAutoModelForMultipleChoice", heads.TFRobertaForMultipleChoice)
TFAutoModelForTokenClassification = _auto("TFAutoModelForTokenClassification", heads.TFRobertaForTokenClassification)
TFAutoModelForQuestionAnswering = _auto("TFAutoModelForQuestionAnswering", heads.TFRobertaForQuestionAnswering)

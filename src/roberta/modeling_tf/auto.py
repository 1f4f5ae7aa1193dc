"""`TFAutoModel*`: the Auto classes of the TF heads, built like `roberta.auto`'s (TensorFlow loads on first use)."""

from __future__ import annotations

from ..auto import _auto

_HEADS = "roberta.modeling_tf.heads"

TFAutoModel = _auto("TFAutoModel", "TFRobertaModel", "roberta.modeling_tf.model")
TFAutoModelForMaskedLM = _auto("TFAutoModelForMaskedLM", "TFRobertaForMaskedLM", _HEADS)
TFAutoModelForCausalLM = _auto("TFAutoModelForCausalLM", "TFRobertaForCausalLM", _HEADS)
TFAutoModelForSequenceClassification = _auto(
    "TFAutoModelForSequenceClassification", "TFRobertaForSequenceClassification", _HEADS
)
TFAutoModelForMultipleChoice = _auto("TFAutoModelForMultipleChoice", "TFRobertaForMultipleChoice", _HEADS)
TFAutoModelForTokenClassification = _auto(
    "TFAutoModelForTokenClassification", "TFRobertaForTokenClassification", _HEADS
)
TFAutoModelForQuestionAnswering = _auto("TFAutoModelForQuestionAnswering", "TFRobertaForQuestionAnswering", _HEADS)

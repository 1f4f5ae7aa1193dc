"""PyTorch RoBERTa: the trunk, the task heads, attention backends and checkpoint I/O."""

from .attention import ATTENTION_BACKENDS
from .cache import KVCache
from .heads import (
    RobertaForCausalLM,
    RobertaForMaskedLM,
    RobertaForMultipleChoice,
    RobertaForQuestionAnswering,
    RobertaForSequenceClassification,
    RobertaForTokenClassification,
)
from .model import RobertaModel
from .pretrained import RobertaPreTrainedModel

__all__ = [
    "ATTENTION_BACKENDS",
    "KVCache",
    "RobertaModel",
    "RobertaPreTrainedModel",
    "RobertaForCausalLM",
    "RobertaForMaskedLM",
    "RobertaForMultipleChoice",
    "RobertaForQuestionAnswering",
    "RobertaForSequenceClassification",
    "RobertaForTokenClassification",
]

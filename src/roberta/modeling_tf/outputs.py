"""Named outputs of the TF classes, by the reference's class and field names.

They are dataclasses with `ModelOutput`'s attribute / key / index access (the PyTorch and Flax outputs share it)
that implement TensorFlow's nest protocol (`__tf_flatten__` / `__tf_unflatten__`), so `tf.function`, `tf.nest`
and Keras (`predict`, `fit`) can return and rebuild them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model_output import ModelOutput

Tensor = Any
Tensors = tuple[Tensor, ...] | None


class TFModelOutput(ModelOutput):
    """Flattens to the fields that are set (metadata: their names), so no None reaches Keras or tf.function."""

    def __tf_flatten__(self) -> tuple[tuple[str, ...], tuple]:
        items = self.items()
        return tuple(name for name, _ in items), tuple(value for _, value in items)

    @classmethod
    def __tf_unflatten__(cls, names: tuple[str, ...], components: tuple) -> TFModelOutput:
        return cls(**dict(zip(names, components)))


@dataclass
class TFBaseModelOutputWithPoolingAndCrossAttentions(TFModelOutput):
    last_hidden_state: Tensor = None
    pooler_output: Tensor = None
    past_key_values: Any = None
    hidden_states: Tensors = None
    attentions: Tensors = None
    cross_attentions: Tensors = None


@dataclass
class _LogitsOutput(TFModelOutput):
    """The fields of every head whose output is (loss, logits, hidden_states, attentions)."""

    loss: Tensor = None
    logits: Tensor = None
    hidden_states: Tensors = None
    attentions: Tensors = None


@dataclass
class TFMaskedLMOutput(_LogitsOutput):
    pass


@dataclass
class TFCausalLMOutputWithCrossAttentions(TFModelOutput):
    loss: Tensor = None
    logits: Tensor = None
    past_key_values: Any = None
    hidden_states: Tensors = None
    attentions: Tensors = None
    cross_attentions: Tensors = None


@dataclass
class TFSequenceClassifierOutput(_LogitsOutput):
    pass


@dataclass
class TFMultipleChoiceModelOutput(_LogitsOutput):
    pass


@dataclass
class TFTokenClassifierOutput(_LogitsOutput):
    pass


@dataclass
class TFQuestionAnsweringModelOutput(TFModelOutput):
    loss: Tensor = None
    start_logits: Tensor = None
    end_logits: Tensor = None
    hidden_states: Tensors = None
    attentions: Tensors = None

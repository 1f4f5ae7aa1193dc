"""Named model outputs (dataclasses on `roberta.model_output.ModelOutput`: attribute, key and index access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..model_output import ModelOutput

Tensors = tuple[torch.Tensor, ...] | None


@dataclass
class BaseModelOutputWithPoolingAndCrossAttentions(ModelOutput):
    last_hidden_state: torch.Tensor = None
    pooler_output: torch.Tensor | None = None
    past_key_values: Any = None
    hidden_states: Tensors = None
    attentions: Tensors = None
    cross_attentions: Tensors = None


@dataclass
class _LogitsOutput(ModelOutput):
    """The fields of every head whose output is (loss, logits, hidden_states, attentions)."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor = None
    hidden_states: Tensors = None
    attentions: Tensors = None


@dataclass
class MaskedLMOutput(_LogitsOutput):
    pass


@dataclass
class CausalLMOutputWithCrossAttentions(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor = None
    past_key_values: Any = None
    hidden_states: Tensors = None
    attentions: Tensors = None
    cross_attentions: Tensors = None


@dataclass
class SequenceClassifierOutput(_LogitsOutput):
    pass


@dataclass
class MultipleChoiceModelOutput(_LogitsOutput):
    pass


@dataclass
class TokenClassifierOutput(_LogitsOutput):
    pass


@dataclass
class QuestionAnsweringModelOutput(ModelOutput):
    loss: torch.Tensor | None = None
    start_logits: torch.Tensor = None
    end_logits: torch.Tensor = None
    hidden_states: Tensors = None
    attentions: Tensors = None

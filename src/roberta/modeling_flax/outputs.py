"""Named outputs of the Flax classes, by the reference's names and fields.

They are dataclasses with `ModelOutput`'s attribute / key / index access, registered as JAX pytrees so a
jitted function can return them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax

from ..model_output import ModelOutput

Array = Any
Arrays = tuple[Array, ...] | None


def _output(cls):
    return jax.tree_util.register_dataclass(dataclass(cls))


@_output
class FlaxBaseModelOutputWithPoolingAndCrossAttentions(ModelOutput):
    last_hidden_state: Array = None
    pooler_output: Array = None
    hidden_states: Arrays = None
    past_key_values: dict | None = None
    attentions: Arrays = None
    cross_attentions: Arrays = None


@_output
class FlaxMaskedLMOutput(ModelOutput):
    logits: Array = None
    hidden_states: Arrays = None
    attentions: Arrays = None


@_output
class FlaxCausalLMOutputWithCrossAttentions(ModelOutput):
    logits: Array = None
    past_key_values: dict | None = None
    hidden_states: Arrays = None
    attentions: Arrays = None
    cross_attentions: Arrays = None


@_output
class FlaxSequenceClassifierOutput(ModelOutput):
    logits: Array = None
    hidden_states: Arrays = None
    attentions: Arrays = None


@_output
class FlaxMultipleChoiceModelOutput(ModelOutput):
    logits: Array = None
    hidden_states: Arrays = None
    attentions: Arrays = None


@_output
class FlaxTokenClassifierOutput(ModelOutput):
    logits: Array = None
    hidden_states: Arrays = None
    attentions: Arrays = None


@_output
class FlaxQuestionAnsweringModelOutput(ModelOutput):
    start_logits: Array = None
    end_logits: Array = None
    hidden_states: Arrays = None
    attentions: Arrays = None


@_output
class FlaxGreedySearchOutput(ModelOutput):
    sequences: Array = None


@_output
class FlaxSampleOutput(ModelOutput):
    sequences: Array = None

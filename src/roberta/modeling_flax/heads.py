"""Task heads on the trunk, with the reference's parameter names (`lm_head`, `classifier`, `qa_outputs`) and
outputs: one linen module (`HeadModule`) whose `task` picks a head function from `HEADS`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from .array_ops import JaxOps
from .layers import dense
from .model import RobertaModule
from .outputs import (
    FlaxCausalLMOutputWithCrossAttentions,
    FlaxMaskedLMOutput,
    FlaxMultipleChoiceModelOutput,
    FlaxQuestionAnsweringModelOutput,
    FlaxSequenceClassifierOutput,
    FlaxTokenClassifierOutput,
)
from .spec import ModelSpec


class LMHead(nn.Module):
    """dense -> gelu -> LayerNorm -> vocabulary projection (the word embeddings when tied) + bias."""

    hidden_size: int
    vocab_size: int
    eps: float
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, tied_embedding=None):
        x = dense(self.hidden_size, self.init_range, self.dtype, "dense")(x)
        x = nn.LayerNorm(epsilon=self.eps, dtype=self.dtype, name="layer_norm")(JaxOps.gelu(x))
        if tied_embedding is not None:
            logits = x @ jnp.asarray(tied_embedding, self.dtype).T  # (B, T, V)
        else:
            logits = dense(self.vocab_size, self.init_range, self.dtype, "decoder", use_bias=False)(x)
        bias = self.param("bias", jax.nn.initializers.zeros, (self.vocab_size,))
        return logits + jnp.asarray(bias, self.dtype)


class ClassificationHead(nn.Module):
    """Sentence-level head on the <s> token: dropout -> dense -> tanh -> dropout -> out_proj."""

    hidden_size: int
    num_labels: int
    dropout: float
    init_range: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, *, deterministic: bool):
        drop = nn.Dropout(self.dropout)
        x = drop(x[:, 0, :], deterministic=deterministic)
        x = jnp.tanh(dense(self.hidden_size, self.init_range, self.dtype, "dense")(x))
        x = drop(x, deterministic=deterministic)
        return dense(self.num_labels, self.init_range, self.dtype, "out_proj")(x)


# A head function runs inside HeadModule's compact call: (spec, dtype, trunk output, tied word embeddings or
# None, deterministic) -> output dataclass. Submodules it creates are named in HeadModule's scope.
HeadFn = Callable[..., Any]


def _lm_logits(s: ModelSpec, dtype, out, tied):
    return LMHead(s.hidden_size, s.vocab_size, s.eps, s.init_range, dtype, name="lm_head")(out.last_hidden_state, tied)


def _masked_lm(s, dtype, out, tied, deterministic):
    return FlaxMaskedLMOutput(_lm_logits(s, dtype, out, tied), out.hidden_states, out.attentions)


def _causal_lm(s, dtype, out, tied, deterministic):
    return FlaxCausalLMOutputWithCrossAttentions(
        logits=_lm_logits(s, dtype, out, tied),
        hidden_states=out.hidden_states,
        attentions=out.attentions,
        cross_attentions=out.cross_attentions,
    )


def _sequence_classification(s, dtype, out, tied, deterministic):
    head = ClassificationHead(s.hidden_size, s.num_labels, s.classifier_dropout, s.init_range, dtype, name="classifier")
    logits = head(out.last_hidden_state, deterministic=deterministic)
    return FlaxSequenceClassifierOutput(logits, out.hidden_states, out.attentions)


def _multiple_choice(s, dtype, out, tied, deterministic):
    pooled = nn.Dropout(s.dropout)(out.pooler_output, deterministic=deterministic)
    logits = dense(1, s.init_range, dtype, "classifier")(pooled)  # (B * C, 1); HeadModule reshapes
    return FlaxMultipleChoiceModelOutput(logits, out.hidden_states, out.attentions)


def _token_classification(s, dtype, out, tied, deterministic):
    x = nn.Dropout(s.classifier_dropout)(out.last_hidden_state, deterministic=deterministic)
    logits = dense(s.num_labels, s.init_range, dtype, "classifier")(x)
    return FlaxTokenClassifierOutput(logits, out.hidden_states, out.attentions)


def _question_answering(s, dtype, out, tied, deterministic):
    logits = dense(s.num_labels, s.init_range, dtype, "qa_outputs")(out.last_hidden_state)
    return FlaxQuestionAnsweringModelOutput(logits[..., 0], logits[..., 1], out.hidden_states, out.attentions)


# task -> (head function, whether the trunk has its pooler, whether the head ties to the word embeddings)
HEADS: dict[str, tuple[HeadFn, bool, bool]] = {
    "masked_lm": (_masked_lm, False, True),
    "causal_lm": (_causal_lm, False, True),
    "sequence_classification": (_sequence_classification, False, False),
    "multiple_choice": (_multiple_choice, True, False),
    "token_classification": (_token_classification, False, False),
    "question_answering": (_question_answering, False, False),
}


class HeadModule(nn.Module):
    """The trunk (`roberta`) and one task head. Called as the reference's modules: `(input_ids,
    attention_mask, token_type_ids, position_ids, head_mask, return_dict=True, **options)`, the options
    (encoder states, `init_cache`, `deterministic`, `output_attentions`, `output_hidden_states`) going to the
    trunk unchanged. Multiple choice takes (B, C, T) inputs, scored as B * C rows, and returns (B, C) logits.
    The bare model is the trunk itself (`build_module`), whose tree has no `roberta` level, as the reference's."""

    spec: ModelSpec
    task: str
    dtype: Any = jnp.float32
    gradient_checkpointing: bool = False

    # The reference's argument list (the Flax model, trunk and heads share its start): users call it positionally.
    @nn.compact
    def __call__(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                 return_dict: bool = True, **options):  # fmt: skip
        head, pooler, ties = HEADS[self.task]
        choices = input_ids.shape[1] if self.task == "multiple_choice" else None
        if choices is not None:

            def flat(x):  # (B, C, T) -> (B * C, T)
                return None if x is None else x.reshape(-1, x.shape[-1])

            input_ids, attention_mask, token_type_ids, position_ids = map(
                flat, (input_ids, attention_mask, token_type_ids, position_ids)
            )
        roberta = RobertaModule(self.spec, self.dtype, pooler, self.gradient_checkpointing, name="roberta")
        out = roberta(input_ids, attention_mask, token_type_ids, position_ids, head_mask, **options, return_dict=True)
        tied = None
        if ties and self.spec.tie_word_embeddings:
            tied = roberta.variables["params"]["embeddings"]["word_embeddings"]["embedding"]
        output = head(self.spec, self.dtype, out, tied, options.get("deterministic", True))
        if choices is not None:
            output.logits = output.logits.reshape(-1, choices)
        return output if return_dict else output.to_tuple()


def build_module(spec: ModelSpec, task: str, dtype: Any, gradient_checkpointing: bool, **kwargs: Any) -> nn.Module:
    """The linen module of a task: the bare trunk for "base" (its parameters at the top of the tree), else a
    `HeadModule`."""
    if task != "base" and task not in HEADS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(HEADS) + ['base']}")
    if task == "base":
        return RobertaModule(spec, dtype, kwargs.pop("add_pooling_layer", True), gradient_checkpointing, **kwargs)
    if kwargs:
        raise TypeError(f"unexpected keyword argument(s) for a {task} model: {sorted(kwargs)}")
    return HeadModule(spec, task, dtype, gradient_checkpointing)

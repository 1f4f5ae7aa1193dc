"""The six TF task heads on the trunk, with the reference's call arguments, outputs and losses.

Each `call` takes its inputs in any of the reference's forms (keywords, one tensor, a list or a dict first; see
inputs.py) and returns the reference's output class, or its tuple with `return_dict=False`.
"""

from __future__ import annotations

import logging

from ..config import RobertaConfig
from ..model_facts import TrunkInputs, classifier_dropout
from ..model_facts.outputs import head_output
from ._keras import in_xla, tf
from .array_ops import TFOps
from .generation import GenerationMixin
from .inputs import unpack_inputs
from .layers import Block, Linear, dropout, layer_norm, linear
from .layout import Layout, dims
from .losses import (
    causal_lm_loss,
    masked_lm_loss,
    multiple_choice_loss,
    question_answering_loss,
    sequence_classification_loss,
    token_classification_loss,
)
from .model import MainLayer
from .outputs import (
    TFCausalLMOutputWithCrossAttentions,
    TFMaskedLMOutput,
    TFMultipleChoiceModelOutput,
    TFQuestionAnsweringModelOutput,
    TFSequenceClassifierOutput,
    TFTokenClassifierOutput,
)
from .pretrained import TFRobertaPreTrainedModel

logger = logging.getLogger(__name__)


def _labelled(labels, shift: bool = False):
    """Positions whose outputs enter a per-token loss (the packed trunk computes them even where padded)."""
    if labels is None:
        return None
    used = tf.not_equal(labels, -100)
    if shift:  # next-token loss: the position before each label
        used = tf.pad(used[:, 1:], [[0, 0], [0, 1]], constant_values=False)
    return used


def _output(model: TFRobertaPreTrainedModel, return_dict, cls: type, out, **own):
    """The head's output `cls` (its `own` fields and what it passes on from the trunk's `out`), or its tuple."""
    return model._finish(head_output(cls, out, **own), return_dict)


class _Head(TFRobertaPreTrainedModel):
    """A task head: the trunk `roberta` (with its pooler where `_pooled`), then the head's own layers (`_build`)."""

    _pooled = False

    def __init__(self, config: RobertaConfig, *inputs, **kwargs) -> None:
        super().__init__(config, *inputs, **kwargs)
        self.roberta = MainLayer(config, add_pooling_layer=self._pooled)
        self._build(config)

    def _build(self, config: RobertaConfig) -> None:
        raise NotImplementedError


# Kept repeat: LMHead and ClassificationHead are both Keras blocks that store their sizes, then create their own
# weights in build() under the reference's h5 names; the weights and the forward differ.
class LMHead(Block):
    """dense -> gelu -> LayerNorm -> projection on the word embeddings (tied) + bias."""

    def __init__(self, *, hidden_size: int, vocab_size: int, eps: float, std: float) -> None:
        super().__init__(name="lm_head", std=std)
        self.hidden, self.vocab, self.eps = hidden_size, vocab_size, eps

    def build(self, input_shape=None) -> None:
        self.dense = self.dense_weights("dense", self.hidden, self.hidden)
        self.ln = self.norm_weights("layer_norm", self.hidden)
        self.bias = self.variable("bias", (self.vocab,), "zeros")
        super().build(input_shape)

    def forward(self, hidden: tf.Tensor, word_embeddings: tf.Variable) -> tf.Tensor:
        """hidden (..., H) -> logits (..., V)."""
        x = layer_norm(TFOps.gelu(linear(hidden, self.dense)), self.ln, self.eps)
        flat = tf.matmul(tf.reshape(x, [-1, self.hidden]), word_embeddings, transpose_b=True)
        return tf.reshape(tf.nn.bias_add(flat, self.bias), tf.concat([tf.shape(x)[:-1], [self.vocab]], 0))


class _LMBase(_Head):
    _h5_shared = {"lm_head": "roberta/embeddings/"}

    def _build(self, config: RobertaConfig) -> None:
        self.lm_head = LMHead(
            hidden_size=config.hidden_size,
            vocab_size=config.vocab_size,
            eps=config.layer_norm_eps,
            std=config.initializer_range,
        )

    def _logits(self, hidden: tf.Tensor, attention_mask, labels=None) -> tf.Tensor:
        """Logits (B, T, V). With a padding mask (outside XLA) the vocabulary projection, the costliest step,
        runs on the real and labelled tokens only, and padded positions hold zeros."""
        keep = None
        if attention_mask is not None and attention_mask.shape.rank == 2 and hidden.shape.rank == 3:
            keep = attention_mask > 0 if labels is None else tf.logical_or(attention_mask > 0, labels)
        if keep is None or in_xla():
            return self.lm_head.forward(hidden, self.roberta.embeddings.word)
        batch, length = dims(hidden)[:2]
        layout = Layout.plan(batch, length, keep)
        return layout.unpack(self.lm_head.forward(layout.pack(hidden), self.roberta.embeddings.word))


class TFRobertaForMaskedLM(_LMBase):
    """RoBERTa with its masked-language-modelling head. Loss: cross-entropy over labels != -100, shaped (1,)."""

    def __init__(self, config: RobertaConfig, *inputs, **kwargs) -> None:
        if config.is_decoder:
            logger.warning("TFRobertaForMaskedLM wants config.is_decoder=False for bi-directional self-attention.")
        super().__init__(config, *inputs, **kwargs)

    # Each head's call takes the reference's argument list for that head, in its order, spelled out:
    # users and Keras pass them positionally, and unpack_inputs reads the signature by name.
    @unpack_inputs
    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None, labels=None,
             training=False):  # fmt: skip
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states)  # fmt: skip
        out = self.roberta.forward(trunk, keep=_labelled(labels), training=training)
        logits = self._logits(out["last_hidden_state"], attention_mask, _labelled(labels))
        loss = None if labels is None else masked_lm_loss(labels, logits)
        return _output(self, return_dict, TFMaskedLMOutput, out, loss=loss, logits=logits)


class TFRobertaForCausalLM(GenerationMixin, _LMBase):
    """RoBERTa as a left-to-right decoder (`config.is_decoder=True`) with a key/value cache and `generate`.

    Loss: next-token cross-entropy over labels != -100 (labels shifted inside), shaped (1,).
    """

    def __init__(self, config: RobertaConfig, *inputs, **kwargs) -> None:
        if not config.is_decoder:
            logger.warning("To use TFRobertaForCausalLM as a standalone decoder, set config.is_decoder=True.")
        super().__init__(config, *inputs, **kwargs)

    @unpack_inputs
    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, past_key_values=None,
             use_cache=None, output_attentions=None, output_hidden_states=None, return_dict=None, labels=None,
             training=False):  # fmt: skip
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states,
            encoder_hidden_states=encoder_hidden_states, encoder_attention_mask=encoder_attention_mask,
            past_key_values=past_key_values, use_cache=use_cache and labels is None)  # fmt: skip
        out = self.roberta.forward(trunk, keep=_labelled(labels, shift=True), training=training)
        mask = attention_mask if past_key_values is None else None
        logits = self._logits(out["last_hidden_state"], mask, _labelled(labels, shift=True))
        loss = None if labels is None else causal_lm_loss(labels, logits)
        return _output(self, return_dict, TFCausalLMOutputWithCrossAttentions, out, loss=loss, logits=logits)


class ClassificationHead(Block):
    """Sentence-level head on the <s> token: dropout -> dense -> tanh -> dropout -> out_proj."""

    def __init__(self, *, hidden_size: int, num_labels: int, dropout: float, std: float) -> None:
        super().__init__(name="classifier", std=std)
        self.hidden, self.num_labels, self.rate = hidden_size, num_labels, dropout

    def build(self, input_shape=None) -> None:
        self.dense = self.dense_weights("dense", self.hidden, self.hidden)
        self.out_proj = self.dense_weights("out_proj", self.hidden, self.num_labels)
        super().build(input_shape)

    def forward(self, hidden: tf.Tensor, training: bool) -> tf.Tensor:
        x = dropout(hidden[:, 0, :], self.rate, training)
        x = dropout(tf.math.tanh(linear(x, self.dense)), self.rate, training)
        return linear(x, self.out_proj)


class TFRobertaForSequenceClassification(_Head):
    """Sentence (pair) classification or regression on the <s> token; the loss is per example, shaped (batch,)."""

    _ignore_unexpected = (r"position_ids$", r"^roberta/pooler/", r"^lm_head/")

    def _build(self, config: RobertaConfig) -> None:
        self.num_labels = config.num_labels
        self.classifier = ClassificationHead(
            hidden_size=config.hidden_size,
            num_labels=config.num_labels,
            dropout=classifier_dropout(config),
            std=config.initializer_range,
        )

    @unpack_inputs
    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None, labels=None,
             training=False):  # fmt: skip
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states)  # fmt: skip
        out = self.roberta.forward(trunk, training=training)
        logits = self.classifier.forward(out["last_hidden_state"], training)
        loss = None if labels is None else sequence_classification_loss(self.config, labels, logits)
        return _output(self, return_dict, TFSequenceClassifierOutput, out, loss=loss, logits=logits)


class TFRobertaForMultipleChoice(_Head):
    """Scores each of `num_choices` candidates: inputs (batch, num_choices, seq), logits (batch, num_choices)."""

    _ignore_unexpected = (r"position_ids$", r"^lm_head/")
    _pooled = True

    def _build(self, config: RobertaConfig) -> None:
        self.rate = config.hidden_dropout_prob
        self.classifier = Linear(n_in=config.hidden_size, n_out=1, name="classifier", std=config.initializer_range)

    @unpack_inputs
    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None, labels=None,
             training=False):  # fmt: skip
        ref = input_ids if input_ids is not None else inputs_embeds
        if ref is None:
            raise ValueError("pass input_ids or inputs_embeds")
        if ref.shape.rank != (3 if input_ids is not None else 4):
            raise ValueError(f"multiple-choice inputs must be shaped (batch, num_choices, seq), got {tuple(ref.shape)}")
        num_choices = tf.shape(ref)[1]

        def flat(t):  # (B, C, T[, H]) -> (B * C, T[, H])
            return None if t is None else tf.reshape(t, [-1, *dims(t, 2)])

        trunk = TrunkInputs(input_ids=flat(input_ids), attention_mask=flat(attention_mask),
            token_type_ids=flat(token_type_ids), position_ids=flat(position_ids), head_mask=head_mask,
            inputs_embeds=flat(inputs_embeds), output_attentions=output_attentions,
            output_hidden_states=output_hidden_states)  # fmt: skip
        out = self.roberta.forward(trunk, training=training)
        pooled = dropout(out["pooler_output"], self.rate, training)
        logits = tf.reshape(self.classifier.forward(pooled), [-1, num_choices])
        loss = None if labels is None else multiple_choice_loss(labels, logits)
        return _output(self, return_dict, TFMultipleChoiceModelOutput, out, loss=loss, logits=logits)


class TFRobertaForTokenClassification(_Head):
    """Per-token labels (NER and the like). Loss: cross-entropy over labels >= 0, shaped (1,)."""

    _ignore_unexpected = (r"position_ids$", r"^roberta/pooler/", r"^lm_head/")

    def _build(self, config: RobertaConfig) -> None:
        self.num_labels = config.num_labels
        self.rate = classifier_dropout(config)
        self.classifier = Linear(
            n_in=config.hidden_size, n_out=config.num_labels, name="classifier", std=config.initializer_range
        )

    @unpack_inputs
    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None, labels=None,
             training=False):  # fmt: skip
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states)  # fmt: skip
        out = self.roberta.forward(trunk, keep=None if labels is None else labels >= 0, training=training)
        logits = self.classifier.forward(dropout(out["last_hidden_state"], self.rate, training))
        loss = None if labels is None else token_classification_loss(labels, logits)
        return _output(self, return_dict, TFTokenClassifierOutput, out, loss=loss, logits=logits)


class TFRobertaForQuestionAnswering(_Head):
    """Extractive QA: start / end logits per token. Loss per example; positions past the end do not count."""

    _ignore_unexpected = (r"position_ids$", r"^roberta/pooler/", r"^lm_head/")
    _label_names = ("start_positions", "end_positions")

    def _build(self, config: RobertaConfig) -> None:
        self.num_labels = config.num_labels
        self.qa_outputs = Linear(
            n_in=config.hidden_size, n_out=config.num_labels, name="qa_outputs", std=config.initializer_range
        )

    @unpack_inputs
    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, output_attentions=None, output_hidden_states=None, return_dict=None,
             start_positions=None, end_positions=None, training=False):  # fmt: skip
        labelled = start_positions is not None and end_positions is not None
        # With labels every position is computed: a label may point at padding.
        keep = None
        if labelled:
            ref = input_ids if input_ids is not None else inputs_embeds[..., 0]
            keep = tf.ones(tf.shape(ref)[:2], tf.bool)
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states)  # fmt: skip
        out = self.roberta.forward(trunk, keep=keep, training=training)
        logits = self.qa_outputs.forward(out["last_hidden_state"])
        start_logits, end_logits = tf.unstack(logits, num=2, axis=-1)
        loss = None
        if labelled:
            loss = question_answering_loss(start_positions, end_positions, start_logits, end_logits)
        own = dict(loss=loss, start_logits=start_logits, end_logits=end_logits)
        return _output(self, return_dict, TFQuestionAnsweringModelOutput, out, **own)

"""Task heads on top of `RobertaModel`, with the reference's forward arguments, outputs and losses."""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import nn

from ..config import RobertaConfig
from ..model_facts import TrunkInputs, classifier_dropout, resolve_problem_type
from ..model_facts.outputs import head_output
from .generation import GenerationMixin
from .head_modules import RobertaClassificationHead, RobertaLMHead
from .model import RobertaModel
from .outputs import (
    CausalLMOutputWithCrossAttentions,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from .pretrained import RobertaPreTrainedModel

logger = logging.getLogger(__name__)


def _labelled(labels: torch.Tensor | None, shift: bool = False) -> torch.Tensor | None:
    """Positions whose outputs enter a per-token loss (labels != -100; for next-token loss, the position
    before each label): the packed layout computes them even where they are padding."""
    if labels is None:
        return None
    used = labels != -100
    if shift:
        used = F.pad(used[:, 1:], (0, 1), value=False)
    return used


def _output(config: RobertaConfig, return_dict: bool | None, cls: type, out, **own):
    """The head's output `cls` (its `own` fields and what it passes on from the trunk's `out`), or its tuple."""
    output = head_output(cls, out, **own)
    return output if (config.use_return_dict if return_dict is None else return_dict) else output.to_tuple()


class _Head(RobertaPreTrainedModel):
    """A task head: the trunk `roberta` (with its pooler where `_pooled`), then the head's own modules
    (`_build`), in the reference's order, then the weights' init."""

    _pooled = False

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.roberta = RobertaModel(config, add_pooling_layer=self._pooled)
        self._build(config)
        self.post_init()

    def _build(self, config: RobertaConfig) -> None:
        raise NotImplementedError


class _LMBase(_Head):
    _tied_weights_keys = ["lm_head.decoder.weight", "lm_head.decoder.bias"]
    _keys_to_ignore_on_save = _tied_weights_keys  # stored once, under the input embeddings and lm_head.bias

    def _build(self, config: RobertaConfig) -> None:
        self.lm_head = RobertaLMHead(config.hidden_size, config.vocab_size, config.layer_norm_eps)

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def set_output_embeddings(self, new: nn.Linear) -> None:
        self.lm_head.decoder = new


class RobertaForMaskedLM(_LMBase):
    """RoBERTa with its masked-language-modelling head. Loss: cross-entropy over labels != -100."""

    def __init__(self, config: RobertaConfig) -> None:
        if config.is_decoder:
            logger.warning("RobertaForMaskedLM wants config.is_decoder=False for bi-directional self-attention.")
        super().__init__(config)

    # Each head's forward takes the reference's argument list for that head, in its order, spelled out:
    # users pass them positionally and Trainer, peft and torch.export read inspect.signature by name.
    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, labels=None,
                output_attentions=None, output_hidden_states=None, return_dict=None, sparse_logits=None):  # fmt: skip
        """`sparse_logits=True` (opt-in; `roberta pretrain` uses it) runs the LM head only where labels != -100:
        the loss is the same, and `logits` then holds those rows only, shaped (num_labelled, vocab). By default
        `logits` has the reference's shape (batch, seq, vocab), in training too."""
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states,
            encoder_hidden_states=encoder_hidden_states, encoder_attention_mask=encoder_attention_mask)  # fmt: skip
        out, layout = self.roberta.encode(trunk, keep=_labelled(labels))
        hidden = out.last_hidden_state
        loss = None
        if sparse_logits:
            if labels is None:
                raise ValueError("sparse_logits=True needs labels (it computes logits only where labels != -100)")
            labels = labels.to(hidden.device)
            chosen = labels != -100
            logits = self.lm_head(hidden[chosen])  # (num_labelled, V)
            loss = F.cross_entropy(logits, labels[chosen])
        else:
            logits = layout.unpack(self.lm_head(layout.pack(hidden)))  # the vocabulary projection on real tokens
            if labels is not None:
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.to(logits.device).view(-1))
        return _output(self.config, return_dict, MaskedLMOutput, out, loss=loss, logits=logits)


class RobertaForCausalLM(GenerationMixin, _LMBase):
    """RoBERTa as a left-to-right decoder (set `config.is_decoder=True`), with a KV cache.

    Loss: next-token cross-entropy (labels shifted inside), computed in float32; `num_items_in_batch`
    switches to a sum divided by that count, as in the reference.
    """

    def __init__(self, config: RobertaConfig) -> None:
        if not config.is_decoder:
            logger.warning("To use RobertaForCausalLM as a standalone decoder, set config.is_decoder=True.")
        super().__init__(config)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, labels=None,
                past_key_values=None, use_cache=None, output_attentions=None, output_hidden_states=None,
                return_dict=None, num_items_in_batch=None, **kwargs):  # fmt: skip
        if labels is not None:
            use_cache = False
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states,
            encoder_hidden_states=encoder_hidden_states, encoder_attention_mask=encoder_attention_mask,
            past_key_values=past_key_values, use_cache=use_cache)  # fmt: skip
        out, layout = self.roberta.encode(trunk, keep=_labelled(labels, shift=True))
        logits = layout.unpack(self.lm_head(layout.pack(out.last_hidden_state)))
        loss = None
        if labels is not None:
            labels = F.pad(labels.to(logits.device), (0, 1), value=-100)[:, 1:]  # token t predicts token t+1
            flat_logits, flat_labels = logits.float().view(-1, logits.size(-1)), labels.reshape(-1)
            if num_items_in_batch is None:
                loss = F.cross_entropy(flat_logits, flat_labels, ignore_index=-100)
            else:
                loss = F.cross_entropy(flat_logits, flat_labels, ignore_index=-100, reduction="sum")
                loss = loss / num_items_in_batch
        return _output(self.config, return_dict, CausalLMOutputWithCrossAttentions, out, loss=loss, logits=logits)

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, attention_mask=None, **kwargs):
        if past_key_values is not None:
            input_ids = input_ids[:, past_key_values.get_seq_length() :]
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "past_key_values": past_key_values,
            "use_cache": True,
        }


def sequence_classification_loss(config: RobertaConfig, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Regression, single-label or multi-label loss; infers and records `config.problem_type` like the reference."""
    n = config.num_labels
    problem_type = resolve_problem_type(config, integer_labels=labels.dtype in (torch.long, torch.int))
    if problem_type == "regression":
        if n == 1:
            return F.mse_loss(logits.squeeze(), labels.squeeze().to(logits.dtype))
        return F.mse_loss(logits, labels.to(logits.dtype))
    if problem_type == "single_label_classification":
        return F.cross_entropy(logits.view(-1, n), labels.view(-1))
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


class RobertaForSequenceClassification(_Head):
    """Sentence (pair) classification or regression on the <s> token."""

    def _build(self, config: RobertaConfig) -> None:
        self.num_labels = config.num_labels
        self.classifier = RobertaClassificationHead(config.hidden_size, config.num_labels, classifier_dropout(config))

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                inputs_embeds=None, labels=None, output_attentions=None, output_hidden_states=None,
                return_dict=None):  # fmt: skip
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states)  # fmt: skip
        out, _ = self.roberta.encode(trunk)
        logits = self.classifier(out.last_hidden_state)
        loss = None if labels is None else sequence_classification_loss(self.config, logits, labels.to(logits.device))
        return _output(self.config, return_dict, SequenceClassifierOutput, out, loss=loss, logits=logits)


class RobertaForMultipleChoice(_Head):
    """Scores each of `num_choices` candidates: inputs are (batch, num_choices, seq); logits (batch, num_choices)."""

    _ignore_unexpected = ()
    _pooled = True

    def _build(self, config: RobertaConfig) -> None:
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, 1)

    def forward(self, input_ids=None, token_type_ids=None, attention_mask=None, labels=None, position_ids=None,
                head_mask=None, inputs_embeds=None, output_attentions=None, output_hidden_states=None,
                return_dict=None):  # fmt: skip
        ref = input_ids if input_ids is not None else inputs_embeds
        if ref is None:
            raise ValueError("pass input_ids or inputs_embeds")
        num_choices = ref.shape[1]

        def flat(t):  # (B, C, T[, H]) -> (B * C, T[, H])
            return None if t is None else t.reshape(-1, *t.shape[2:])

        trunk = TrunkInputs(input_ids=flat(input_ids), attention_mask=flat(attention_mask),
            token_type_ids=flat(token_type_ids), position_ids=flat(position_ids), head_mask=head_mask,
            inputs_embeds=flat(inputs_embeds), output_attentions=output_attentions,
            output_hidden_states=output_hidden_states)  # fmt: skip
        out, _ = self.roberta.encode(trunk)
        logits = self.classifier(self.dropout(out.pooler_output)).view(-1, num_choices)
        loss = None if labels is None else F.cross_entropy(logits, labels.to(logits.device))
        return _output(self.config, return_dict, MultipleChoiceModelOutput, out, loss=loss, logits=logits)


class RobertaForTokenClassification(_Head):
    """Per-token labels (NER and the like). Loss: cross-entropy over labels != -100."""

    def _build(self, config: RobertaConfig) -> None:
        self.num_labels = config.num_labels
        self.dropout = nn.Dropout(classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                inputs_embeds=None, labels=None, output_attentions=None, output_hidden_states=None,
                return_dict=None):  # fmt: skip
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states)  # fmt: skip
        out, _ = self.roberta.encode(trunk, keep=_labelled(labels))
        logits = self.classifier(self.dropout(out.last_hidden_state))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, self.num_labels), labels.to(logits.device).view(-1))
        return _output(self.config, return_dict, TokenClassifierOutput, out, loss=loss, logits=logits)


class RobertaForQuestionAnswering(_Head):
    """Extractive QA: start/end logits per token. Positions outside the sequence are clamped and ignored."""

    def _build(self, config: RobertaConfig) -> None:
        self.num_labels = config.num_labels
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                inputs_embeds=None, start_positions=None, end_positions=None, output_attentions=None,
                output_hidden_states=None, return_dict=None):  # fmt: skip
        # the loss's softmax runs over every position, padding included, as in the reference
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states)  # fmt: skip
        out, _ = self.roberta.encode(trunk, every_position=start_positions is not None)
        logits = self.qa_outputs(out.last_hidden_state)
        start_logits, end_logits = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            ignored = start_logits.size(1)  # positions past the end (clamped there) do not count
            start = start_positions.reshape(-1).clamp(0, ignored).to(start_logits.device)
            end = end_positions.reshape(-1).clamp(0, ignored).to(end_logits.device)
            loss = (
                F.cross_entropy(start_logits, start, ignore_index=ignored)
                + F.cross_entropy(end_logits, end, ignore_index=ignored)
            ) / 2
        own = dict(loss=loss, start_logits=start_logits, end_logits=end_logits)
        return _output(self.config, return_dict, QuestionAnsweringModelOutput, out, **own)

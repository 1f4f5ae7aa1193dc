"""The RoBERTa family's Flax classes, one per head of `roberta.registry` (named by its formula), each a
`FlaxRobertaPreTrainedModel` over one task of `heads.HEADS` (see `base.py` for construction, the call, loading
and saving). The package exports them, and derives other families' classes from them."""

from __future__ import annotations

from typing import Any

from .base import FlaxRobertaPreTrainedModel
from .generation import generate


class FlaxRobertaModel(FlaxRobertaPreTrainedModel):
    """The bare trunk: `last_hidden_state` (B, T, H) and `pooler_output` (B, H) (`add_pooling_layer=False`
    drops the pooler). With `config.is_decoder` it is a causal decoder with a key/value cache."""

    task = "base"


class FlaxRobertaForMaskedLM(FlaxRobertaPreTrainedModel):
    """Masked-language-model logits (B, T, vocab); the LM head shares the word embeddings when tied."""

    task = "masked_lm"


class FlaxRobertaForCausalLM(FlaxRobertaPreTrainedModel):
    """A left-to-right decoder (`config.is_decoder=True`, optionally with cross-attention): logits (B, T,
    vocab), `init_cache` + `past_key_values` for cached steps, and `generate`."""

    task = "causal_lm"

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def generate(self, input_ids, attention_mask=None, **kwargs: Any):
        """Greedy (default) or sampled (`do_sample=True`, `temperature`, `top_k`, `top_p`, `prng_key`)
        continuation; see `generation.generate` for every option."""
        return generate(self, input_ids, attention_mask, **kwargs)


class FlaxRobertaForSequenceClassification(FlaxRobertaPreTrainedModel):
    """Sentence (pair) classification or regression on the <s> token: logits (B, num_labels)."""

    task = "sequence_classification"
    row_outputs = frozenset({"logits"})


class FlaxRobertaForMultipleChoice(FlaxRobertaPreTrainedModel):
    """Scores each of C candidates: inputs (B, C, T), logits (B, C)."""

    task = "multiple_choice"
    row_outputs = frozenset({"logits"})


class FlaxRobertaForTokenClassification(FlaxRobertaPreTrainedModel):
    """Per-token labels: logits (B, T, num_labels)."""

    task = "token_classification"


class FlaxRobertaForQuestionAnswering(FlaxRobertaPreTrainedModel):
    """Extractive QA: `start_logits` and `end_logits` (B, T)."""

    task = "question_answering"

"""The inputs of the RoBERTa trunk, by the reference's names: what every head passes on to `RobertaModel`
(PyTorch) or `MainLayer` (TensorFlow), built with keyword arguments from the head's own arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TrunkInputs:
    """One call's trunk inputs (arrays of the framework in use, or None; flags None take the config's).

    The first six fields are in the order of the reference's first six forward arguments, which every head
    shares, so heads pass those positionally and the rest by keyword.
    """

    # Kept repeat: a field list of the trunk's inputs; tokenizer/options.py's EncodeOptions is another record of like
    # shape.
    input_ids: Any = None
    attention_mask: Any = None
    token_type_ids: Any = None
    position_ids: Any = None
    head_mask: Any = None
    inputs_embeds: Any = None
    encoder_hidden_states: Any = None
    encoder_attention_mask: Any = None
    past_key_values: Any = None
    use_cache: bool | None = None
    output_attentions: bool | None = None
    output_hidden_states: bool | None = None
    cache_position: Any = None

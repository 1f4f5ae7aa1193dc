"""`ModelSpec`: the config unpacked once into the plain, hashable numbers the linen modules are built from."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import RobertaConfig
from ..model_facts import classifier_dropout


@dataclass(frozen=True)
class ModelSpec:
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_positions: int
    type_vocab_size: int
    pad_token_id: int
    eps: float
    dropout: float
    attn_dropout: float
    classifier_dropout: float
    act: str
    relative: str | None  # None for absolute positions, else "relative_key" / "relative_key_query"
    is_decoder: bool
    cross_attention: bool
    init_range: float
    num_labels: int
    tie_word_embeddings: bool

    @classmethod
    def from_config(cls, config: RobertaConfig) -> ModelSpec:
        if not isinstance(config, RobertaConfig):
            raise TypeError(f"config must be a RobertaConfig, got {type(config).__name__}")
        c = config
        return cls(
            vocab_size=c.vocab_size,
            hidden_size=c.hidden_size,
            num_layers=c.num_hidden_layers,
            num_heads=c.num_attention_heads,
            intermediate_size=c.intermediate_size,
            max_positions=c.max_position_embeddings,
            type_vocab_size=c.type_vocab_size,
            pad_token_id=1 if c.pad_token_id is None else c.pad_token_id,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
            attn_dropout=c.attention_probs_dropout_prob,
            classifier_dropout=classifier_dropout(c),
            act=c.hidden_act,
            relative=None if c.position_embedding_type == "absolute" else c.position_embedding_type,
            is_decoder=bool(c.is_decoder),
            cross_attention=bool(c.add_cross_attention),
            init_range=c.initializer_range,
            num_labels=c.num_labels,
            tie_word_embeddings=bool(c.tie_word_embeddings),
        )

"""Model size presets for pretraining from scratch."""

from __future__ import annotations

from typing import Any

from ..config import RobertaConfig

PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(num_hidden_layers=2, hidden_size=128, num_attention_heads=2, intermediate_size=512),
    "mini": dict(num_hidden_layers=4, hidden_size=256, num_attention_heads=4, intermediate_size=1024),
    "small": dict(num_hidden_layers=4, hidden_size=512, num_attention_heads=8, intermediate_size=2048),
    "base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072),
}


def config_for(preset: str, tokenizer: Any, max_seq_length: int, **overrides: Any) -> RobertaConfig:
    """A fresh config of size `preset` matching `tokenizer` (vocabulary, special ids) and sequence length."""
    if preset not in PRESETS:
        raise ValueError(f"unknown size preset {preset!r}; choose from {', '.join(PRESETS)}")
    fields: dict[str, Any] = dict(PRESETS[preset])
    fields.update(
        vocab_size=len(tokenizer),
        max_position_embeddings=max_seq_length + 2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
    )
    return RobertaConfig(**fields).updated(strict=True, **overrides)

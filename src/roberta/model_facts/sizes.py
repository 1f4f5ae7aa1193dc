"""The config's embedding sizes under the keywords the PyTorch and TF embeddings take, read from the config once."""

from __future__ import annotations

from typing import Any


def embedding_sizes(config: Any) -> dict[str, Any]:
    """vocab_size, hidden_size, max_positions, type_vocab_size, eps, dropout and absolute (absolute position
    embeddings); each framework adds its own (PyTorch the padding index, TF the initializer's std)."""
    c = config
    return {
        "vocab_size": c.vocab_size,
        "hidden_size": c.hidden_size,
        "max_positions": c.max_position_embeddings,
        "type_vocab_size": c.type_vocab_size,
        "eps": c.layer_norm_eps,
        "dropout": c.hidden_dropout_prob,
        "absolute": c.position_embedding_type == "absolute",
    }

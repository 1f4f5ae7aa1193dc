"""`RobertaEmbeddings`: word + token type + position embeddings, LayerNorm, dropout (the reference's names)."""

from __future__ import annotations

import torch
from torch import nn

from .. import model_facts
from .array_ops import TorchOps
from .linear import tracing


def position_ids_from_input_ids(input_ids: torch.Tensor, padding_idx: int, past_length: int = 0) -> torch.Tensor:
    """RoBERTa counts positions from padding_idx + 1 and gives padding tokens position padding_idx (long)."""
    return model_facts.position_ids_from_input_ids(TorchOps, input_ids, padding_idx, past_length).long()


class RobertaEmbeddings(nn.Module):
    def __init__(self, *, vocab_size: int, hidden_size: int, max_positions: int, type_vocab_size: int, padding_idx: int,
                 eps: float, dropout: float, absolute: bool) -> None:  # fmt: skip
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden_size, padding_idx=padding_idx)
        # Kept for every position type so checkpoints have the same keys; only added when `absolute`.
        self.position_embeddings = nn.Embedding(max_positions, hidden_size, padding_idx=padding_idx)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, hidden_size)
        self.LayerNorm = nn.LayerNorm(hidden_size, eps=eps)  # not snake-cased: the checkpoints' name
        self.dropout = nn.Dropout(dropout)
        self.padding_idx, self.absolute, self.max_positions = padding_idx, absolute, max_positions

    def position_ids(self, input_ids, inputs_embeds, past_length: int) -> torch.Tensor:
        if input_ids is not None:
            return position_ids_from_input_ids(input_ids, self.padding_idx, past_length)
        b, t = inputs_embeds.shape[:2]
        start = model_facts.first_position(self.padding_idx, past_length)
        return torch.arange(start, start + t, device=inputs_embeds.device).expand(b, t)

    def forward(self, input_ids, token_type_ids, position_ids, inputs_embeds, past_length: int = 0) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if token_type_ids is None and type(self.token_type_embeddings) is nn.Embedding:
            x = inputs_embeds + self.token_type_embeddings.weight[0]  # type 0 everywhere, without an id tensor
        elif token_type_ids is None:
            zeros = torch.zeros(inputs_embeds.shape[:2], dtype=torch.long, device=inputs_embeds.device)
            x = inputs_embeds + self.token_type_embeddings(zeros)
        else:
            x = inputs_embeds + self.token_type_embeddings(token_type_ids)
        if self.absolute:
            if position_ids is None:
                position_ids = self.position_ids(input_ids, inputs_embeds, past_length)
            check_positions(position_ids, self.max_positions, self.padding_idx)
            x = x + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(x))


def check_positions(position_ids: torch.Tensor, max_positions: int, padding_idx: int) -> None:
    """A position past the table is an error naming the usable length (skipped while tracing: it reads values)."""
    if tracing() or not position_ids.numel():
        return
    top, bottom = int(position_ids.max()), int(position_ids.min())
    if top >= max_positions or bottom < 0:
        found = f"position id {top if top >= max_positions else bottom}"
        raise ValueError(model_facts.position_table_message(max_positions, padding_idx, found))

"""The heads' own modules, under the reference's names: the LM head and the sentence classification head."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .linear import linear


class RobertaLMHead(nn.Module):
    """dense -> gelu -> LayerNorm -> vocabulary projection (weight tied to the input embeddings) + bias.

    `decoder.bias` is `bias`, one parameter under two names, as in the reference."""

    def __init__(self, hidden_size: int, vocab_size: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size, eps=eps)
        self.decoder = nn.Linear(hidden_size, vocab_size)
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        x = self.layer_norm(F.gelu(linear(self.dense, hidden)))
        return linear(self.decoder, x)

    def _tie_weights(self) -> None:
        """Point `decoder.bias` at `bias` again (after loading or resizing replaced one of them)."""
        if isinstance(self.decoder, nn.Linear) and self.decoder.bias is not self.bias:
            if self.decoder.bias is not None and self.decoder.bias.device.type == "meta":
                self.decoder.bias = self.bias
            elif self.bias.device.type == "meta":
                self.bias = self.decoder.bias
            else:
                self.decoder.bias = self.bias


class RobertaClassificationHead(nn.Module):
    """Sentence-level head on the <s> token: dropout -> dense -> tanh -> dropout -> out_proj."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        x = self.dropout(hidden[:, 0, :])
        x = self.dropout(torch.tanh(linear(self.dense, x)))
        return linear(self.out_proj, x)

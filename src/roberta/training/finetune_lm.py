"""Continued masked-LM or causal-LM training on raw text; metric: perplexity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .data import causal_collate
from .pretraining import MaskedLMTask, summed_token_loss

__all__ = ["CausalLMTask", "MaskedLMTask"]


class CausalLMTask:
    """Next-token prediction over packed sequences (the model must be a decoder: `is_decoder=True`)."""

    def __init__(self, train_seqs: Any, tokenizer: Any, eval_seqs: Any = None, eval_batch_size: int = 16) -> None:
        self.train_seqs, self.eval_seqs, self.tokenizer = train_seqs, eval_seqs, tokenizer
        self.num_samples = len(train_seqs)
        self.eval_batch_size = eval_batch_size

    def make_batch(self, indices: Sequence[int], positions: Sequence[int]) -> dict[str, torch.Tensor]:
        return causal_collate([self.train_seqs[i] for i in indices], self.tokenizer.pad_token_id)

    def count(self, batch: dict[str, torch.Tensor]) -> int:
        return int((batch["labels"][:, 1:] != -100).sum())

    def loss_sum(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        return summed_token_loss(logits[:, :-1], batch["labels"][:, 1:])

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if self.eval_seqs is None or len(self.eval_seqs) == 0:
            return {}
        device = next(model.parameters()).device
        total, count = 0.0, 0
        for start in range(0, len(self.eval_seqs), self.eval_batch_size):
            idx = range(start, min(len(self.eval_seqs), start + self.eval_batch_size))
            batch = {k: v.to(device) for k, v in self.make_batch_from([self.eval_seqs[i] for i in idx]).items()}
            total += float(self.loss_sum(model, batch))
            count += self.count(batch)
        loss = total / max(count, 1)
        return {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}

    def make_batch_from(self, seqs: Sequence[Any]) -> dict[str, torch.Tensor]:
        return causal_collate(seqs, self.tokenizer.pad_token_id)

    def save_artifacts(self, directory: str) -> None:
        self.tokenizer.save_pretrained(directory)

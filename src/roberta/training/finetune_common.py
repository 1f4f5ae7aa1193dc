"""Pieces shared by the fine-tuning tasks: padding features, the base task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..batching import pad

PAD_VALUES = {"input_ids": None, "attention_mask": 0, "labels": -100}


def collate(features: Sequence[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Stack feature dicts into tensors, right-padding lists (`input_ids` with `pad_id`, labels with -100)."""
    batch: dict[str, torch.Tensor] = {}
    for key in features[0]:
        values = [f[key] for f in features]
        if isinstance(values[0], (list, tuple)):
            fill = pad_id if key == "input_ids" else PAD_VALUES.get(key, 0)
            is_float = any(isinstance(x, float) for x in np.ravel(np.array(values[0], dtype=object)))
            dtype = np.float32 if is_float else np.int64
            batch[key] = torch.from_numpy(pad(values, fill, dtype))
        else:
            batch[key] = torch.tensor(values, dtype=torch.float32 if isinstance(values[0], float) else torch.long)
    return batch


class FeatureTask:
    """A task over in-memory features; loss is the model's mean loss times the batch size (per-sample units)."""

    def __init__(self, features: list[dict[str, Any]], tokenizer: Any, eval_batch_size: int = 32) -> None:
        if not features:
            raise ValueError("the training data holds no samples")
        self.features, self.tokenizer, self.eval_batch_size = features, tokenizer, eval_batch_size
        self.num_samples = len(features)

    def make_batch(self, indices: Sequence[int], positions: Sequence[int]) -> dict[str, torch.Tensor]:
        return collate([self.features[i] for i in indices], self.tokenizer.pad_token_id)

    def count(self, batch: dict[str, torch.Tensor]) -> int:
        return int(batch["input_ids"].shape[0])

    def loss_sum(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return model(**batch).loss * batch["input_ids"].shape[0]

    def predict(self, model: nn.Module, features: list[dict[str, Any]], keys: Sequence[str]) -> list[torch.Tensor]:
        """Run the model over `features` (only `keys` given to it); return its logits batch by batch."""
        device = next(model.parameters()).device
        out = []
        for start in range(0, len(features), self.eval_batch_size):
            chunk = [{k: f[k] for k in keys} for f in features[start : start + self.eval_batch_size]]
            batch = {k: v.to(device) for k, v in collate(chunk, self.tokenizer.pad_token_id).items()}
            out.append(model(**batch).logits.float().cpu())
        return out

    def save_artifacts(self, directory: str) -> None:
        self.tokenizer.save_pretrained(directory)

"""Multiple choice (SWAG-like rows: a context, N endings, the index of the right one)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .errors import DataError
from .finetune_common import FeatureTask
from .metrics import accuracy
from .readers import column, read_rows


@dataclass
class ChoiceColumns:
    """`context`; optional `question` put before each ending; `endings` (default: ending0, ending1, ...)."""

    context: str = "context"
    question: str | None = None
    endings: Sequence[str] | None = None
    label: str = "label"


def read_choices(path: str, cols: ChoiceColumns) -> list[tuple[int, str, list[str], int]]:
    """Rows as `(line, context, endings, label_index)`."""
    rows = read_rows(path)
    endings = list(
        cols.endings or sorted((c for c in rows[0][1] if re.fullmatch(r"ending\d+", c)), key=lambda c: int(c[6:]))
    )
    if len(endings) < 2:
        raise DataError(path, "need at least two ending columns (ending0, ending1, ...)", rows[0][0])
    out = []
    for line, row in rows:
        context = str(column(path, line, row, cols.context))
        prefix = str(column(path, line, row, cols.question)) + " " if cols.question else ""
        ends = [prefix + str(column(path, line, row, c)) for c in endings]
        raw = column(path, line, row, cols.label)
        try:
            label = int(raw)
        except (TypeError, ValueError):
            raise DataError(path, f"label {raw!r} is not an ending index", line) from None
        if not 0 <= label < len(ends):
            raise DataError(path, f"label {label} is not in the label list 0..{len(ends) - 1}", line)
        out.append((line, context, ends, label))
    return out


def choice_features(
    tokenizer: Any, rows: Sequence[tuple[int, str, list[str], int]], max_length: int
) -> list[dict[str, Any]]:
    """One feature per row: (choices, tokens) ids paired as `<s> context </s></s> ending </s>`."""
    feats = []
    for _, context, ends, label in rows:
        enc = tokenizer([context] * len(ends), ends, truncation=True, max_length=max_length)
        feats.append({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "labels": label})
    return feats


class ChoiceTask(FeatureTask):
    """Multiple choice; metric: accuracy."""

    def __init__(
        self, features: list[dict[str, Any]], tokenizer: Any, eval_features: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(features, tokenizer)
        self.eval_features = eval_features

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.eval_features:
            return {}
        logits = torch.cat(self.predict(model, self.eval_features, ("input_ids", "attention_mask")))
        gold = np.asarray([f["labels"] for f in self.eval_features])
        return {"accuracy": accuracy(logits.argmax(-1).numpy(), gold)}

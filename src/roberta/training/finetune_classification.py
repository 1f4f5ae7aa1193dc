"""Sequence classification: single-label, multi-label and regression from CSV / JSON Lines."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .errors import DataError
from .finetune_common import FeatureTask
from .metrics import accuracy, macro_f1, multilabel_f1, pearson
from .readers import column, read_rows

SINGLE, MULTI, REGRESSION = "single_label_classification", "multi_label_classification", "regression"


@dataclass
class ClassificationColumns:
    """Column names: `text`, optional `text_pair`, `label` (multi-label: a JSON list or `separator`-joined)."""

    text: str = "text"
    text_pair: str | None = None
    label: str = "label"
    separator: str = "|"


def _raw_labels(path: str, line: int, value: Any, problem_type: str, sep: str, name: str) -> Any:
    if problem_type == REGRESSION:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DataError(path, f"label {value!r} is not a number", line) from None
        if not math.isfinite(number):  # a nan target makes the loss nan at the first batch that holds it
            raise DataError(path, f"label {value!r} is not a finite number", line)
        return number
    if problem_type == MULTI:
        if isinstance(value, list):
            labels = [str(v) for v in value]
        elif str(value).strip().startswith("["):
            try:
                labels = [str(v) for v in json.loads(str(value))]
            except json.JSONDecodeError:
                raise DataError(path, f"label list {str(value).strip()!r} is not valid JSON", line) from None
        else:  # an empty cell: no label applies (a multi-label row may have none)
            return [v.strip() for v in str(value).split(sep) if v.strip()]
        if any(not v.strip() for v in labels):
            raise DataError(path, f"label list {value!r} holds an empty label", line)
        return labels
    if not str(value).strip():
        raise DataError(path, f"the label (column {name!r}) is empty", line)
    return str(value)


def read_classification(
    path: str, cols: ClassificationColumns, problem_type: str
) -> list[tuple[int, str, str | None, Any]]:
    """Rows as `(line, text, text_pair, raw_label)`."""
    out = []
    for line, row in read_rows(path):
        text = str(column(path, line, row, cols.text))
        pair = str(column(path, line, row, cols.text_pair)) if cols.text_pair else None
        label = _raw_labels(path, line, column(path, line, row, cols.label), problem_type, cols.separator, cols.label)
        out.append((line, text, pair, label))
    return out


def label_list(rows: Sequence[tuple[int, str, str | None, Any]], problem_type: str) -> list[str]:
    """Sorted distinct labels of the training rows."""
    seen: set[str] = set()
    for *_, label in rows:
        seen.update(label if isinstance(label, list) else [label])
    return sorted(seen)


def encode_labels(
    path: str, rows: Sequence[tuple[int, str, str | None, Any]], labels: list[str], problem_type: str
) -> list[Any]:
    """Label ids (single), multi-hot float lists (multi) or floats (regression); unknown labels are errors."""
    index = {label: i for i, label in enumerate(labels)}
    out: list[Any] = []
    for line, _, _, raw in rows:
        if problem_type == REGRESSION:
            out.append(float(raw))
            continue
        for value in raw if isinstance(raw, list) else [raw]:
            if value not in index:
                raise DataError(path, f"label {value!r} is not in the label list ({', '.join(labels)})", line)
        if problem_type == MULTI:
            hot = [0.0] * len(labels)
            for value in raw:
                hot[index[value]] = 1.0
            out.append(hot)
        else:
            out.append(index[raw])
    return out


def make_features(
    tokenizer: Any, rows: Sequence[tuple[int, str, str | None, Any]], labels: Sequence[Any], max_length: int
) -> list[dict[str, Any]]:
    texts = [r[1] for r in rows]
    pairs = [r[2] for r in rows] if rows and rows[0][2] is not None else None
    enc = tokenizer(texts, pairs, truncation=True, max_length=max_length)
    return [
        {"input_ids": ids, "attention_mask": att, "labels": lab}
        for ids, att, lab in zip(enc["input_ids"], enc["attention_mask"], labels)
    ]


class ClassificationTask(FeatureTask):
    """Sequence classification; metrics: accuracy + macro F1, micro F1 + subset accuracy, or Pearson + MSE."""

    def __init__(
        self,
        features: list[dict[str, Any]],
        tokenizer: Any,
        problem_type: str,
        num_labels: int,
        eval_features: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(features, tokenizer)
        self.problem_type, self.num_labels, self.eval_features = problem_type, num_labels, eval_features

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.eval_features:
            return {}
        logits = torch.cat(self.predict(model, self.eval_features, ("input_ids", "attention_mask"))).numpy()
        gold = np.asarray([f["labels"] for f in self.eval_features])
        if self.problem_type == REGRESSION:
            pred = logits[:, 0]
            return {"pearson": pearson(pred, gold), "mse": float(((pred - gold) ** 2).mean())}
        if self.problem_type == MULTI:
            pred = (logits > 0).astype(np.float32)
            return {"f1": multilabel_f1(pred, gold), "accuracy": float((pred == gold).all(axis=1).mean())}
        pred = logits.argmax(-1)
        return {"accuracy": accuracy(pred, gold), "f1": macro_f1(pred, gold, self.num_labels)}

"""Token classification (e.g. NER with BIO tags): word labels aligned to sub-words via `word_ids`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .errors import DataError
from .finetune_common import FeatureTask
from .metrics import entity_scores
from .readers import column, read_rows


def _words(path: str, line: int, value: Any, name: str) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value.split()
    raise DataError(path, f"column {name!r} must be a list or a space-separated string", line)


def read_tagged(
    path: str, tokens_column: str = "tokens", tags_column: str = "tags"
) -> list[tuple[int, list[str], list[str]]]:
    """Rows as `(line, words, tags)`; a words/tags length mismatch is an error."""
    out = []
    for line, row in read_rows(path):
        words = _words(path, line, column(path, line, row, tokens_column), tokens_column)
        tags = _words(path, line, column(path, line, row, tags_column), tags_column)
        if len(words) != len(tags):
            raise DataError(path, f"{len(words)} tokens but {len(tags)} tags", line)
        if not words:
            raise DataError(path, "no tokens", line)
        out.append((line, words, tags))
    return out


def tag_list(rows: Sequence[tuple[int, list[str], list[str]]]) -> list[str]:
    """Distinct tags, `O` first, then sorted by entity type with B- before I-."""
    tags = {t for _, _, ts in rows for t in ts}
    return sorted(tags, key=lambda t: (t != "O", t[2:], t[:2]))


def _inside(tag: str) -> str:
    return "I-" + tag[2:] if tag.startswith("B-") else tag


def align_features(
    tokenizer: Any,
    path: str,
    rows: Sequence[tuple[int, list[str], list[str]]],
    labels: list[str],
    max_length: int,
    label_all_tokens: bool = False,
) -> list[dict[str, Any]]:
    """Tokenize words; label the first sub-word of each word (all sub-words with `label_all_tokens`,
    later ones taking the I- form of a B- tag); other positions -100. Unknown tags are errors."""
    index = {t: i for i, t in enumerate(labels)}
    for line, _, tags in rows:
        for t in tags:
            if t not in index:
                raise DataError(path, f"label {t!r} is not in the label list ({', '.join(labels)})", line)
    enc = tokenizer([r[1] for r in rows], is_split_into_words=True, truncation=True, max_length=max_length)
    features = []
    for i, (_, _words, tags) in enumerate(rows):
        word_ids = enc.word_ids(i)
        lab, prev = [], None
        for w in word_ids:
            if w is None:
                lab.append(-100)
            elif w != prev:
                lab.append(index[tags[w]])
            else:
                lab.append(index.get(_inside(tags[w]), index[tags[w]]) if label_all_tokens else -100)
            prev = w
        features.append(
            {
                "input_ids": enc["input_ids"][i],
                "attention_mask": enc["attention_mask"][i],
                "labels": lab,
                "word_ids": [-1 if w is None else w for w in word_ids],
                "tags": tags,
            }
        )
    return features


class TokenTask(FeatureTask):
    """Token classification; loss summed over labelled sub-words; metrics: entity-level P/R/F1."""

    def __init__(
        self,
        features: list[dict[str, Any]],
        tokenizer: Any,
        labels: list[str],
        eval_features: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__([{k: f[k] for k in ("input_ids", "attention_mask", "labels")} for f in features], tokenizer)
        self.labels, self.eval_features = labels, eval_features

    def count(self, batch: dict[str, torch.Tensor]) -> int:
        return int((batch["labels"] != -100).sum())

    def loss_sum(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        return F.cross_entropy(
            logits.reshape(-1, logits.size(-1)).float(), batch["labels"].reshape(-1), ignore_index=-100, reduction="sum"
        )

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.eval_features:
            return {}
        preds, golds = [], []
        at = 0
        for logits in self.predict(model, self.eval_features, ("input_ids", "attention_mask")):
            for row in logits.argmax(-1).tolist():
                f = self.eval_features[at]
                at += 1
                words = ["O"] * len(f["tags"])  # words cut by truncation count as "O"
                seen = set()
                for pos, w in enumerate(f["word_ids"]):
                    if w >= 0 and w not in seen:
                        seen.add(w)
                        words[w] = self.labels[row[pos]]
                preds.append(words)
                golds.append(f["tags"])
        return entity_scores(preds, golds)

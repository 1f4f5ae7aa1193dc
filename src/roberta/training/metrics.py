"""Evaluation metrics: accuracy, F1, Pearson, entity-level P/R/F1 for BIO tags, SQuAD exact match / F1."""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence

import numpy as np


def accuracy(pred: Sequence[int], gold: Sequence[int]) -> float:
    """Fraction of equal items."""
    pred, gold = np.asarray(pred), np.asarray(gold)
    return float((pred == gold).mean()) if len(gold) else 0.0


def f1_binary_counts(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """(precision, recall, F1) from counts; 0 where undefined."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def macro_f1(pred: Sequence[int], gold: Sequence[int], num_labels: int) -> float:
    """Unweighted mean over classes present in gold or predictions of per-class F1."""
    pred, gold = np.asarray(pred), np.asarray(gold)
    scores = []
    for c in range(num_labels):
        if not ((gold == c).any() or (pred == c).any()):
            continue
        tp = float(((pred == c) & (gold == c)).sum())
        scores.append(
            f1_binary_counts(tp, float(((pred == c) & (gold != c)).sum()), float(((pred != c) & (gold == c)).sum()))[2]
        )
    return float(np.mean(scores)) if scores else 0.0


def multilabel_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    """Micro-averaged F1 over a (samples, labels) 0/1 matrix."""
    pred, gold = np.asarray(pred).astype(bool), np.asarray(gold).astype(bool)
    return f1_binary_counts(float((pred & gold).sum()), float((pred & ~gold).sum()), float((~pred & gold).sum()))[2]


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson correlation; 0 when either side is constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    xs, ys = x - x.mean(), y - y.mean()
    den = np.sqrt((xs**2).sum() * (ys**2).sum())
    return float((xs * ys).sum() / den) if den > 0 else 0.0


def bio_entities(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """Entities `(type, start, end_exclusive)` of an IOB2 tag sequence.

    An entity starts at `B-X`, or at an `I-X` that does not continue an entity of type X (as in the
    CoNLL evaluation script); it continues over `I-X`. Tags without a `B-`/`I-` prefix (like `O`) end it.
    """
    out: set[tuple[str, int, int]] = set()
    kind, start = None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, t = tag.partition("-") if tag[:2] in ("B-", "I-") else ("O", "", "")
        if kind is not None and not (prefix == "I" and t == kind):
            out.add((kind, start, i))
            kind = None
        if prefix == "B" or (prefix == "I" and kind is None):
            kind, start = t, i
    return out


def entity_scores(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> dict[str, float]:
    """Entity-level micro precision / recall / F1 over sentences, plus token accuracy."""
    tp = fp = fn = 0
    right = total = 0
    for p, g in zip(pred, gold):
        pe, ge = bio_entities(p), bio_entities(g)
        tp += len(pe & ge)
        fp += len(pe - ge)
        fn += len(ge - pe)
        right += sum(a == b for a, b in zip(p, g))
        total += len(g)
    precision, recall, f1 = f1_binary_counts(tp, fp, fn)
    return {"precision": precision, "recall": recall, "f1": f1, "accuracy": right / total if total else 0.0}


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def squad_em(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def squad_f1(prediction: str, gold: str) -> float:
    """Token-overlap F1 of normalised answers (empty vs empty is 1)."""
    p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum((collections.Counter(p) & collections.Counter(g)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: dict[str, str], golds: dict[str, list[str]]) -> dict[str, float]:
    """Exact match and F1 (in %, best over the gold answers); unanswerable questions have golds `[""]`."""
    em = f1 = 0.0
    for qid, answers in golds.items():
        pred = predictions.get(qid, "")
        answers = answers or [""]
        em += max(squad_em(pred, a) for a in answers)
        f1 += max(squad_f1(pred, a) for a in answers)
    n = max(1, len(golds))
    return {"exact_match": 100.0 * em / n, "f1": 100.0 * f1 / n}

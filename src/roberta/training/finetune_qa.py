"""Extractive question answering from SQuAD-format JSON (v1.1 and v2 with unanswerable questions).

Long contexts are split into overlapping windows (`stride` tokens shared) with the fast tokenizer's overflow
and offsets; answers are read back with n-best span search over all windows of a question.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from torch import nn

from .._io import atomic_write_text
from .errors import DataError
from .finetune_common import FeatureTask
from .metrics import squad_scores
from .readers import line_of, read_json


@dataclass
class QAExample:
    """One question: its context, gold answers (text, character start) and whether it is unanswerable."""

    id: str
    question: str
    context: str
    answers: list[tuple[str, int]] = field(default_factory=list)
    is_impossible: bool = False


def read_squad(path: str) -> list[QAExample]:
    """Parse SQuAD JSON; an answer whose text is not at `answer_start` in its context is an error."""
    data, raw = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DataError(path, 'expected SQuAD format: {"data": [{"paragraphs": [{"context", "qas"}]}]}', 1)
    out: list[QAExample] = []
    for article in data["data"]:
        for para in article.get("paragraphs", []):
            context = para.get("context")
            if not isinstance(context, str):
                raise DataError(path, "paragraph without a context string", line_of(raw, '"context"'))
            for qa in para.get("qas", []):
                qid = str(qa.get("id", len(out)))
                where = line_of(raw, json.dumps(qid)) or line_of(raw, qid)
                if "question" not in qa:
                    raise DataError(path, f"question {qid!r} has no 'question'", where)
                impossible = bool(qa.get("is_impossible", False))
                answers = []
                for a in qa.get("answers", []):
                    text, start = a.get("text"), a.get("answer_start")
                    if not isinstance(text, str) or not text:
                        raise DataError(path, f"question {qid!r}: an answer has no text", where)
                    if start is None:
                        start = context.find(text)
                    if not isinstance(start, int) or context[start : start + len(text)] != text:
                        raise DataError(
                            path,
                            f"question {qid!r}: answer {text!r} is not in its context at "
                            f"answer_start={a.get('answer_start')}",
                            where,
                        )
                    answers.append((text, start))
                if not answers and not impossible:
                    raise DataError(path, f"question {qid!r} has no answer and is not marked is_impossible", where)
                out.append(QAExample(qid, qa["question"].strip(), context, answers, impossible))
    if not out:
        raise DataError(path, "no questions")
    return out


def _windows(tokenizer: Any, examples: Sequence[QAExample], max_length: int, stride: int) -> Any:
    return tokenizer(
        [e.question for e in examples],
        [e.context for e in examples],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )


def _features(tokenizer: Any, examples: Sequence[QAExample], max_length: int, stride: int, fields: Any) -> list[dict]:
    """One feature per window: its input_ids and attention_mask, then `fields(enc, i)` of window i."""
    enc = _windows(tokenizer, examples, max_length, stride)
    return [
        {"input_ids": ids, "attention_mask": enc["attention_mask"][i], **fields(enc, i)}
        for i, ids in enumerate(enc["input_ids"])
    ]


def train_features(
    tokenizer: Any, examples: Sequence[QAExample], max_length: int = 384, stride: int = 128
) -> list[dict[str, Any]]:
    """One feature per window with `start_positions`/`end_positions`; (0, 0) = no answer in this window."""

    def answer(enc: Any, i: int) -> dict[str, int]:
        ex = examples[enc["overflow_to_sample_mapping"][i]]
        offsets, seq = enc["offset_mapping"][i], enc.sequence_ids(i)
        start_tok = end_tok = 0
        if ex.answers and not ex.is_impossible:
            text, a_start = ex.answers[0]
            a_end = a_start + len(text)
            ctx = [j for j, s in enumerate(seq) if s == 1]
            if ctx and offsets[ctx[0]][0] <= a_start and offsets[ctx[-1]][1] >= a_end:
                start_tok = next(j for j in ctx if offsets[j][1] > a_start)
                end_tok = next(j for j in reversed(ctx) if offsets[j][0] < a_end)
        return {"start_positions": start_tok, "end_positions": end_tok}

    return _features(tokenizer, examples, max_length, stride, answer)


def eval_features(
    tokenizer: Any, examples: Sequence[QAExample], max_length: int = 384, stride: int = 128
) -> list[dict[str, Any]]:
    """Windows with their example index and context offsets (None outside the context)."""

    def context(enc: Any, i: int) -> dict[str, Any]:
        seq = enc.sequence_ids(i)
        offsets = [tuple(o) if s == 1 else None for o, s in zip(enc["offset_mapping"][i], seq)]
        return {"example": enc["overflow_to_sample_mapping"][i], "offsets": offsets}

    return _features(tokenizer, examples, max_length, stride, context)


def postprocess(
    examples: Sequence[QAExample],
    features: Sequence[dict[str, Any]],
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
    allow_impossible: bool = False,
    null_threshold: float = 0.0,
) -> dict[str, str]:
    """Best answer text per question id from window logits (rows of `start_logits` follow `features`).

    Candidates: the `n_best` highest start and end positions inside the context, end >= start, at most
    `max_answer_length` tokens. With `allow_impossible`, answer "" when the best no-answer score (start and
    end on <s>) beats the best span by more than `null_threshold`.
    """
    by_example: dict[int, list[int]] = {}
    for i, f in enumerate(features):
        by_example.setdefault(f["example"], []).append(i)
    out: dict[str, str] = {}
    for ex_i, ex in enumerate(examples):
        best_text, best_score, null_score = "", -np.inf, np.inf
        for fi in by_example.get(ex_i, []):
            s, e, offs = start_logits[fi], end_logits[fi], features[fi]["offsets"]
            n = len(offs)
            s, e = s[:n], e[:n]
            null_score = min(null_score, float(s[0] + e[0]))
            starts = [j for j in np.argsort(s)[::-1] if offs[j] is not None][:n_best]
            ends = [j for j in np.argsort(e)[::-1] if offs[j] is not None][:n_best]
            for a in starts:
                for b in ends:
                    if b < a or b - a + 1 > max_answer_length:
                        continue
                    score = float(s[a] + e[b])
                    if score > best_score:
                        best_score, best_text = score, ex.context[offs[a][0] : offs[b][1]]
        if allow_impossible and (best_score == -np.inf or null_score > best_score + null_threshold):
            best_text = ""
        out[ex.id] = best_text
    return out


class QATask(FeatureTask):
    """Extractive QA; metrics: SQuAD exact match and F1 (in %); predictions saved next to the model."""

    def __init__(self, features: list[dict[str, Any]], tokenizer: Any, eval_examples: list[QAExample] | None = None,
                 eval_feats: list[dict[str, Any]] | None = None, *, n_best: int = 20, max_answer_length: int = 30,
                 allow_impossible: bool = False, null_threshold: float = 0.0,
                 output_dir: str | None = None) -> None:  # fmt: skip
        super().__init__(features, tokenizer)
        self.eval_examples, self.eval_feats = eval_examples, eval_feats
        self.options = dict(
            n_best=n_best,
            max_answer_length=max_answer_length,
            allow_impossible=allow_impossible,
            null_threshold=null_threshold,
        )
        self.output_dir = output_dir

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.eval_examples or not self.eval_feats:
            return {}
        device = next(model.parameters()).device
        from .finetune_common import collate

        starts, ends = [], []
        for at in range(0, len(self.eval_feats), self.eval_batch_size):
            chunk = [
                {k: f[k] for k in ("input_ids", "attention_mask")}
                for f in self.eval_feats[at : at + self.eval_batch_size]
            ]
            batch = {k: v.to(device) for k, v in collate(chunk, self.tokenizer.pad_token_id).items()}
            out = model(**batch)
            starts += list(out.start_logits.float().cpu().numpy())
            ends += list(out.end_logits.float().cpu().numpy())
        preds = postprocess(self.eval_examples, self.eval_feats, starts, ends, **self.options)
        if self.output_dir:
            atomic_write_text(os.path.join(self.output_dir, "eval_predictions.json"), json.dumps(preds, indent=1))
        golds = {
            e.id: ([""] if e.is_impossible or not e.answers else [a for a, _ in e.answers]) for e in self.eval_examples
        }
        return squad_scores(preds, golds)

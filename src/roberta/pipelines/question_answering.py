"""question-answering: extractive QA over long contexts, as the reference's `QuestionAnsweringPipeline`."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch

from .base import Pipeline, is_stream, positive_int, softmax
from .windows import QA_AGGREGATES, parse_window


def decode_spans(
    start: np.ndarray, end: np.ndarray, top_k: int, max_answer_len: int, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The `top_k` (start, end, score) spans with start <= end < start + max_answer_len, scored start * end
    probability, restricted to tokens where `allowed` is non-zero."""
    outer = np.outer(start, end)
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    flat = candidates.flatten()
    if top_k == 1:
        order = np.array([np.argmax(flat)])
    elif len(flat) < top_k:
        order = np.argsort(-flat)
    else:
        part = np.argpartition(-flat, top_k)[:top_k]
        order = part[np.argsort(-flat[part])]
    starts, ends = np.unravel_index(order, candidates.shape)
    keep = np.isin(starts, allowed.nonzero()) & np.isin(ends, allowed.nonzero())
    starts, ends = starts[keep], ends[keep]
    return starts, ends, candidates[starts, ends]


class QuestionAnsweringPipeline(Pipeline):
    """Extract the answer to a question from a context.

    Inputs: `pipe(question=..., context=...)` (strings, or lists of equal length, or a list of questions and
    one context), `pipe({"question": ..., "context": ...})`, a list of such dicts, or `pipe(question, context)`.

    Call options: `top_k` (1), `doc_stride` (min(max_seq_len // 2, 128)), `max_answer_len` (15, in tokens),
    `max_seq_len` (min(model_max_length, 384), tokens per chunk: contexts too long for one chunk are split
    into overlapping chunks `doc_stride` tokens apart), `max_question_len` (64; accepted for compatibility:
    like the reference with a fast tokenizer, the question is not truncated), `handle_impossible_answer`
    (False; True adds the empty answer scored by the <s> token), `align_to_words` (True).

    Returns `{"score", "start", "end", "answer"}` for one example (a list of them when top_k > 1), a list of
    those for several examples. Needs a fast tokenizer (for the offsets of the chunks).
    """

    task = "question-answering"
    per_token_outputs = ("start_logits", "end_logits")

    def _sanitize(
        self,
        top_k: int | None = None,
        doc_stride: int | None = None,
        max_answer_len: int | None = None,
        max_seq_len: int | None = None,
        max_question_len: int | None = None,
        handle_impossible_answer: bool | None = None,
        align_to_words: bool | None = None,
        topk: int | None = None,
        window: Any = None,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"question-answering got unexpected option(s) {sorted(unknown)}")
        window = parse_window(window, max_length=self.max_length, aggregates=QA_AGGREGATES)
        if window is not None:  # the shared option's name for max_seq_len and doc_stride
            if max_seq_len is not None or doc_stride is not None:
                raise ValueError("window sets max_seq_len and doc_stride; give one or the other")
            max_seq_len, doc_stride = window.length, window.stride
        if not self.tokenizer.is_fast:
            raise ValueError("question-answering needs a fast tokenizer (RobertaTokenizerFast) for its offsets")
        pre: dict[str, Any] = {}
        if doc_stride is not None:
            if not isinstance(doc_stride, int) or doc_stride < 0:
                raise ValueError(f"doc_stride must be an int >= 0, got {doc_stride!r}")
            pre["doc_stride"] = doc_stride
        if max_seq_len is not None:
            pre["max_seq_len"] = positive_int("max_seq_len", max_seq_len)
        if max_question_len is not None:
            positive_int("max_question_len", max_question_len)
        post: dict[str, Any] = {}
        top_k = top_k if top_k is not None else topk
        if top_k is not None:
            post["top_k"] = positive_int("top_k", top_k)
        if max_answer_len is not None:
            post["max_answer_len"] = positive_int("max_answer_len", max_answer_len)
        if handle_impossible_answer is not None:
            post["handle_impossible_answer"] = bool(handle_impossible_answer)
        if align_to_words is not None:
            post["align_to_words"] = bool(align_to_words)
        return pre, post

    @staticmethod
    def _example(item: Any) -> dict[str, str]:
        if not isinstance(item, dict):
            raise TypeError(
                f"a question-answering input must be a dict with keys question and context, got {type(item).__name__}"
            )
        for key in ("question", "context"):
            if key not in item:
                raise KeyError("You need to provide a dictionary with keys {question:..., context:...}")
            if item[key] is None:
                raise ValueError(f"`{key}` cannot be None")
            if not isinstance(item[key], str):
                raise TypeError(f"`{key}` must be a str, got {type(item[key]).__name__}")
            if not item[key]:
                raise ValueError(f"`{key}` cannot be empty")
        return {"question": item["question"], "context": item["context"]}

    def preprocess(
        self, item: Any, doc_stride: int | None = None, max_seq_len: int | None = None
    ) -> list[dict[str, Any]]:
        example = self._example(item)
        if max_seq_len is None:
            max_seq_len = min(self.max_length, 384)
        if doc_stride is None:
            doc_stride = min(max_seq_len // 2, 128)
        if doc_stride > max_seq_len:
            raise ValueError(f"`doc_stride` ({doc_stride}) is larger than `max_seq_len` ({max_seq_len})")
        self._check_window(example, max_seq_len, doc_stride)
        question_first = self.tokenizer.padding_side == "right"
        first, second = (
            (example["question"], example["context"]) if question_first else (example["context"], example["question"])
        )
        enc = self.tokenizer(
            first,
            second,
            truncation="only_second" if question_first else "only_first",
            max_length=max_seq_len,
            stride=doc_stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        features = []
        cls_id = self.tokenizer.cls_token_id
        for span in range(len(enc["input_ids"])):
            ids = list(enc["input_ids"][span])
            seq_ids = enc.sequence_ids(span)
            p_mask = [int(s != 1) if question_first else 0 for s in seq_ids]
            if cls_id is not None:
                for i, t in enumerate(ids):
                    if t == cls_id:
                        p_mask[i] = 0
            features.append(
                {
                    "input_ids": ids,
                    "p_mask": p_mask,
                    "encoding": enc.encodings[span],
                    "sequence_index": 1 if question_first else 0,
                }
            )
        return features

    def _check_window(self, example: dict[str, str], max_seq_len: int, doc_stride: int) -> None:
        """A ValueError, before the tokenizer is asked, when a context that needs several windows cannot be
        windowed: no room for it beside the question, or a stride not under that room. (The tokenizers library
        panics on such a stride, and a Rust panic prints its backtrace to stderr.)"""
        tok = self.tokenizer
        question = len(tok(example["question"], add_special_tokens=False)["input_ids"])
        specials = tok.num_special_tokens_to_add(pair=True)
        room = max_seq_len - question - specials  # context tokens per window
        if doc_stride < room or len(tok(example["context"], add_special_tokens=False)["input_ids"]) <= room:
            return  # a stride the tokenizer takes, or a context that fits one window (never cut)
        if room < 1:
            raise ValueError(
                f"the question holds {question} tokens, which with {specials} special tokens leave no room for the "
                f"context within max_seq_len ({max_seq_len}); raise max_seq_len or shorten the question"
            )
        raise ValueError(
            f"`doc_stride` ({doc_stride}) must be under the {room} context tokens that a window of max_seq_len "
            f"({max_seq_len}) holds beside the question ({question} tokens) and {specials} special tokens"
        )

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return {"start_logits": out.start_logits, "end_logits": out.end_logits}

    @staticmethod
    def _indices(enc: Any, s: int, e: int, sequence_index: int, align_to_words: bool) -> tuple[int, int]:
        if align_to_words:
            try:
                start_word, end_word = enc.token_to_word(s), enc.token_to_word(e)
                return (
                    enc.word_to_chars(start_word, sequence_index=sequence_index)[0],
                    enc.word_to_chars(end_word, sequence_index=sequence_index)[1],
                )
            except Exception:  # special tokens have no word: fall back to token offsets
                pass
        return enc.offsets[s][0], enc.offsets[e][1]

    # Kept repeat: Pipeline.postprocess's hook (item, its features, their outputs), then this task's options.
    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        top_k: int = 1,
        handle_impossible_answer: bool = False,
        max_answer_len: int = 15,
        align_to_words: bool = True,
    ) -> Any:
        context = item["context"]
        min_null_score = 1000000.0
        answers: list[dict[str, Any]] = []
        pre_top_k = top_k * 2 + 10 if align_to_words else top_k
        for feature, output in zip(features, outputs):
            allowed = 1 - np.asarray(feature["p_mask"])
            masked = allowed == 0
            start = np.where(masked, -10000.0, output["start_logits"].numpy())
            end = np.where(masked, -10000.0, output["end_logits"].numpy())
            start, end = softmax(start), softmax(end)
            if handle_impossible_answer:
                min_null_score = min(min_null_score, float(start[0] * end[0]))
            start[0] = end[0] = 0.0
            starts, ends, scores = decode_spans(start, end, pre_top_k, max_answer_len, allowed)
            for s, e, score in zip(starts, ends, scores):
                a, b = self._indices(feature["encoding"], int(s), int(e), feature["sequence_index"], align_to_words)
                text = context[a:b]
                same = next((x for x in answers if x["answer"].lower() == text.lower()), None)
                if same is not None:
                    same["score"] += float(score)
                else:
                    answers.append({"score": float(score), "start": int(a), "end": int(b), "answer": text})
        if handle_impossible_answer:
            answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
        answers = sorted(answers, key=lambda x: x["score"], reverse=True)[:top_k]
        return answers[0] if len(answers) == 1 else answers

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Answer `question=` from `context=` (see the class docstring for the accepted input forms)."""
        question, context = kwargs.pop("question", None), kwargs.pop("context", None)
        if len(args) == 1 and is_stream(args[0]) and question is None and context is None:
            return self.stream(args[0], **kwargs)  # dicts (or SquadExample-like) one by one, as the reference
        if args:
            if question is not None or context is not None:
                raise TypeError("give the inputs either positionally or as question=/context=, not both")
            if len(args) == 2 and all(isinstance(a, str) for a in args):
                items = [{"question": args[0], "context": args[1]}]
            elif len(args) == 1:
                items = [args[0]] if isinstance(args[0], dict) else args[0]
                if not isinstance(items, (list, tuple)):
                    raise TypeError(f"question-answering inputs must be dicts, got {type(args[0]).__name__}")
                items = list(items)
            else:
                items = list(args)
        elif question is not None and context is not None:
            if isinstance(question, list) and isinstance(context, str):
                items = [{"question": q, "context": context} for q in question]
            elif isinstance(question, list) and isinstance(context, list):
                if len(question) != len(context):
                    raise ValueError("Questions and contexts don't have the same lengths")
                items = [{"question": q, "context": c} for q, c in zip(question, context)]
            elif isinstance(question, str) and isinstance(context, str):
                items = [{"question": question, "context": context}]
            else:
                raise ValueError("Arguments can't be understood: question and context must be str or lists of str")
        else:
            raise ValueError("question-answering needs question= and context= (or a dict / list of dicts)")
        items = [self._example(x) for x in items]
        return self._run(len(items) == 1, items, kwargs)

    def parse_line(self, text: str) -> Any:
        """A JSON object {"question": ..., "context": ...}, or "question<TAB>context"."""
        text = super().parse_line(text)
        if text.lstrip().startswith("{"):
            try:
                item = json.loads(text)
            except json.JSONDecodeError as e:
                raise ValueError(f"invalid JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(item, dict) or not {"question", "context"} <= set(item):
                raise ValueError('expected a JSON object with "question" and "context"')
        elif "\t" in text:
            question, context = text.split("\t", 1)
            item = {"question": question, "context": context}
        else:
            raise ValueError('expected a JSON object {"question": ..., "context": ...} or question<TAB>context')
        for key in ("question", "context"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise ValueError(f"empty or non-string {key}")
        return {"question": item["question"], "context": item["context"]}

    def render(self, result: Any) -> str:
        items = result if isinstance(result, list) else [result]
        return "\n".join(f"{r['answer']!r}\t{r['score']:.4f}\t{r['start']}-{r['end']}" for r in items)

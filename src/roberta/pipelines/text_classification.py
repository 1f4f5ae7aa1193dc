"""text-classification (alias sentiment-analysis), as the reference's `TextClassificationPipeline`."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch

from .base import Pipeline, is_stream, softmax, tokenizer_options
from .windows import CLASSIFY_AGGREGATES as CLASSIFY
from .windows import Window, check_fits, combine_logits, parse_window, split

_FUNCTIONS = ("sigmoid", "softmax", "none")
_UNSET = ""  # `top_k=None` means "all labels", so the reference uses "" for "not given"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class TextClassificationPipeline(Pipeline):
    """Sequence classification of texts or text pairs.

    Inputs: a string, a `{"text": ..., "text_pair": ...}` dict, or a list of those.

    Call options:
        top_k: number of labels to return, best first; `None` returns every label. Left out, each input gives
            one `{"label", "score"}` dict (and a single string input gives a list of one dict, as in the
            reference); given, each input gives a list of dicts.
        function_to_apply: "softmax", "sigmoid" or "none"; by default sigmoid for one label or
            multi-label problems, softmax otherwise, none for regression.
        return_all_scores: legacy; True is `top_k=None` in input order, False is the default.
        window: `(length, stride)` or `{"length", "stride", "aggregate": "mean" | "max" | "first"}`: a text
            longer than `length` tokens is read in overlapping windows and their logits combined (`windows.py`);
            a text that fits in one window gives the unwindowed answer. Single texts only, not pairs.
        truncation: True cuts an input longer than the model reads (`max_length`: another limit); by default
            such an input is an error naming its token count, the limit and the ways out (truncation=True,
            or window), never cut silently; the reference's model fails on it with an index error.
    """

    task = "text-classification"

    def _sanitize(
        self,
        top_k: Any = _UNSET,
        function_to_apply: str | None = None,
        return_all_scores: bool | None = None,
        window: Any = None,
        **tokenizer_kwargs: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        post: dict[str, Any] = {"window": parse_window(window, max_length=self.max_length, aggregates=CLASSIFY)}
        if top_k is None or (isinstance(top_k, int) and not isinstance(top_k, bool)):
            if top_k is not None and top_k < 1:
                raise ValueError(f"top_k must be an int >= 1 or None, got {top_k!r}")
            post["top_k"], post["legacy"] = top_k, False
        elif top_k != _UNSET:
            raise ValueError(f"top_k must be an int >= 1 or None, got {top_k!r}")
        elif return_all_scores is not None:
            post["top_k"] = None if return_all_scores else 1
        if function_to_apply is not None:
            name = getattr(function_to_apply, "value", function_to_apply)
            if not isinstance(name, str) or name.lower() not in _FUNCTIONS:
                raise ValueError(f"function_to_apply must be one of {_FUNCTIONS}, got {function_to_apply!r}")
            post["function_to_apply"] = name.lower()
        allowed = {"truncation", "max_length", "padding"}
        if set(tokenizer_kwargs) - allowed:
            raise TypeError(f"text-classification got unexpected option(s) {sorted(set(tokenizer_kwargs) - allowed)}")
        pre = tokenizer_options(None, tokenizer_kwargs, max_length=self.max_length)
        if post["window"] is not None:
            if pre.get("truncation"):
                raise ValueError("truncation=True and window exclude each other: a text is cut, or windowed")
            pre["window"] = post["window"]
        return pre, post

    def preprocess(self, item: Any, window: Window | None = None, **tokenizer_kwargs: Any) -> list[dict[str, Any]]:
        if window is not None and isinstance(item, dict) and item.get("text_pair") is not None:
            raise ValueError("window reads single texts in windows; a text pair is not windowed")
        if isinstance(item, dict):
            if "text" not in item or set(item) - {"text", "text_pair"}:
                raise ValueError(
                    f'a text pair must be a dict with keys "text" and optionally "text_pair", got keys {sorted(item)}'
                )
            text, pair = item["text"], item.get("text_pair")
            if not isinstance(text, str) or not (pair is None or isinstance(pair, str)):
                raise TypeError('"text" and "text_pair" must be strings')
            enc = self.tokenizer(text, pair, **tokenizer_kwargs)
        elif isinstance(item, str):
            enc = self.tokenizer(item, **tokenizer_kwargs)
        elif isinstance(item, (list, tuple)):
            raise ValueError(
                "The pipeline received invalid inputs, if you are trying to send text pairs, you can "
                'try to send a dictionary `{"text": "My text", "text_pair": "My pair"}` in order to '
                "send a text pair."
            )
        else:
            raise TypeError(f"text-classification inputs must be str or dict, got {type(item).__name__}")
        ids = list(enc["input_ids"])
        if window is not None:
            return [{"input_ids": w} for w in split(ids, window)]
        is_pair = isinstance(item, dict) and item.get("text_pair") is not None
        check_fits(len(ids), self.max_length, windows=not is_pair)  # a pair is not windowed
        return [{"input_ids": ids}]

    def _default_function(self) -> str:
        config = self.model.config
        problem = getattr(config, "problem_type", None)
        if problem == "regression":
            return "none"
        if problem == "multi_label_classification" or config.num_labels == 1:
            return "sigmoid"
        return "softmax"

    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        top_k: int | None = 1,
        legacy: bool = True,
        function_to_apply: str | None = None,
        window: Window | None = None,
    ) -> Any:
        logits = combine_logits([o["logits"] for o in outputs], window.aggregate if window else "first").numpy()
        fn = function_to_apply or self._default_function()
        scores = _sigmoid(logits) if fn == "sigmoid" else softmax(logits) if fn == "softmax" else logits
        id2label = self.model.config.id2label
        if top_k == 1 and legacy:
            return {"label": id2label[int(scores.argmax())], "score": float(scores.max())}
        result = [{"label": id2label[i], "score": float(s)} for i, s in enumerate(scores)]
        if not legacy:
            result.sort(key=lambda r: r["score"], reverse=True)
            if top_k is not None:
                result = result[:top_k]
        return result

    def __call__(self, inputs: str | dict | list, **kwargs: Any) -> Any:
        """Classify one input or a list of inputs (a generator or torch Dataset gives an iterator)."""
        if is_stream(inputs):
            return self.stream(inputs, **kwargs)
        if isinstance(inputs, dict):
            single, items = True, [inputs]
        else:
            single, items = self._split_inputs(inputs)
        result = self._run(single, items, kwargs)
        if isinstance(inputs, str) and "top_k" not in kwargs:
            return [result]  # the reference's legacy shape for one string
        return result

    def parse_line(self, text: str) -> Any:
        """The text, or a JSON object {"text": ..., "text_pair": ...} for a pair."""
        text = super().parse_line(text)
        if not text.lstrip().startswith("{"):
            return text
        try:
            item = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(item, dict) and "text" in item:
            if set(item) - {"text", "text_pair"} or not all(isinstance(v, str) for v in item.values()):
                raise ValueError('a text pair must be {"text": str, "text_pair": str}')
            return item
        return text

    def render(self, result: Any) -> str:
        items = result if isinstance(result, list) else [result]
        items = [x for r in items for x in (r if isinstance(r, list) else [r])]
        return "\n".join(f"{r['label']}\t{r['score']:.4f}" for r in items)

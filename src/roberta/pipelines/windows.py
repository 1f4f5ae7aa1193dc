"""Documents longer than the model, cut into overlapping windows that each fit, and the windows' answers put
back together: one option object (`Window`) for every pipeline and server route that takes `window`.

A window holds `length` tokens: `<s>`, up to `length - 2` of the document's own tokens, `</s>`. Consecutive
windows share `stride` of the document's tokens (the overlap, as the tokenizers' `stride` counts it), so each
starts `length - 2 - stride` tokens after the one before; the last may be shorter. A document that fits in
one window is that one window: its answer is exactly the unwindowed answer.

How the windows' answers combine is the `aggregate`:

* text classification: "mean" (the mean of the windows' logits), "max" (each label's largest logit), "first"
  (the first window's logits); the scores (softmax, sigmoid) are taken of the combined logits;
* embeddings: "mean" (the mean of the windows' pooled vectors, each weighted by its token count; the modules
  after the Pooling run on that mean), or "late" (late chunking: the windows are one pass over the whole
  document, each token's state taken from the window where it sits farthest from an edge; the document is
  then cut into one span per window, span i running from window i's first token to window i + 1's first
  token, `<s>` in the first span and `</s>` in the last, and each span is pooled on its own: one vector per
  span).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

CLASSIFY_AGGREGATES = ("mean", "max", "first")
EMBED_AGGREGATES = ("mean", "late")
TOKEN_AGGREGATES = ("farthest",)  # token-classification: each token's scores from the window farthest from an edge
QA_AGGREGATES = ("best",)  # question-answering: the best-scored answers over every window
SPECIALS = 2  # <s> and </s> around each window


@dataclass(frozen=True)
class Window:
    """Windows of `length` tokens (special tokens included) sharing `stride` document tokens, combined by
    `aggregate`."""

    length: int
    stride: int
    aggregate: str

    @property
    def room(self) -> int:
        """The document tokens one window holds."""
        return self.length - SPECIALS

    @property
    def step(self) -> int:
        """How many document tokens apart consecutive windows start."""
        return self.room - self.stride


def parse_window(value: Any, *, max_length: int, aggregates: tuple[str, ...]) -> Window | None:
    """The `window` option as a `Window` (None stays None): `(length, stride)`, `(length, stride,
    aggregate)`, or `{"length", "stride", "aggregate"}` (stride default 0, aggregate default
    `aggregates[0]`). ValueError naming what is wrong: a length over `max_length` (the model's usable
    positions), a stride not under the window's room for document tokens, an aggregate not in `aggregates`."""
    if value is None or isinstance(value, Window):
        return None if value is None else _checked(value, max_length, aggregates)
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"length", "stride", "aggregate"})
        if unknown or "length" not in value:
            raise ValueError(f'window must be {{"length": N, "stride": S, "aggregate": A}}, got keys {sorted(value)}')
        length, stride, aggregate = value["length"], value.get("stride", 0), value.get("aggregate")
    elif isinstance(value, (tuple, list)) and len(value) in (2, 3):
        length, stride, aggregate = (*value, None) if len(value) == 2 else value
    else:
        raise TypeError(f"window must be (length, stride), (length, stride, aggregate) or a dict, got {value!r}")
    return _checked(Window(length, stride, aggregates[0] if aggregate is None else aggregate), max_length, aggregates)


def _checked(window: Window, max_length: int, aggregates: tuple[str, ...]) -> Window:
    for name in ("length", "stride"):
        value = getattr(window, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"window {name} must be an int >= 0, got {value!r}")
    if not SPECIALS < window.length <= max_length:
        raise ValueError(
            f"window length must be between {SPECIALS + 1} and the model's {max_length} usable positions, "
            f"got {window.length}"
        )
    if window.stride >= window.room:
        raise ValueError(
            f"window stride ({window.stride}) must be under the {window.room} document tokens a window of "
            f"length {window.length} holds"
        )
    if window.aggregate not in aggregates:
        raise ValueError(f"window aggregate must be one of {aggregates}, got {window.aggregate!r}")
    return window


def starts(n_body: int, window: Window) -> list[int]:
    """Where each window starts among the document's `n_body` own tokens (a first window at 0, always)."""
    out = [0]
    while out[-1] + window.room < n_body:
        out.append(out[-1] + window.step)
    return out


def split(ids: list[int], window: Window) -> list[list[int]]:
    """The windows of `ids` (a tokenized input, `<s>` ... `</s>`): `[ids]` when it fits in one."""
    if len(ids) <= window.length:
        return [list(ids)]
    head, body, tail = ids[:1], ids[1:-1], ids[-1:]
    return [head + body[s : s + window.room] + tail for s in starts(len(body), window)]


class InputTooLong(ValueError):
    """An input longer than the model reads, given without truncation or a window: never cut silently.
    `tokens` is the input's token count, `limit` what the model reads in one pass."""

    def __init__(self, tokens: int, limit: int, *, windows: bool = True) -> None:
        ways = "pass truncation=True to cut it" + (
            ", or window=(length, stride) to read it in windows" if windows else ""
        )
        super().__init__(f"an input holds {tokens} tokens, more than the model's {limit}: {ways}")
        self.tokens, self.limit = tokens, limit


def check_fits(n: int, max_length: int, *, windows: bool = True) -> None:
    """InputTooLong for an input of `n` tokens that the model cannot read in one pass (no silent cut); its
    message names the way out, and `window` too where the task takes one (`windows`)."""
    if n > max_length:
        raise InputTooLong(n, max_length, windows=windows)


def combine_logits(logits: list[torch.Tensor], aggregate: str) -> torch.Tensor:
    """One input's logits from its windows' (each (labels,)), by `aggregate` (CLASSIFY_AGGREGATES)."""
    if aggregate == "first" or len(logits) == 1:
        return logits[0]
    stacked = torch.stack(logits)
    return stacked.max(dim=0).values if aggregate == "max" else stacked.mean(dim=0)


def weighted_mean(vectors: list[torch.Tensor], weights: list[int]) -> torch.Tensor:
    """The mean of the windows' pooled `vectors`, each weighted by its window's token count."""
    if len(vectors) == 1:
        return vectors[0]
    w = torch.tensor(weights, dtype=vectors[0].dtype).unsqueeze(-1)
    return (torch.stack(vectors) * w).sum(dim=0) / w.sum()


def document_states(window: Window, hidden: list[torch.Tensor]) -> torch.Tensor:
    """(document tokens, width): the document's token states from one windowed pass, each document token's
    from the window where it sits farthest from an edge (the earlier window on a tie); `<s>` from the first
    window, `</s>` from the last. `hidden[i]` is window i's states (`split`'s window i, `<s>` and `</s>` in)."""
    if len(hidden) == 1:
        return hidden[0]
    sizes = [len(h) - SPECIALS for h in hidden]  # document tokens per window
    rows = [hidden[0][0]]
    for j in range(window.step * (len(hidden) - 1) + sizes[-1]):
        best, best_margin = 0, -1
        for w in range(max(0, (j - window.room) // window.step), min(len(hidden), j // window.step + 1)):
            at = j - w * window.step
            if 0 <= at < sizes[w] and min(at, sizes[w] - 1 - at) > best_margin:
                best, best_margin = w, min(at, sizes[w] - 1 - at)
        rows.append(hidden[best][1 + j - best * window.step])
    rows.append(hidden[-1][-1])
    return torch.stack(rows)


def spans(window: Window, n_windows: int, n_tokens: int) -> list[tuple[int, int]]:
    """(start, end) in the document's token states (`document_states`) of each late-chunking span: one per
    window, span i from window i's first document token to window i + 1's, `<s>` in the first, `</s>` in
    the last."""
    bounds = [0] + [1 + i * window.step for i in range(1, n_windows)] + [n_tokens]
    return list(zip(bounds[:-1], bounds[1:]))

"""Bounds on the work `POST /`'s pipeline parameters may ask for, checked before any tokenization or compute.

Inputs are bounded elsewhere (--payload-limit, --max-client-batch, the token limits); these bound the options
that size an answer or a loop over candidates: a `top_k` of 10**8 on twelve masks would otherwise build
600,000 answers after the model has run. Values past a bound answer 422 ("invalid_request") naming the
parameter and the bound (docs/reliability.md lists them). Values of the wrong type are left to the pipeline,
which refuses them with its own message.
"""

from __future__ import annotations

from typing import Any

from .errors import ServeError

TOP_K = 100  # answers per mask (fill-mask) or per question (question-answering)
LIST_ITEMS = 1000  # entries of a list option: fill-mask `targets`, token-classification `ignore_labels`
PREDICTIONS = 10_000  # fill-mask answers in one request: masks x top_k, summed over its inputs
TOKENIZER_OPTIONS = ("max_length", "truncation")  # what `tokenizer_kwargs` / `tokenize_kwargs` may set here
FILL_MASK_TOP_K = 5  # the pipeline's default


def check_parameters(task: str, parameters: dict[str, Any], max_tokens: int) -> None:
    """Refuse (422) a parameter of `task` past its bound; `max_tokens` is the model's input limit, which
    bounds every option counted in tokens."""
    if task == "fill-mask":
        _at_most(parameters, "top_k", TOP_K)
        _few(parameters, "targets")
        _tokenizer_options(parameters, "tokenizer_kwargs", max_tokens)
    elif task == "question-answering":
        for name in ("top_k", "topk"):
            _at_most(parameters, name, TOP_K)
        for name in ("max_answer_len", "max_seq_len", "doc_stride", "max_question_len"):
            _at_most(parameters, name, max_tokens)
    elif task == "token-classification":
        _few(parameters, "ignore_labels")
    elif task in ("feature-extraction", "sentence-embedding"):
        _tokenizer_options(parameters, "tokenize_kwargs", max_tokens)
    _window(parameters, max_tokens)


def _window(parameters: dict[str, Any], max_tokens: int) -> None:
    """A `window` parameter's length within the server's input limit (each window is one input of the
    queue, counted against the request's token limits like any other)."""
    window = parameters.get("window")
    length = window.get("length") if isinstance(window, dict) else window[0] if isinstance(window, list) else None
    if isinstance(length, int) and not isinstance(length, bool) and length > max_tokens:
        raise ServeError(
            "invalid_request",
            f"parameter 'window' may be at most {max_tokens} tokens long on this server, got {length}",
        )


def fill_mask_predictions(parameters: dict[str, Any], masks: int) -> None:
    """Refuse (422) a fill-mask request whose `masks` (over all its inputs) would give more than PREDICTIONS
    answers at its `top_k` (at most the number of `targets`, when given)."""
    top_k = parameters.get("top_k")
    top_k = top_k if isinstance(top_k, int) and top_k > 0 else FILL_MASK_TOP_K  # the pipeline checked its type
    targets = parameters.get("targets")
    if isinstance(targets, (str, list)):
        top_k = min(top_k, 1 if isinstance(targets, str) else len(set(map(str, targets))))
    if masks * top_k > PREDICTIONS:
        raise ServeError(
            "invalid_request",
            f"fill-mask: {masks} masks x top_k {top_k} is {masks * top_k} answers; this server gives at most "
            f"{PREDICTIONS} per request (send fewer masks or a smaller top_k)",
        )


def _at_most(parameters: dict[str, Any], name: str, bound: int) -> None:
    value = parameters.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value > bound:
        raise ServeError("invalid_request", f"parameter {name!r} may be at most {bound} on this server, got {value}")


def _few(parameters: dict[str, Any], name: str) -> None:
    value = parameters.get(name)
    if isinstance(value, list) and len(value) > LIST_ITEMS:
        raise ServeError(
            "invalid_request", f"parameter {name!r} may hold at most {LIST_ITEMS} entries, got {len(value)}"
        )


def _tokenizer_options(parameters: dict[str, Any], name: str, max_tokens: int) -> None:
    options = parameters.get(name)
    if not isinstance(options, dict):
        return
    unknown = sorted(set(options) - set(TOKENIZER_OPTIONS))
    if unknown:
        raise ServeError(
            "invalid_request", f"parameter {name!r} may set only {list(TOKENIZER_OPTIONS)} here, got {unknown}"
        )
    _at_most(options, "max_length", max_tokens)

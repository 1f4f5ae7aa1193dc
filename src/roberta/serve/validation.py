"""Request bodies -> typed requests, or a `ServeError` naming the field that is wrong.

Statuses: a body that is not a JSON object is 400 ("invalid_json"); a field of the wrong type or value, an
unknown field or an empty input list is 422 ("invalid_request"); more inputs than --max-client-batch is 413
("validation", as TEI answers). Shapes follow TEI for its routes, OpenAI for /v1/embeddings and the Hugging
Face Inference API for `POST /`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .errors import ServeError

SIDES = ("right", "left")
ENCODING_FORMATS = ("float", "base64")


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise ServeError("invalid_json", f"the body is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise ServeError("invalid_json", f"the body must be a JSON object, got a JSON {type(value).__name__}")
    return value


class _Fields:
    """Typed access to a body's fields; unknown fields are an error that lists the known ones."""

    def __init__(self, body: dict[str, Any], route: str, known: tuple[str, ...]) -> None:
        unknown = sorted(set(body) - set(known) - {"model"})
        if unknown:
            raise ServeError("invalid_request", f"{route} got unknown field(s) {unknown}; it takes {sorted(known)}")
        self.body, self.route = body, route

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        if name not in self.body or self.body[name] is None:
            if required:
                raise ServeError("invalid_request", f"{self.route} needs the field {name!r}")
            return default
        value = self.body[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
            want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise ServeError("invalid_request", f"field {name!r} must be a {want}, got {_json_type(value)}")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(name, str, default)
        if value.lower() not in choices:
            raise ServeError("invalid_request", f"field {name!r} must be one of {list(choices)}, got {value!r}")
        return value.lower()

    def model(self) -> str | None:
        return self.get("model", str)


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _texts(value: Any, name: str, max_batch: int) -> tuple[list[str], bool]:
    """A string or a non-empty list of strings -> (texts, was_single)."""
    if isinstance(value, str):
        return [value], True
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ServeError("invalid_request", f"field {name!r} must be a string or an array of strings")
    _check_count(len(value), name, max_batch)
    return list(value), False


def _check_count(n: int, name: str, max_batch: int) -> None:
    if n == 0:
        raise ServeError("invalid_request", f"field {name!r} is an empty array")
    if n > max_batch:
        raise ServeError(
            "validation", f"{n} inputs in one request; the server takes at most {max_batch} (--max-client-batch)"
        )


@dataclass(frozen=True)
class EmbedRequest:
    """`/embed` (pooled) and `/embed_all` (per token)."""

    inputs: list[str]
    normalize: bool
    truncate: bool | None  # None: the server's --auto-truncate
    side: str
    model: str | None


def embed_request(body: dict[str, Any], route: str, max_batch: int) -> EmbedRequest:
    known = ("inputs", "normalize", "truncate", "truncation_direction")
    f = _Fields(body, route, known if route == "/embed" else tuple(k for k in known if k != "normalize"))
    texts, _ = _texts(f.get("inputs", (str, list), required=True), "inputs", max_batch)
    return EmbedRequest(
        texts,
        f.get("normalize", bool, True),
        f.get("truncate", bool),
        f.choice("truncation_direction", SIDES, "right"),
        f.model(),
    )


@dataclass(frozen=True)
class PredictRequest:
    """`/predict`: texts or (text, pair) tuples; `single` answers one list of predictions instead of a list
    per input."""

    inputs: list[tuple[str, str | None]]
    single: bool
    truncate: bool | None
    side: str
    raw_scores: bool
    model: str | None


def predict_request(body: dict[str, Any], max_batch: int) -> PredictRequest:
    f = _Fields(body, "/predict", ("inputs", "truncate", "truncation_direction", "raw_scores"))
    value = f.get("inputs", (str, list), required=True)
    # TEI's shapes: "text" | ["text", "pair"] | [["text"], ["text", "pair"], ...]. As in TEI's router, an
    # array that starts with a string is one input (a text, or a text and its pair), never a batch.
    if isinstance(value, str):
        inputs, single = [(value, None)], True
    elif value and all(isinstance(v, str) for v in value):
        if len(value) > 2:
            raise ServeError(
                "invalid_request",
                f'field "inputs" holds {len(value)} strings, but an array of strings is one input: a text ["a"] '
                'or a pair ["text", "pair"]; a batch is an array of arrays, [["a"], ["b"], ["c"]] (as in TEI)',
            )
        inputs, single = [(value[0], value[1] if len(value) == 2 else None)], True
    else:
        _check_count(len(value), "inputs", max_batch)
        inputs, single = [], False
        for item in value:
            if not isinstance(item, list) or not 1 <= len(item) <= 2 or not all(isinstance(t, str) for t in item):
                raise ServeError(
                    "invalid_request", 'each input of a batch must be ["text"] or ["text", "pair"] (strings)'
                )
            inputs.append((item[0], item[1] if len(item) == 2 else None))
    return PredictRequest(
        inputs,
        single,
        f.get("truncate", bool),
        f.choice("truncation_direction", SIDES, "right"),
        f.get("raw_scores", bool, False),
        f.model(),
    )


@dataclass(frozen=True)
class RerankRequest:
    query: str
    texts: list[str]
    truncate: bool | None
    side: str
    raw_scores: bool
    return_text: bool
    model: str | None


def rerank_request(body: dict[str, Any], max_batch: int) -> RerankRequest:
    f = _Fields(body, "/rerank", ("query", "texts", "truncate", "truncation_direction", "raw_scores", "return_text"))
    query = f.get("query", str, required=True)
    texts = f.get("texts", list, required=True)
    if not all(isinstance(t, str) for t in texts):
        raise ServeError("invalid_request", "field 'texts' must be an array of strings")
    _check_count(len(texts), "texts", max_batch)
    return RerankRequest(
        query,
        list(texts),
        f.get("truncate", bool),
        f.choice("truncation_direction", SIDES, "right"),
        f.get("raw_scores", bool, False),
        f.get("return_text", bool, False),
        f.model(),
    )


@dataclass(frozen=True)
class TokenizeRequest:
    inputs: list[str]
    add_special_tokens: bool
    model: str | None


def tokenize_request(body: dict[str, Any], max_batch: int) -> TokenizeRequest:
    f = _Fields(body, "/tokenize", ("inputs", "add_special_tokens"))
    texts, _ = _texts(f.get("inputs", (str, list), required=True), "inputs", max_batch)
    return TokenizeRequest(texts, f.get("add_special_tokens", bool, True), f.model())


@dataclass(frozen=True)
class DecodeRequest:
    ids: list[list[int]]
    skip_special_tokens: bool
    model: str | None


def decode_request(body: dict[str, Any], max_batch: int) -> DecodeRequest:
    f = _Fields(body, "/decode", ("ids", "skip_special_tokens"))
    ids = f.get("ids", list, required=True)
    rows = ids if ids and all(isinstance(r, list) for r in ids) else [ids]
    _check_count(len(rows), "ids", max_batch)
    for row in rows:
        _check_ids(row, "ids")
    return DecodeRequest(rows, f.get("skip_special_tokens", bool, True), f.model())


def _check_ids(row: Any, name: str) -> None:
    if not isinstance(row, list) or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in row):
        raise ServeError("invalid_request", f"field {name!r} must hold arrays of token ids (integers >= 0)")


@dataclass(frozen=True)
class OpenAIEmbeddingRequest:
    """`/v1/embeddings`: each input a string or a list of token ids (used as given)."""

    inputs: list[str | list[int]]
    encoding_format: str
    dimensions: int | None
    model: str | None


def openai_embedding_request(body: dict[str, Any], max_batch: int) -> OpenAIEmbeddingRequest:
    f = _Fields(body, "/v1/embeddings", ("input", "encoding_format", "dimensions", "user"))
    value = f.get("input", (str, list), required=True)
    if isinstance(value, str):
        inputs: list[Any] = [value]
    elif value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        inputs = [value]  # one input given as token ids
    else:
        _check_count(len(value), "input", max_batch)
        for v in value:
            if not isinstance(v, str):
                _check_ids(v, "input")
                if not v:
                    raise ServeError("invalid_request", "an input given as token ids is empty")
        inputs = list(value)
    f.get("user", str)
    dimensions = f.get("dimensions", int)
    return OpenAIEmbeddingRequest(inputs, f.choice("encoding_format", ENCODING_FORMATS, "float"), dimensions, f.model())


@dataclass(frozen=True)
class PipelineRequest:
    """`POST /` (Hugging Face Inference API): `inputs` as the pipeline takes them, `parameters` its options."""

    inputs: Any
    parameters: dict[str, Any]
    model: str | None


def pipeline_request(body: dict[str, Any], max_batch: int) -> PipelineRequest:
    f = _Fields(body, "POST /", ("inputs", "parameters", "options"))
    if "inputs" not in body:
        raise ServeError("invalid_request", "POST / needs the field 'inputs'")
    inputs = body["inputs"]
    if isinstance(inputs, list):
        _check_count(len(inputs), "inputs", max_batch)
    parameters = f.get("parameters", dict, {})
    f.get("options", dict)  # the hosted API's wait_for_model / use_cache: nothing to do here
    return PipelineRequest(inputs, dict(parameters), f.model())

"""The body of each inference route, declared once (see `schema.py`): its fields, their shapes, defaults and
docs. The parser (`schema.parse_request`) and the OpenAPI description (`openapi.py`) both read these.

Shapes follow TEI for its routes, OpenAI for /v1/embeddings and the Hugging Face Inference API for `POST /`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..pipelines.quantize import PRECISIONS
from ..pipelines.windows import CLASSIFY_AGGREGATES, EMBED_AGGREGATES
from .schema import Anything, Choice, Scalar, Shape, Texts, batch_schema, check_count, invalid, is_int, spec

SIDES = ("right", "left")
_IDS = {"type": "array", "items": {"type": "integer", "minimum": 0}}  # one input as token ids


def _check_ids(row: Any, name: str) -> None:
    if not isinstance(row, list) or not all(is_int(i) and i >= 0 for i in row):
        raise invalid(f"field {name!r} must hold arrays of token ids (integers >= 0)")


class PredictInputs(NamedTuple):
    """/predict's inputs: (text, pair or None) each; `single` answers one list of predictions, not a list of
    them per input."""

    pairs: list[tuple[str, str | None]]
    single: bool


class _PredictInputs(Shape):
    """TEI's "text" | ["text"] | ["text", "pair"] | [["text"], ["text", "pair"], ...]. As in TEI's router, an
    array that starts with a string is one input (a text, or a text and its pair), never a batch."""

    what = 'a text, ["text", "pair"], or a batch [["text"], ["text", "pair"], ...]'
    _ONE = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2}

    def parse(self, value: Any, name: str, max_batch: int) -> PredictInputs:
        if isinstance(value, str):
            return PredictInputs([(value, None)], True)
        if not isinstance(value, list):
            raise self.wrong(name, value)
        if value and all(isinstance(v, str) for v in value):
            if len(value) > 2:
                raise invalid(
                    f"field {name!r} holds {len(value)} strings, but an array of strings is one input: a text "
                    '["a"] or a pair ["text", "pair"]; a batch is an array of arrays, [["a"], ["b"], ["c"]] (as in TEI)'
                )
            return PredictInputs([(value[0], value[1] if len(value) == 2 else None)], True)
        check_count(len(value), name, max_batch)
        pairs = []
        for item in value:
            if not isinstance(item, list) or not 1 <= len(item) <= 2 or not all(isinstance(t, str) for t in item):
                raise invalid('each input of a batch must be ["text"] or ["text", "pair"] (strings)')
            pairs.append((item[0], item[1] if len(item) == 2 else None))
        return PredictInputs(pairs, False)

    def schema(self, max_batch: int) -> dict[str, Any]:
        return {"oneOf": [{"type": "string"}, self._ONE, batch_schema(self._ONE, max_batch)]}


class _TokenIds(Shape):
    """/decode's ids: one array of token ids, or an array of them (at most `max_batch`); held as rows."""

    what = "an array of token ids, or an array of such arrays"

    def parse(self, value: Any, name: str, max_batch: int) -> list[list[int]]:
        if not isinstance(value, list):
            raise self.wrong(name, value)
        rows = value if value and all(isinstance(r, list) for r in value) else [value]
        check_count(len(rows), name, max_batch)
        for row in rows:
            _check_ids(row, name)
        return rows

    def schema(self, max_batch: int) -> dict[str, Any]:
        return {"oneOf": [_IDS, batch_schema(_IDS, max_batch)]}


class _EmbeddingInputs(Shape):
    """OpenAI's input: a text, token ids, or an array (at most `max_batch`) of texts and token-id arrays;
    held as a list of inputs, each a text or a non-empty list of ids (used as given)."""

    what = "a string, an array of token ids, or an array of those"
    _ONE_IDS = {**_IDS, "minItems": 1}

    def parse(self, value: Any, name: str, max_batch: int) -> list[str | list[int]]:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise self.wrong(name, value)
        if value and all(is_int(v) for v in value):  # one input given as token ids
            _check_ids(value, name)
            return [value]
        check_count(len(value), name, max_batch)
        for v in value:
            if not isinstance(v, str):
                _check_ids(v, name)
                if not v:
                    raise invalid("an input given as token ids is empty")
        return list(value)

    def schema(self, max_batch: int) -> dict[str, Any]:
        one = {"oneOf": [{"type": "string"}, self._ONE_IDS]}
        return {"oneOf": [{"type": "string"}, self._ONE_IDS, batch_schema(one, max_batch)]}


class _Window(Shape):
    """A `window` object, `{"length": N, "stride": S, "aggregate": A}` (stride and aggregate optional), held
    as a dict; its bounds (the model's input limit, the route's aggregates) are checked by the handler."""

    what = 'an object {"length": N, "stride": S, "aggregate": A}'
    _KEYS = {"length": {"type": "integer", "minimum": 3}, "stride": {"type": "integer", "minimum": 0}}

    def parse(self, value: Any, name: str, max_batch: int) -> dict[str, Any]:
        if not isinstance(value, dict) or "length" not in value or set(value) - {*self._KEYS, "aggregate"}:
            raise self.wrong(name, value)
        if not all(is_int(value.get(k, 0)) for k in self._KEYS) or not isinstance(value.get("aggregate", ""), str):
            raise invalid(f"field {name!r}: length and stride must be integers, aggregate a string")
        return dict(value)

    def schema(self, max_batch: int) -> dict[str, Any]:
        aggregate = {"type": "string", "enum": sorted({*CLASSIFY_AGGREGATES, *EMBED_AGGREGATES})}
        return {
            "type": "object",
            "required": ["length"],
            "properties": {**self._KEYS, "aggregate": aggregate},
            "additionalProperties": False,
        }


def window_spec(aggregates: tuple[str, ...]) -> Any:
    """The `window` field of a route whose windows combine by one of `aggregates` (the first by default)."""
    doc = f"read long inputs in windows of length tokens sharing stride; aggregate: one of {list(aggregates)}"
    return spec(doc, None, shape=_Window())


@dataclass(frozen=True, kw_only=True)
class Request:
    """What every request body may name: the model (else the path's, on /models/NAME, else the first)."""

    model: str | None = spec("a served model's name (default: the path's on /models/NAME, else the first)", None)


@dataclass(frozen=True, kw_only=True)
class _Truncated(Request):
    truncate: bool | None = spec("cut inputs to the model's limit (default: --auto-truncate)", None)
    truncation_direction: str = spec("the end a cut input loses", "right", shape=Choice(SIDES, capitalized=True))


@dataclass(frozen=True, kw_only=True)
class EmbedAllRequest(_Truncated):
    """`/embed_all` (every token's last hidden state)."""

    inputs: list[str] = spec("a text or an array of texts", shape=Texts())


@dataclass(frozen=True, kw_only=True)
class EmbedRequest(EmbedAllRequest):
    """`/embed` (one pooled vector per input)."""

    normalize: bool = spec("L2-normalise each vector", True)
    truncate_dim: int | None = spec(
        "keep the first N dimensions (Matryoshka)", None, shape=Scalar("integer", minimum=1)
    )
    prompt_name: str | None = spec("one of a sentence-transformers folder's prompts", None)
    prompt: str | None = spec("a text put before each input (wins over prompt_name)", None)
    precision: str = spec("float32, or quantized as sentence-transformers does", "float32", shape=Choice(PRECISIONS))
    window: dict[str, Any] | None = window_spec(EMBED_AGGREGATES)


@dataclass(frozen=True, kw_only=True)
class PredictRequest(_Truncated):
    """`/predict`: texts or (text, pair) tuples."""

    inputs: PredictInputs = spec('a text, a pair ["text", "pair"], or a batch of those', shape=_PredictInputs())
    raw_scores: bool = spec("the logits instead of probabilities", False)
    window: dict[str, Any] | None = window_spec(CLASSIFY_AGGREGATES)


@dataclass(frozen=True, kw_only=True)
class RerankRequest(_Truncated):
    """`/rerank`: texts scored with a query."""

    query: str = spec("the query each text is scored with")
    texts: list[str] = spec("the texts to rank", shape=Texts(single=False))
    raw_scores: bool = spec("the logits instead of the cross-encoder's activation (default: sigmoid)", False)
    return_text: bool = spec("give each text back with its score", False)


@dataclass(frozen=True, kw_only=True)
class TokenizeRequest(Request):
    """`/tokenize`."""

    inputs: list[str] = spec("a text or an array of texts", shape=Texts())
    add_special_tokens: bool = spec("add <s> and </s>", True)


@dataclass(frozen=True, kw_only=True)
class DecodeRequest(Request):
    """`/decode`."""

    ids: list[list[int]] = spec("token ids, or an array of token-id arrays", shape=_TokenIds())
    skip_special_tokens: bool = spec("leave special tokens out of the text", True)


@dataclass(frozen=True, kw_only=True)
class OpenAIEmbeddingRequest(Request):
    """`/v1/embeddings`: each input a string or a list of token ids (used as given)."""

    input: list[str | list[int]] = spec("a text, token ids, or an array of those", shape=_EmbeddingInputs())
    encoding_format: str = spec("float lists, or base64 float32", "float", shape=Choice(("float", "base64")))
    dimensions: int | None = spec(
        "keep the first N dimensions (Matryoshka), then L2-normalise", None, shape=Scalar("integer", minimum=1)
    )
    window: dict[str, Any] | None = window_spec(EMBED_AGGREGATES[:1])
    truncate: bool | None = spec("cut inputs to the model's limit (default: --auto-truncate)", None)
    user: str | None = spec("accepted and ignored (OpenAI's end-user id)", None)


@dataclass(frozen=True, kw_only=True)
class PipelineRequest(Request):
    """`POST /` (Hugging Face Inference API): `inputs` as the pipeline takes them, `parameters` its options."""

    inputs: Any = spec("what the model's pipeline takes (a text, a list, a {question, context} ...)", shape=Anything())
    parameters: dict[str, Any] = spec('the pipeline\'s call options, e.g. {"top_k": 3}', {})
    options: dict[str, Any] | None = spec("accepted and ignored (the hosted API's wait_for_model, ...)", None)

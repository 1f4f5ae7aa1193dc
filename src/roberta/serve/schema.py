"""Request types declared once, and both their parser and their JSON Schema read off that one declaration.

A request type is a frozen dataclass (see `request_types.py`) whose fields are made by `spec`: each field is
a body field of the same name, with its doc, its default (none: the field is required) and its *shape*, the
form of the JSON values it takes. A shape does two things from one description: `parse` turns a JSON value into
what the request holds or raises a `ServeError` naming the field, and `schema` is the JSON Schema (2020-12, the
dialect of OpenAPI 3.1) of exactly the values `parse` accepts. A field whose annotation is `bool`, `str`, `int`
or `dict` (or one of those `| None`) needs no shape: it is read off the annotation.

`parse_request(cls, body, route, max_batch)` and `request_schema(cls, max_batch)` walk the same fields.
`max_batch` is --max-client-batch, the most inputs an array of inputs may hold.

Statuses: a body that is not a JSON object is 400 ("invalid_json"); a field of the wrong type or value, an
unknown field, a missing one or an empty input array is 422 ("invalid_request"); more inputs than
`max_batch` is 413 ("validation", as TEI answers). A field sent as `null` is a field not sent.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any

import orjson

from .errors import ServeError

_JSON_TYPES = {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}
NOT_NULL = ["string", "number", "boolean", "array", "object"]  # every JSON type but null


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise ServeError("invalid_json", f"the body is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise ServeError("invalid_json", f"the body must be a JSON object, got a JSON {type(value).__name__}")
    return value


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type ("boolean", "number", ...), for error messages."""
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def is_int(value: Any) -> bool:
    """A JSON integer (Python's bool is an int, JSON's true is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def invalid(message: str) -> ServeError:
    return ServeError("invalid_request", message)


def check_count(n: int, name: str, max_batch: int) -> None:
    """An array of `n` inputs: not empty (422), at most `max_batch` (413, TEI's status)."""
    if n == 0:
        raise invalid(f"field {name!r} is an empty array")
    if n > max_batch:
        raise ServeError(
            "validation", f"{n} inputs in one request; the server takes at most {max_batch} (--max-client-batch)"
        )


def batch_schema(items: dict[str, Any], max_batch: int) -> dict[str, Any]:
    """The JSON Schema of an array of inputs, each of schema `items` (what `check_count` lets through)."""
    return {"type": "array", "items": items, "minItems": 1, "maxItems": max_batch}


class Shape:
    """The form of one field's JSON values (see the module docstring). `what` names it in error messages."""

    what = "a JSON value"

    def parse(self, value: Any, name: str, max_batch: int) -> Any:
        raise NotImplementedError

    def schema(self, max_batch: int) -> dict[str, Any]:
        raise NotImplementedError

    def wrong(self, name: str, value: Any) -> ServeError:
        return invalid(f"field {name!r} must be {self.what}, got {json_type(value)}")


@dataclass(frozen=True)
class Scalar(Shape):
    """A JSON boolean, string, integer (`minimum`: its least value) or object, held as it came."""

    type: str
    minimum: int | None = None

    @property
    def what(self) -> str:  # type: ignore[override]
        return {"integer": "an integer", "object": "an object"}.get(self.type, f"a {self.type}")

    def parse(self, value: Any, name: str, max_batch: int) -> Any:
        checks = {"boolean": bool, "string": str, "object": dict}
        ok = is_int(value) if self.type == "integer" else isinstance(value, checks[self.type])
        if not ok:
            raise self.wrong(name, value)
        if self.minimum is not None and value < self.minimum:
            raise invalid(f"field {name!r} must be at least {self.minimum}, got {value}")
        return value

    def schema(self, max_batch: int) -> dict[str, Any]:
        return {"type": self.type, **({} if self.minimum is None else {"minimum": self.minimum})}


BOOLEAN, STRING, INTEGER, OBJECT = Scalar("boolean"), Scalar("string"), Scalar("integer"), Scalar("object")
_ANNOTATED = {bool: BOOLEAN, str: STRING, int: INTEGER, dict: OBJECT}


@dataclass(frozen=True)
class Choice(Shape):
    """One of `values` (held in lower case); `capitalized` also takes "Left" for "left" (TEI's and Hugging
    Face's clients spell enums so)."""

    values: tuple[str, ...]
    capitalized: bool = False

    @property
    def spellings(self) -> list[str]:
        return list(self.values) + ([v.capitalize() for v in self.values] if self.capitalized else [])

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"one of {self.spellings}"

    def parse(self, value: Any, name: str, max_batch: int) -> str:
        if value not in self.spellings:
            shown = repr(value) if isinstance(value, str) else f"a {json_type(value)}"
            raise invalid(f"field {name!r} must be {self.what}, got {shown}")
        return value.lower()

    def schema(self, max_batch: int) -> dict[str, Any]:
        return {"type": "string", "enum": self.spellings}


@dataclass(frozen=True)
class Texts(Shape):
    """An array of texts (at most `max_batch`), or with `single` also one text: held as a list of texts."""

    single: bool = True

    @property
    def what(self) -> str:  # type: ignore[override]
        return "a string or an array of strings" if self.single else "an array of strings"

    def parse(self, value: Any, name: str, max_batch: int) -> list[str]:
        if self.single and isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise self.wrong(name, value)
        for i, text in enumerate(value):
            if not isinstance(text, str):
                raise invalid(f"field {name!r} must be {self.what}; item {i} is a {json_type(text)}")
        check_count(len(value), name, max_batch)
        return list(value)

    def schema(self, max_batch: int) -> dict[str, Any]:
        batch = batch_schema({"type": "string"}, max_batch)
        return {"oneOf": [{"type": "string"}, batch]} if self.single else batch


@dataclass(frozen=True)
class Anything(Shape):
    """Any JSON value but null, held as it came; an array holds inputs (at most `max_batch`)."""

    def parse(self, value: Any, name: str, max_batch: int) -> Any:
        if isinstance(value, list):
            check_count(len(value), name, max_batch)
        return value

    def schema(self, max_batch: int) -> dict[str, Any]:
        return {"type": NOT_NULL, "minItems": 1, "maxItems": max_batch}  # the bounds apply to arrays only


@dataclass(frozen=True)
class Spec:
    """A request field's doc and shape (the dataclass field holds its name and default)."""

    doc: str
    shape: Shape | None


def spec(doc: str, default: Any = dataclasses.MISSING, *, shape: Shape | None = None) -> Any:
    """A request type's field: `doc`, `default` (none: required) and `shape` (none: from the annotation)."""
    meta = {"spec": Spec(doc, shape)}
    if isinstance(default, (dict, list)):  # a fresh copy for each request
        return dataclasses.field(default_factory=functools.partial(type(default), default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class BodyField:
    """One field of a request type, as the parser and the schema read it."""

    name: str
    doc: str
    shape: Shape
    required: bool
    default: Any  # dataclasses.MISSING when required, or made by a default_factory


@functools.cache
def body_fields(cls: type) -> tuple[BodyField, ...]:
    """The fields of request type `cls`, in declaration order (those of its bases first)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        declared: Spec = f.metadata["spec"]
        shape = declared.shape or _shape_of(hints[f.name], f"{cls.__name__}.{f.name}")
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        out.append(BodyField(f.name, declared.doc, shape, required, default))
    return tuple(out)


def _shape_of(hint: Any, where: str) -> Shape:
    """The shape of a plain annotation: bool, str, int or dict, optionally `| None`."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    kinds = [k for k in typing.get_args(hint) if k is not type(None)] if union else [hint]
    kind = typing.get_origin(kinds[0]) or kinds[0]
    if len(kinds) != 1 or kind not in _ANNOTATED:
        raise TypeError(f"{where}: annotated {hint}; give its spec(shape=...)")
    return _ANNOTATED[kind]


def parse_request(cls: type, body: dict[str, Any], route: str, max_batch: int) -> Any:
    """The body of a request to `route` as a `cls`, each field parsed by its shape; a `ServeError` naming
    the first field that is wrong (unknown, missing, or not of its shape)."""
    fields = body_fields(cls)
    known = sorted(f.name for f in fields)
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise invalid(f"POST {route} got unknown field(s) {unknown}; it takes {known}")
    values = {}
    for f in fields:
        value = body.get(f.name)
        if value is None:
            if f.required:
                raise invalid(f"POST {route} needs the field {f.name!r}")
            continue
        values[f.name] = f.shape.parse(value, f.name, max_batch)
    return cls(**values)


def request_schema(cls: type, max_batch: int) -> dict[str, Any]:
    """The JSON Schema of the bodies `parse_request(cls, ...)` accepts (optional fields may be null)."""
    properties = {}
    for f in body_fields(cls):
        schema = f.shape.schema(max_batch)
        if not f.required:  # null is "not sent"
            plain = set(schema) == {"type"} and isinstance(schema["type"], str)
            schema = {"type": [schema["type"], "null"]} if plain else {"anyOf": [schema, {"type": "null"}]}
        if f.default is not dataclasses.MISSING and f.default is not None:
            schema["default"] = f.default
        properties[f.name] = {**schema, "description": f.doc}
    return {
        "type": "object",
        "required": [f.name for f in body_fields(cls) if f.required],
        "properties": properties,
        "additionalProperties": False,
    }

"""The OpenAPI 3 description served at `/docs` (and `/openapi.json`), built from the route table."""

from __future__ import annotations

from typing import Any

from .. import __version__
from .errors import ERROR_STATUS


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_STRS = {"type": "array", "items": _STR}
_TEXTS = {"oneOf": [_STR, _STRS]}
_IDS = {"type": "array", "items": {"type": "integer", "minimum": 0}}
_MODEL = {"type": "string", "description": "a served model's name (default: the first)"}
_TRUNCATE = {
    "truncate": {"type": "boolean", "description": "cut inputs to the model's limit (default: --auto-truncate)"},
    "truncation_direction": {"type": "string", "enum": ["right", "left"]},
}

REQUEST_SCHEMAS: dict[str, dict[str, Any]] = {
    "/embed": _obj(["inputs"], inputs=_TEXTS, normalize=_BOOL, model=_MODEL, **_TRUNCATE),
    "/embed_all": _obj(["inputs"], inputs=_TEXTS, model=_MODEL, **_TRUNCATE),
    "/predict": _obj(
        ["inputs"],
        inputs={
            "oneOf": [_STR, {**_STRS, "minItems": 2, "maxItems": 2}, {"type": "array", "items": _STRS}],
            "description": 'a text, a pair ["text", "pair"], or a batch [["text"], ["text", "pair"], ...]',
        },
        raw_scores=_BOOL,
        model=_MODEL,
        **_TRUNCATE,
    ),
    "/rerank": _obj(
        ["query", "texts"], query=_STR, texts=_STRS, raw_scores=_BOOL, return_text=_BOOL, model=_MODEL, **_TRUNCATE
    ),
    "/tokenize": _obj(["inputs"], inputs=_TEXTS, add_special_tokens=_BOOL, model=_MODEL),
    "/decode": _obj(
        ["ids"], ids={"oneOf": [_IDS, {"type": "array", "items": _IDS}]}, skip_special_tokens=_BOOL, model=_MODEL
    ),
    "/v1/embeddings": _obj(
        ["input"],
        input={"oneOf": [_STR, _STRS, _IDS, {"type": "array", "items": _IDS}]},
        encoding_format={"type": "string", "enum": ["float", "base64"]},
        dimensions={"type": "integer"},
        user=_STR,
        model=_MODEL,
    ),
    "/": _obj(
        ["inputs"],
        inputs={"description": "what the model's pipeline takes (a text, a list, a {question, context} dict, ...)"},
        parameters={"type": "object", "description": 'the pipeline\'s call options, e.g. {"top_k": 3}'},
        options={"type": "object", "description": "accepted and ignored (the hosted API's wait_for_model, ...)"},
        model=_MODEL,
    ),
}
REQUEST_SCHEMAS["/models/{name}"] = REQUEST_SCHEMAS["/"]

ERROR = _obj(["error", "error_type"], error=_STR, error_type={"type": "string", "enum": sorted(ERROR_STATUS)})


def openapi(routes: list[Any], model_names: list[str], secured: bool) -> dict[str, Any]:
    """The description of `routes` (starlette `Route`s; their endpoints' docstrings are the summaries)."""
    paths: dict[str, Any] = {}
    for route in routes:
        for method in sorted(route.methods - {"HEAD"}):
            doc = (route.endpoint.__doc__ or route.path).strip().splitlines()[0]
            op: dict[str, Any] = {
                "summary": doc,
                "responses": {
                    "200": {"description": "the answer (JSON, or Prometheus text for /metrics)"},
                    "default": {
                        "description": "an error",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                },
            }
            if route.path in REQUEST_SCHEMAS:
                schema = REQUEST_SCHEMAS[route.path]
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
            if "{name}" in route.path:
                op["parameters"] = [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "enum": model_names}}
                ]
            if secured and not route.path.startswith(("/health", "/metrics", "/docs", "/openapi")):
                op["security"] = [{"bearer": []}]
            paths.setdefault(route.path, {})[method.lower()] = op
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "roberta serve", "version": __version__},
        "paths": paths,
    }
    if secured:
        doc["components"] = {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
    return doc

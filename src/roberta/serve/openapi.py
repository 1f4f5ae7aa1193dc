"""The OpenAPI 3.1 description served at `/docs` (and `/openapi.json`), read off the route table: each row's
summary, whether it needs the API key, and its request type's JSON Schema (`schema.request_schema`, the one
the parser accepts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import __version__
from .errors import ERROR_STATUS
from .routing import ServedRoute
from .schema import request_schema

ERROR = {
    "type": "object",
    "required": ["error", "error_type"],
    "properties": {"error": {"type": "string"}, "error_type": {"type": "string", "enum": sorted(ERROR_STATUS)}},
}


def openapi(routes: Sequence[ServedRoute], model_names: list[str], secured: bool, max_batch: int) -> dict[str, Any]:
    """The description of `routes`; `secured`: an API key is set; `max_batch`: --max-client-batch."""
    paths: dict[str, Any] = {}
    for route in routes:
        op: dict[str, Any] = {
            "summary": route.summary,
            "responses": {
                "200": {"description": "the answer (JSON, or Prometheus text for /metrics)"},
                "default": {"description": "an error", "content": {"application/json": {"schema": ERROR}}},
            },
        }
        if route.request_type is not None:
            schema = request_schema(route.request_type, max_batch)
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        if route.param_convertors:  # /models/{name}
            op["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string", "enum": model_names}}
                for name in route.param_convertors
            ]
        if secured and route.needs_key:
            op["security"] = [{"bearer": []}]
        paths.setdefault(route.path, {})[route.method.lower()] = op
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "roberta serve", "version": __version__},
        "paths": paths,
    }
    if secured:
        doc["components"] = {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
    return doc

"""Answers as bytes: JSON (numpy arrays and tensors as lists) and the one error shape, counted by kind."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from .errors import ServeError
from .metrics import Metrics


def encode_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=_to_list)


def _to_list(obj: Any) -> Any:
    if hasattr(obj, "tolist"):  # tensors, non-contiguous arrays
        return obj.tolist()
    raise TypeError(f"cannot serialise a {type(obj).__name__}")


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(value), status, headers=headers, media_type="application/json")


def error_response(metrics: Metrics, error: ServeError) -> Response:
    """`error`'s answer (its status, headers and `{"error", "error_type"}` body), counted in `metrics`."""
    metrics.errors.labels(error_type=error.error_type).inc()
    return json_response(error.body(), error.status, error.headers)

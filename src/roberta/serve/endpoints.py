"""The routes that answer without the model queue: liveness, readiness, TEI's /info, the metrics, the OpenAPI
description and OpenAI's model list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from .errors import ServeError
from .metrics import CONTENT_TYPE
from .openapi import openapi
from .responses import error_response, json_response
from .state import state_of


async def live(request: Request) -> Response:
    """Liveness: the process answers. Never touches the model queue."""
    return json_response({"status": "live"})


async def ready(request: Request) -> Response:
    """Readiness: models loaded and warmed up, not draining."""
    state = state_of(request)
    if state.draining:
        return error_response(state.metrics, ServeError("unhealthy", "draining before shutdown"))
    if not state.ready.is_set():
        return error_response(state.metrics, ServeError("unhealthy", "loading and warming up"))
    return json_response({"status": "ready"})


async def info(request: Request) -> Response:
    """TEI's /info fields for the default model, and every model under "models"."""
    state = state_of(request)
    s, default = state.settings, state.model(None)
    if default.task == "text-classification":
        model_type = {"classifier": {"id2label": default.config.id2label, "label2id": default.config.label2id}}
    else:
        model_type = {"embedding": {"pooling": default.pooling}}
    return json_response(
        {
            "model_id": default.name,
            "model_sha": None,
            "model_dtype": default.dtype,
            "model_type": model_type,
            "max_concurrent_requests": s.max_concurrent_requests,
            "max_input_length": default.max_input_tokens,
            "max_batch_tokens": s.batch_tokens,
            "max_queue_tokens": s.queue_tokens,
            "max_client_batch_size": s.max_client_batch,
            "auto_truncate": s.auto_truncate,
            "request_timeout": s.request_timeout,
            "version": __version__,
            "models": [backend.info() for backend in state.models.values()],
        }
    )


async def metrics(request: Request) -> Response:
    """The Prometheus series."""
    return Response(state_of(request).metrics.render(), media_type=CONTENT_TYPE)


async def docs(request: Request) -> Response:
    """The OpenAPI description of this server's routes."""
    state = state_of(request)
    s = state.settings
    return json_response(openapi(request.app.routes, sorted(state.models), s.api_key is not None, s.max_client_batch))


async def models(request: Request) -> Response:
    """OpenAI's model list."""
    state = state_of(request)
    data = [{"id": name, "object": "model", "created": state.created, "owned_by": "roberta"} for name in state.models]
    return json_response({"object": "list", "data": data})

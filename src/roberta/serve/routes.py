"""The routes: TEI's (`/embed`, `/embed_all`, `/predict`, `/rerank`, `/tokenize`, `/decode`, `/info`,
`/health`, `/metrics`), OpenAI's `/v1/embeddings`, the Hugging Face Inference API's `POST /` (and
`POST /models/{name}`), liveness and readiness probes, and `/docs`.

An inference handler checks that the body is declared as JSON (415), reads it (size limit, deadline),
validates it (`validation.py`), then hands the work to the request pool (`tasks.py`) and waits for it, for
the client to disconnect or for the deadline: then the request's queued inputs are dropped before any
compute and its post-processing stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from .. import __version__
from . import tasks, validation
from .app import ServerState, encode_json, error_response, observe_stages
from .batcher import Ticket
from .errors import ServeError
from .guards import check_json_body
from .metrics import CONTENT_TYPE
from .openapi import openapi

Parse = Callable[[dict[str, Any], int], Any]


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(value), status, headers=headers, media_type="application/json")


def _state(request: Request) -> ServerState:
    return request.app.state.server


DISCARD_FACTOR = 16  # past the limit, read (and drop) up to this many limits so the client sees its 413
DISCARD_SECONDS = 2.0


async def read_body(request: Request, limit: int, deadline: float) -> bytes:
    """The body, refused past `limit` bytes (413) or when it has not arrived by `deadline` (408). A body
    over the limit is read on and dropped, within bounds, before the 413: a client that is still sending
    when the server closes would otherwise see a broken connection instead of the answer."""
    length = request.headers.get("content-length", "")
    too_large = ServeError(
        "payload_too_large",
        f"the body is over the {limit}-byte limit (--payload-limit)",
        headers={"Connection": "close"},
    )
    refused = length.isdigit() and int(length) > limit

    async def read() -> bytes:
        chunks, size = [], limit + 1 if refused else 0  # a refused body is read, not kept
        async for chunk in request.stream():
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif size > DISCARD_FACTOR * limit:
                break
        if size > limit:
            raise too_large
        return b"".join(chunks)

    timeout = DISCARD_SECONDS if refused else max(0.0, deadline - time.monotonic())
    try:
        return await asyncio.wait_for(read(), timeout=timeout)
    except asyncio.TimeoutError:
        if refused:
            raise too_large from None
        raise ServeError(
            "request_timeout", "the body did not arrive in time (--request-timeout)", headers={"Connection": "close"}
        ) from None
    except ClientDisconnect:
        raise ServeError("client_closed", "the client closed the connection while sending the body") from None


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _until_done(request: Request, future: asyncio.Future, ticket: Ticket) -> Any:
    """The work's result, unless the client disconnects or the deadline passes first. Either way the ticket
    is cancelled: queued inputs are dropped before compute and post-processing stops at its next check
    (`tasks.Work.check`). A client that left is answered once the work has stopped; a deadline at once."""
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait(
            {future, watcher}, timeout=max(0.0, ticket.deadline - time.monotonic()), return_when=FIRST_COMPLETED
        )
    finally:
        watcher.cancel()
    if future in done:
        return future.result()
    ticket.cancel()
    if watcher not in done:
        future.add_done_callback(_retrieve)
        raise ServeError("timeout", "the request's deadline passed before its answer was ready")
    with contextlib.suppress(ServeError):
        await future  # returns as soon as the batcher drops the inputs or post-processing stops
    raise ServeError("client_closed", "the client closed the connection before its answer")


def _retrieve(future: asyncio.Future) -> None:
    """Read the outcome of work nobody waits for any more (asyncio would log it as never retrieved)."""
    if not future.cancelled():
        future.exception()


def _inference(parse: Parse, work: Callable[[tasks.Work, Any, Any], Any]) -> Callable:
    async def endpoint(request: Request) -> Response:
        state = _state(request)
        check_json_body(request.headers.get("content-type"))
        if not state.ready.is_set():
            raise ServeError("unhealthy", "the server is still loading and warming up its models")
        ticket = Ticket(request.scope["roberta.deadline"])
        body = await read_body(request, state.settings.payload_limit, ticket.deadline)
        req = parse(validation.parse_json(body), state.settings.max_client_batch)
        backend = state.model(req.model or request.path_params.get("name"))
        job = tasks.Work(state.batcher, ticket, auto_truncate=state.settings.auto_truncate)

        def call() -> bytes:
            job.started = time.monotonic()
            content = encode_json(work(job, backend, req))
            job.check()  # a deadline passed while the answer was built answers 504, not late
            return content

        content = await _until_done(request, asyncio.get_running_loop().run_in_executor(state.pool, call), ticket)
        observe_stages(state, job.stages())
        return Response(content, media_type="application/json", headers=job.headers())

    return endpoint


# ---------------------------------------------------------------------- health, info, metrics, docs
async def live(request: Request) -> Response:
    """Liveness: the process answers. Never touches the model queue."""
    return _json({"status": "live"})


async def ready(request: Request) -> Response:
    """Readiness: models loaded and warmed up, not draining."""
    state = _state(request)
    if state.draining:
        return error_response(state, ServeError("unhealthy", "draining before shutdown"))
    if not state.ready.is_set():
        return error_response(state, ServeError("unhealthy", "loading and warming up"))
    return _json({"status": "ready"})


async def info(request: Request) -> Response:
    """TEI's /info fields for the default model, and every model under "models"."""
    state = _state(request)
    s, default = state.settings, state.model(None)
    if default.task == "text-classification":
        model_type = {"classifier": {"id2label": default.config.id2label, "label2id": default.config.label2id}}
    else:
        model_type = {"embedding": {"pooling": default.pooling}}
    return _json(
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
    return Response(_state(request).metrics.render(), media_type=CONTENT_TYPE)


async def docs(request: Request) -> Response:
    state = _state(request)
    return _json(openapi(ROUTES, sorted(state.models), state.settings.api_key is not None))


async def models(request: Request) -> Response:
    """OpenAI's model list."""
    state = _state(request)
    data = [{"id": name, "object": "model", "created": state.created, "owned_by": "roberta"} for name in state.models]
    return _json({"object": "list", "data": data})


def _post(path: str, parse: Parse, work: Callable, summary: str) -> Route:
    endpoint = _inference(parse, work)
    endpoint.__doc__ = summary
    return Route(path, endpoint, methods=["POST"], name=path)


ROUTES: list[Route] = [
    _post("/embed", lambda b, n: validation.embed_request(b, "/embed", n), tasks.embed, "Pooled embeddings (TEI)."),
    _post(
        "/embed_all",
        lambda b, n: validation.embed_request(b, "/embed_all", n),
        tasks.embed_all,
        "Every token's last hidden state (TEI).",
    ),
    _post("/predict", validation.predict_request, tasks.predict, "Sequence classification of texts or pairs (TEI)."),
    _post("/rerank", validation.rerank_request, tasks.rerank, "Texts ranked against a query (TEI)."),
    _post("/tokenize", validation.tokenize_request, tasks.tokenize, "Tokens with ids and character spans (TEI)."),
    _post("/decode", validation.decode_request, tasks.decode, "Token ids back to text (TEI)."),
    _post(
        "/v1/embeddings",
        validation.openai_embedding_request,
        tasks.openai_embeddings,
        "Embeddings in OpenAI's shape (float or base64).",
    ),
    _post("/", validation.pipeline_request, tasks.pipeline_call, "The pipeline's answer (Hugging Face Inference API)."),
    _post(
        "/models/{name}",
        validation.pipeline_request,
        tasks.pipeline_call,
        "The named model's pipeline answer (Hugging Face Inference API).",
    ),
    Route("/health", ready, methods=["GET"]),
    Route("/health/live", live, methods=["GET"]),
    Route("/health/ready", ready, methods=["GET"]),
    Route("/info", info, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/docs", docs, methods=["GET"]),
    Route("/openapi.json", docs, methods=["GET"]),
    Route("/v1/models", models, methods=["GET"]),
]

"""The endpoint of every inference route, made from its request type and its handler.

It checks that the body is declared as JSON (415) and that the models are warm (503), reads the body (size
limit, deadline), parses it into the route's request type (`schema.parse_request`), then hands the handler to
the request pool and waits for it, for the client to disconnect or for the deadline: then the request's
queued inputs are dropped before any compute and its post-processing stops.
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

from .backend import ModelBackend
from .batcher import Ticket
from .errors import ServeError
from .guards import check_json_body
from .responses import encode_json
from .schema import parse_json, parse_request
from .state import state_of
from .work import Work

Handler = Callable[[Work, ModelBackend, Any], Any]  # (work, backend, parsed request) -> the answer


def inference(path: str, request_type: type, handler: Handler) -> Callable:
    """The endpoint of `POST path`: its body parsed as a `request_type`, answered by `handler`."""

    async def endpoint(request: Request) -> Response:
        state = state_of(request)
        check_json_body(request.headers.get("content-type"))
        if not state.ready.is_set():
            raise ServeError("unhealthy", "the server is still loading and warming up its models")
        ticket = Ticket(request.scope["roberta.deadline"])
        body = await read_body(request, state.settings.payload_limit, ticket.deadline)
        req = parse_request(request_type, parse_json(body), path, state.settings.max_client_batch)
        backend = state.model(req.model or request.path_params.get("name"))
        job = Work(state.batcher, ticket, auto_truncate=state.settings.auto_truncate)

        def call() -> bytes:
            job.started = time.monotonic()
            content = encode_json(handler(job, backend, req))
            job.check()  # a deadline passed while the answer was built answers 504, not late
            return content

        content = await _until_done(request, asyncio.get_running_loop().run_in_executor(state.pool, call), ticket)
        state.metrics.observe_stages(job.stages())
        return Response(content, media_type="application/json", headers=job.headers())

    return endpoint


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
    (`Work.check`). A client that left is answered once the work has stopped; a deadline at once."""
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

"""The ASGI application: the route table of `routes.py` behind the `Gate`, with the server's state, its
lifespan (batcher and warm-up started, then stopped) and the error handlers that give every error one shape."""

from __future__ import annotations

from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from .errors import ServeError
from .gate import Gate
from .responses import error_response
from .routes import ROUTES
from .state import ServerState


def build_app(state: ServerState) -> Starlette:
    """The ASGI app serving `state`'s models."""

    @asynccontextmanager
    async def lifespan(app: Starlette):
        state.start()
        try:
            yield
        finally:
            state.stop()

    async def serve_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServeError)
        return error_response(state.metrics, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        message = f"no route {request.method} {request.url.path}" if exc.status_code in (404, 405) else exc.detail
        return error_response(state.metrics, ServeError(kind, message))

    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        middleware=[Middleware(Gate, state=state, routes=ROUTES)],
        exception_handlers={ServeError: serve_error, HTTPException: http_error},
    )
    app.state.server = state
    return app

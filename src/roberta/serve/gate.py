"""The gate every request passes before its route: Host header, API key, draining, open-request cap,
deadline, timing headers and request metrics. Which routes need the API key (and count as work) is read off
the route table (`ServedRoute.needs_key`)."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import MutableHeaders

from .errors import ServeError
from .guards import check_host
from .responses import error_response
from .routing import ServedRoute
from .state import ServerState

logger = logging.getLogger(__name__)

TIMING_HEADERS = ("x-tokenization-time", "x-queue-time", "x-inference-time")
TIMEOUT_HEADER = "x-request-timeout"  # seconds; a client may shorten (never lengthen) --request-timeout


class Gate:
    """Pure ASGI middleware around `routes` (see the module docstring)."""

    def __init__(self, app: Any, state: ServerState, routes: Sequence[ServedRoute]) -> None:
        self.app, self.state, self.routes = app, state, routes
        self.open_paths = frozenset(route.path for route in routes if not route.needs_key)
        key = state.settings.api_key
        self.hosts = state.settings.hosts
        self.expected = f"bearer {key}".encode() if key else None

    def route_label(self, path: str) -> str:
        """The metrics' route label: the path of the route it matches (templated), else "other"."""
        return next((route.path for route in self.routes if route.path_regex.match(path)), "other")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.monotonic()
        path, status = scope["path"], [0]

        async def send_timed(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                for name in TIMING_HEADERS:
                    if name not in headers:
                        headers[name] = "0.000"
                headers["x-total-time"] = f"{(time.monotonic() - start) * 1000:.3f}"
            await send(message)

        work = path not in self.open_paths
        error = self._refuse(scope, path, work, start)
        if error is not None:
            await error_response(self.state.metrics, error)(scope, receive, send_timed)
        else:
            self.state.in_flight += work
            try:
                await self.app(scope, receive, send_timed)
            except Exception as e:
                logger.exception("unexpected error on %s %s", scope["method"], path)
                if status[0]:  # the answer had begun: nothing more can be said
                    raise
                internal = ServeError("internal", f"{type(e).__name__}: {e}")
                await error_response(self.state.metrics, internal)(scope, receive, send_timed)
            finally:
                self.state.in_flight -= work
        self.state.metrics.requests.labels(route=self.route_label(path), status=str(status[0])).inc()
        if work:
            self.state.metrics.latency.labels(stage="total").observe(time.monotonic() - start)

    def _refuse(self, scope: dict, path: str, work: bool, start: float) -> ServeError | None:
        """Why this request is refused before it reaches its route, or None; sets its deadline."""
        headers = dict(scope["headers"])
        host = headers.get(b"host")
        try:
            check_host(None if host is None else host.decode("latin-1"), self.hosts)
        except ServeError as e:
            return e
        if self.expected is not None and work:
            given = headers.get(b"authorization", b"")
            if not hmac.compare_digest(given[:7].lower() + given[7:], self.expected):  # constant time
                return ServeError(
                    "unauthorized",
                    "a valid API key is needed: Authorization: Bearer <key>",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        if work and self.state.draining:
            return ServeError(
                "unhealthy",
                "the server is shutting down; retry on another replica",
                headers={"Retry-After": "1", "Connection": "close"},
            )
        if work and self.state.in_flight >= self.state.settings.max_concurrent_requests:
            return ServeError(
                "overloaded",
                f"{self.state.in_flight} requests are open (--max-concurrent-requests)",
                headers={"Retry-After": "1"},
            )
        timeout = self.state.settings.request_timeout
        if TIMEOUT_HEADER.encode() in headers:
            try:
                asked = float(headers[TIMEOUT_HEADER.encode()])
            except ValueError:
                asked = -1.0
            if not asked > 0:
                return ServeError("invalid_request", f"the {TIMEOUT_HEADER} header must be a number of seconds > 0")
            timeout = min(timeout, asked)
        scope["roberta.deadline"] = start + timeout
        return None

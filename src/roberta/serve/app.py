"""The ASGI application: the server's state (models, batcher, request pool, readiness) and the gate every
request passes (Host header, API key, draining, open-request cap, deadline, timing headers, request metrics)."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from .backend import ModelBackend
from .batcher import Batcher
from .errors import ServeError
from .guards import check_host
from .metrics import STAGES, Metrics
from .settings import ServeSettings

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health", "/health/live", "/health/ready", "/metrics", "/docs", "/openapi.json"})
TIMING_HEADERS = ("x-tokenization-time", "x-queue-time", "x-inference-time")
TIMEOUT_HEADER = "x-request-timeout"  # seconds; a client may shorten (never lengthen) --request-timeout


class ServerState:
    """What the routes share: settings, models by name, the batcher, the request pool and the health flags."""

    def __init__(
        self, settings: ServeSettings, models: dict[str, ModelBackend], metrics: Metrics | None = None
    ) -> None:
        self.settings, self.models = settings, models
        self.metrics = metrics or Metrics()
        self.batcher = Batcher(
            prepare=self._prepare,
            run=self._run,
            max_batch_tokens=settings.batch_tokens,
            max_queue_tokens=settings.queue_tokens,
            observer=self.metrics,
        )
        self.metrics.watch_queue(lambda: self.batcher.queued_tokens, lambda: self.batcher.queued_jobs)
        self.metrics.in_flight.set_function(lambda: self.in_flight)
        self.metrics.ready.set_function(lambda: float(self.ready.is_set() and not self.draining))
        # Requests run here (tokenize, wait on the batcher, post-process); blocked threads cost no CPU.
        self.pool = ThreadPoolExecutor(settings.max_concurrent_requests, thread_name_prefix="roberta-serve-request")
        self.ready = threading.Event()
        self.draining = False
        self.in_flight = 0  # counted on the event loop thread only
        self.created = int(time.time())
        self.warm_up_thread = threading.Thread()  # replaced in start()

    def _prepare(self, key: Hashable, payloads: list[Any]) -> Any:
        name, kind = key
        return self.models[name].prepare(kind, payloads)

    def _run(self, key: Hashable, prepared: Any) -> list[Any]:
        name, kind = key
        return self.models[name].run(kind, prepared)

    def model(self, name: str | None) -> ModelBackend:
        if name is None:
            return self.models[self.settings.default_model]
        if name not in self.models:
            raise ServeError("not_found", f"no model named {name!r}; this server serves {sorted(self.models)}")
        return self.models[name]

    def start(self) -> None:
        """Start the batcher, then warm every model up in the background; readiness turns green after."""
        self.batcher.start()
        self.warm_up_thread = threading.Thread(target=self._warm_up, name="roberta-serve-warm-up", daemon=True)
        self.warm_up_thread.start()

    def _warm_up(self) -> None:
        start = time.monotonic()
        for backend in self.models.values():
            backend.warm_up()
        self.ready.set()
        logger.info("ready: %d model(s) warmed up in %.1f s", len(self.models), time.monotonic() - start)

    def begin_drain(self) -> None:
        """Readiness goes red at once and new requests are refused; those already admitted carry on."""
        self.draining = True  # a plain flag: this runs inside a signal handler

    @property
    def drained(self) -> bool:
        return self.in_flight == 0 and self.batcher.idle

    def stop(self) -> None:
        self.batcher.stop(timeout=5.0)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def threads_alive(self) -> bool:
        """Whether the warm-up or a batcher thread still runs (a model step longer than `stop` waits for)."""
        return self.warm_up_thread.is_alive() or self.batcher.alive


def encode_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=_to_list)


def _to_list(obj: Any) -> Any:
    if hasattr(obj, "tolist"):  # tensors, non-contiguous arrays
        return obj.tolist()
    raise TypeError(f"cannot serialise a {type(obj).__name__}")


def error_response(state: ServerState, error: ServeError) -> Response:
    state.metrics.errors.labels(error_type=error.error_type).inc()
    return Response(encode_json(error.body()), error.status, headers=error.headers, media_type="application/json")


class Gate:
    """Pure ASGI middleware around the routes (see the module docstring). `known_paths` bound the metrics'
    route label."""

    def __init__(self, app: Any, state: ServerState, known_paths: frozenset[str]) -> None:
        self.app, self.state, self.known_paths = app, state, known_paths
        key = state.settings.api_key
        self.hosts = state.settings.hosts
        self.expected = f"bearer {key}".encode() if key else None

    def route_label(self, path: str) -> str:
        if path.startswith("/models/"):
            return "/models/{name}"
        return path if path in self.known_paths else "other"

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

        work = path not in OPEN_PATHS
        error = self._refuse(scope, path, work, start)
        if error is not None:
            await error_response(self.state, error)(scope, receive, send_timed)
        else:
            self.state.in_flight += work
            try:
                await self.app(scope, receive, send_timed)
            except Exception as e:
                logger.exception("unexpected error on %s %s", scope["method"], path)
                if status[0]:  # the answer had begun: nothing more can be said
                    raise
                internal = ServeError("internal", f"{type(e).__name__}: {e}")
                await error_response(self.state, internal)(scope, receive, send_timed)
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
        if self.expected is not None and path not in OPEN_PATHS:
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


def observe_stages(state: ServerState, stages: dict[str, float]) -> None:
    for stage in STAGES[:-1]:
        state.metrics.latency.labels(stage=stage).observe(stages[stage])


def build_app(state: ServerState) -> Starlette:
    """The ASGI app: the route table of `routes.py` behind the `Gate`."""
    from . import routes

    @asynccontextmanager
    async def lifespan(app: Starlette):
        state.start()
        try:
            yield
        finally:
            state.stop()

    async def serve_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServeError)
        return error_response(state, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        message = f"no route {request.method} {request.url.path}" if exc.status_code in (404, 405) else exc.detail
        return error_response(state, ServeError(kind, message))

    known = frozenset(route.path for route in routes.ROUTES if "{" not in route.path)
    app = Starlette(
        routes=routes.ROUTES,
        lifespan=lifespan,
        middleware=[Middleware(Gate, state=state, known_paths=known)],
        exception_handlers={ServeError: serve_error, HTTPException: http_error},
    )
    app.state.server = state
    return app

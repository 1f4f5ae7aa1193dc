"""The server's state: settings, models by name, the batcher, the request pool, the metrics and the health
flags (loaded and warmed up, draining), shared by every route."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.requests import Request

from .backend import ModelBackend
from .batcher import Batcher
from .errors import ServeError
from .metrics import Metrics
from .settings import ServeSettings

logger = logging.getLogger(__name__)


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


def state_of(request: Request) -> ServerState:
    """The state of the server a request came to (`app.build_app` puts it there)."""
    return request.app.state.server

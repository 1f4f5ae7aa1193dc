"""Running the server: the models loaded, the app under uvicorn, and the drain on SIGTERM.

The first SIGTERM (or SIGINT) drains: readiness goes red at once and new requests get 503 while the
listener stays open, every request already admitted is answered, then uvicorn shuts down and the process
exits 0, at the latest --drain-timeout seconds later. A second signal stops at once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch
import uvicorn

from .app import ServerState, build_app
from .backend import ModelBackend
from .settings import ServeSettings

logger = logging.getLogger("roberta.serve")


def configure(*, log_level: str = "info", threads: int | None = None) -> None:
    """Log lines with times; the model's torch threads."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if threads is not None:
        if threads < 1:
            raise ValueError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)


def load_models(settings: ServeSettings) -> dict[str, ModelBackend]:
    """Every served model, loaded (not yet warmed up)."""
    models = {}
    for spec in settings.models:
        if not spec.path.is_dir():
            raise ValueError(f"model {spec.name!r}: {spec.path} is not a directory")
        models[spec.name] = ModelBackend(
            name=spec.name,
            path=spec.path,
            task=spec.task,
            dtype=settings.dtype,
            int8=settings.int8,
            device=settings.device,
            max_input_tokens=settings.max_input_tokens,
            pooling=settings.pooling,
        )
    return models


def serve(
    settings: ServeSettings, models: dict[str, ModelBackend], *, log_level: str = "info", access_log: bool = False
) -> None:
    """Serve until SIGTERM / SIGINT, then drain (see `DrainingServer`)."""
    for name, backend in models.items():
        logger.info("model %r: %s, task %s, %s", name, backend.path, backend.task, backend.dtype)
    state = ServerState(settings, models)
    config = uvicorn.Config(
        build_app(state),
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = DrainingServer(config, state)
    server.run()
    if server.drain_started is not None and not state.drained:
        logger.warning("drain timeout: %d request(s) were still open", state.in_flight)


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose first SIGTERM / SIGINT drains (see the module docstring) instead of closing the
    listener at once, and which then exits normally instead of re-raising the signal."""

    def __init__(self, config: uvicorn.Config, state: ServerState) -> None:
        super().__init__(config)
        self.state = state
        self.drain_started: float | None = None

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.drain_started is not None or not self.started:  # a second signal, or nothing to drain yet
            self.should_exit = self.force_exit = True
            return
        self.drain_started = time.monotonic()
        self.state.begin_drain()

    async def on_tick(self, counter: int) -> bool:
        if self.drain_started is not None and not self.should_exit:
            waited = time.monotonic() - self.drain_started
            if self.state.drained or waited >= self.state.settings.drain_timeout:
                logger.info("drained in %.2f s; shutting down", waited)
                self.should_exit = True
        return await super().on_tick(counter)

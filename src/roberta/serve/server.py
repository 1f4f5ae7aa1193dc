"""Running the server: the address bound, the models loaded, the app under uvicorn (with the connection
guards of `connections.py`), and the drain on SIGTERM.

The address is bound before the models load (not yet listening: clients are refused until the server is
up), so a port in use fails at once with one line. The first SIGTERM (or SIGINT) drains: readiness goes red
at once and new requests get 503 while the listener stays open, every request already admitted is answered,
then uvicorn shuts down and the process exits 0, at the latest --drain-timeout seconds later. A second
signal stops at once, with exit status 128 + the signal, whatever is still running.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from typing import Any

import torch
import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from .app import build_app
from .backend import ModelBackend
from .connections import guarded_protocol
from .settings import ServeSettings
from .state import ServerState

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


def bind(settings: ServeSettings) -> socket.socket:
    """A socket bound to --host / --port (listening starts in `serve`); OSError naming the address if it is
    taken or cannot be bound."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a port in TIME_WAIT is free
        sock.bind((settings.host, settings.port))
    except OSError as e:
        sock.close()
        raise OSError(f"cannot listen on {settings.host}:{settings.port}: {e.strerror or e}") from None
    return sock


def serve(
    settings: ServeSettings,
    models: dict[str, ModelBackend],
    sock: socket.socket,
    *,
    log_level: str = "info",
    access_log: bool = False,
) -> None:
    """Serve on `sock` (from `bind`) until SIGTERM / SIGINT, then drain (see `DrainingServer`)."""
    for name, backend in models.items():
        logger.info("model %r: %s, task %s, %s", name, backend.path, backend.task, backend.dtype)
    state = ServerState(settings, models)
    config = uvicorn.Config(
        build_app(state),
        host=settings.host,
        port=sock.getsockname()[1],
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=5,
        http=guarded_protocol(AutoHTTPProtocol, settings.header_timeout, settings.connection_limit),
    )
    server = DrainingServer(config, state)
    logger.info("listening on %s:%d", settings.host, config.port)
    try:
        server.run(sockets=[sock])
        status = 0
    except SystemExit as e:  # uvicorn's way out of a failed start
        status = e.code if isinstance(e.code, int) else 1
    if state.threads_alive():
        # the interpreter's exit would stop a thread that is inside torch, which aborts the process
        # ("terminate called without an active exception"): leave without it
        exit_now(status)
    if status:
        raise SystemExit(status)


def exit_now(status: int) -> None:
    """Leave the process at once: log lines flushed, no waiting on request threads, and no interpreter
    finalization under threads still inside torch."""
    logging.shutdown()
    sys.stdout.flush()
    os._exit(status)


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose first SIGTERM / SIGINT drains (see the module docstring) instead of closing the
    listener at once, and which then exits normally instead of re-raising the signal."""

    def __init__(self, config: uvicorn.Config, state: ServerState) -> None:
        super().__init__(config)
        self.state = state
        self.drain_started: float | None = None

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.drain_started is not None:  # a second signal: stop at once
            logger.warning("a second signal: stopping now, %d request(s) unanswered", self.state.in_flight)
            exit_now(128 + sig)
        if not self.started:  # nothing to drain yet
            self.should_exit = self.force_exit = True
            return
        self.drain_started = time.monotonic()
        self.state.begin_drain()

    async def on_tick(self, counter: int) -> bool:
        if self.drain_started is not None and not self.should_exit:
            waited = time.monotonic() - self.drain_started
            if self.state.drained:
                logger.info("drained in %.2f s; shutting down", waited)
                self.should_exit = True
            elif waited >= self.state.settings.drain_timeout:
                # threads of the requests still open would hold a normal shutdown (and the interpreter's exit)
                logger.warning("drain timeout: %d request(s) were still open; stopping now", self.state.in_flight)
                exit_now(0)
        return await super().on_tick(counter)

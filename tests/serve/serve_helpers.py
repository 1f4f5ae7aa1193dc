"""Helpers for the server tests: an in-process server and its TestClient; for those that run `roberta serve` as
a real process, a free port, the process, HTTP calls."""

from __future__ import annotations

import contextlib
import http.client
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

SRC = Path(__file__).resolve().parents[2] / "src"
JSON = {"Content-Type": "application/json"}


def make_client(served: dict[str, Path], names: list[str], *, tasks: dict[str, str] | None = None, **settings: Any):
    """(state, TestClient) of an in-process server of the named `served` checkpoints (`tasks`: a model's
    --task NAME=TASK); use it in `with`."""
    from starlette.testclient import TestClient

    from roberta.serve.app import build_app
    from roberta.serve.server import load_models
    from roberta.serve.settings import ModelSpec, ServeSettings
    from roberta.serve.state import ServerState

    specs = tuple(ModelSpec(name, served[name], (tasks or {}).get(name)) for name in names)
    state = ServerState(s := ServeSettings(models=specs, **settings), load_models(s))
    # a Host header the server answers by default (TestClient's own "testserver" is refused: --allowed-hosts)
    return state, TestClient(build_app(state), base_url="http://127.0.0.1:8080")


@contextlib.contextmanager
def serving(served: dict[str, Path], names: list[str], **settings: Any):
    """`make_client`'s (state, client), started and warmed up, for the length of the `with`."""
    state, client = make_client(served, names, **settings)
    with client:
        assert state.ready.wait(60)
        yield state, client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server process on a free port: `url`, `proc`, and the log it wrote (stdout and stderr)."""

    def __init__(
        self,
        args: list[str],
        log: Path,
        *,
        script: Path | None = None,
        env: dict | None = None,
        open_files: int | None = None,
    ) -> None:
        """`open_files`: the process's soft limit on open file descriptors (RLIMIT_NOFILE)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        command = [sys.executable, str(script)] if script else [sys.executable, "-m", "roberta", "serve"]
        environ = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
        self.log = open(log, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            [*command, "--port", str(self.port), "--log-level", "warning", *args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=environ,
            preexec_fn=None if open_files is None else lambda: _limit_open_files(open_files),
        )

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None, timeout: float = 60):
        return call(self.port, method, path, body, headers, timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited ({self.proc.returncode}):\n{self.log_path.read_text()}")
            try:
                if self.call("GET", "/health/ready", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server was not ready in {timeout} s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def _limit_open_files(n: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def call(port: int, method: str, path: str, body: Any = None, headers: dict | None = None, timeout: float = 60):
    """(status, headers, parsed JSON or text) of one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if body is None or isinstance(body, bytes) else orjson.dumps(body)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        kind = response.getheader("content-type", "")
        return response.status, dict(response.getheaders()), orjson.loads(raw) if "json" in kind else raw.decode()
    finally:
        conn.close()


def metric(text: str, name: str) -> float:
    """The value of one series in Prometheus text (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0

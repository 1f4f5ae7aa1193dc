"""Stopping a real server process while a request never ends by itself (`fault_server.py`: an input holding
"hang" sleeps a minute in the model): a second SIGTERM stops at once, and a drain stops at --drain-timeout,
neither waiting for the request's threads."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from serve_helpers import ServerProcess, metric

FAULT_SERVER = Path(__file__).with_name("fault_server.py")


def start_hanging_request(server: ServerProcess) -> threading.Thread:
    """A request whose forward pass hangs, sent from a thread; returns once the server has admitted it."""

    def client():
        try:
            server.call("POST", "/embed", {"inputs": "please hang here"}, timeout=90)
        except OSError:  # the server went away under it
            pass

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while metric(server.call("GET", "/metrics")[2], "roberta_requests_in_flight") < 1:
        assert time.monotonic() < end, "the request was never admitted"
        time.sleep(0.05)
    return thread


def test_a_second_sigterm_stops_at_once(served, tmp_path):
    server = ServerProcess([f"--model=base={served['base']}"], tmp_path / "server.log", script=FAULT_SERVER)
    try:
        server.wait_ready()
        start_hanging_request(server)
        server.proc.send_signal(signal.SIGTERM)  # drains: waits for the hanging request (up to 30 s)
        end = time.monotonic() + 10
        while server.call("GET", "/health/ready")[0] != 503:
            assert time.monotonic() < end, "the first SIGTERM did not start the drain"
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(15) == 128 + signal.SIGTERM  # the hanging request needs a minute more
        assert "second signal: stopping now, 1 request(s) unanswered" in server.log_path.read_text()
    finally:
        server.stop()


def test_a_drain_ends_at_the_drain_timeout(served, tmp_path):
    server = ServerProcess(
        [f"--model=base={served['base']}", "--drain-timeout", "1"], tmp_path / "server.log", script=FAULT_SERVER
    )
    try:
        server.wait_ready()
        start_hanging_request(server)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(15) == 0
        assert "drain timeout: 1 request(s) were still open" in server.log_path.read_text()
    finally:
        server.stop()


def test_a_sigterm_while_the_model_warms_up_exits_cleanly(served, tmp_path):
    """The warm-up thread is inside torch when the server stops: the interpreter's exit must not stop it there
    (that aborted the process: "terminate called without an active exception", SIGABRT)."""
    server = ServerProcess(
        [f"--model=base={served['base']}"],
        tmp_path / "server.log",
        script=FAULT_SERVER,
        env={"ROBERTA_TEST_BUSY_FIRST_FORWARD_SECONDS": "60"},
    )
    try:
        end = time.monotonic() + 60
        while not listening(server):
            assert time.monotonic() < end and server.proc.poll() is None, server.log_path.read_text()
            time.sleep(0.1)
        assert server.call("GET", "/health/ready")[0] == 503  # still warming up
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(20) == 0, server.log_path.read_text()
        assert "terminate called" not in server.log_path.read_text()
    finally:
        server.stop()


def listening(server: ServerProcess) -> bool:
    try:
        return server.call("GET", "/health/live", timeout=1)[0] == 200
    except OSError:
        return False

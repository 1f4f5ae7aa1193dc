"""Slowloris against real server processes on 127.0.0.1, with real sockets: connections that never complete
their headers are closed after --header-timeout, and the open connections are capped (by default from the
open-file limit): a new connection displaces the longest-idle one, and is answered 503 only when every
connection has a request in progress. Loops are bounded and every socket has a short timeout."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest
from serve_helpers import ServerProcess

from roberta.serve.settings import RESERVED_FDS

OPEN_FILES = 256  # the server's RLIMIT_NOFILE in the cap tests: its default cap is 256 - RESERVED_FDS
HEAD = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # a request's headers, less the blank line ending them


@pytest.fixture(scope="module")
def quick(served, tmp_path_factory):
    """A server that gives a connection one second to send a request's headers."""
    proc = ServerProcess(
        [f"--model=base={served['base']}", "--header-timeout", "1"], tmp_path_factory.mktemp("quick") / "log"
    )
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def capped(served, tmp_path_factory):
    """A server under a low open-file limit (and a header timeout longer than these tests)."""
    proc = ServerProcess(
        [f"--model=base={served['base']}", "--header-timeout", "60"],
        tmp_path_factory.mktemp("capped") / "log",
        open_files=OPEN_FILES,
    )
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


def connect(server, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes `sock` within `seconds` (what it sends meanwhile is read and dropped)."""
    end = time.monotonic() + seconds
    with contextlib.suppress(TimeoutError, socket.timeout):
        while time.monotonic() < end:
            sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                if not sock.recv(4096):
                    return True
            except ConnectionResetError:
                return True
    return False


def test_a_connection_that_never_completes_its_headers_is_closed(quick):
    with connect(quick) as s:
        s.sendall(HEAD)
        assert closed_within(s, 10)
    with connect(quick) as s:  # one that sends nothing at all
        assert closed_within(s, 10)


def test_headers_sent_a_byte_at_a_time_do_not_keep_a_connection_open(quick):
    head = HEAD + b"x-padding: " + b"x" * 300
    with connect(quick) as s:
        for i in range(len(head)):  # a byte every 0.05 s or more: 15 s in all, far past the 1 s timeout
            try:
                s.sendall(head[i : i + 1])
            except (BrokenPipeError, ConnectionResetError):
                return
            if closed_within(s, 0.05):
                return
    pytest.fail("the server kept the connection open while its headers trickled in")


def test_a_kept_alive_connection_must_send_its_next_headers_in_time(quick):
    with connect(quick) as s:
        s.sendall(HEAD + b"\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        s.sendall(HEAD)  # the next request, never finished (uvicorn's keep-alive timer stops at its first byte)
        assert closed_within(s, 10)
    assert quick.call("GET", "/health/live", timeout=10)[0] == 200


def test_idle_connections_past_the_open_file_limit_never_lock_out_a_real_request(capped):
    cap = OPEN_FILES - RESERVED_FDS
    idle = []
    try:
        for _ in range(cap + 50):  # more idle sockets than the server has descriptors for
            idle.append(connect(capped))
        # at the cap, this request displaces the longest-idle connection rather than wait or fail
        assert capped.call("GET", "/health/live", timeout=10)[0] == 200
        assert capped.call("POST", "/embed", {"inputs": "still answered"}, timeout=30)[0] == 200
        assert closed_within(idle[0], 5)  # among the first displaced
        assert not closed_within(idle[-1], 0.2)  # the newest idle ones stay
    finally:
        for s in idle:
            s.close()
    log = capped.log_path.read_text()
    assert "Too many open files" not in log and "out of system resource" not in log


def test_a_connection_past_the_cap_gets_503_when_every_open_one_is_busy(capped):
    cap = OPEN_FILES - RESERVED_FDS
    busy = []
    try:
        for _ in range(cap):  # each holds a request in progress: headers in, body awaited
            s = connect(capped, timeout=10)
            s.sendall(
                b"POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n"
            )
            assert s.recv(4096).startswith(b"HTTP/1.1 100")  # the route is reading its body: it is busy
            busy.append(s)
        with connect(capped) as extra:
            answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503") and b"--max-connections" in answer
    finally:
        for s in busy:
            s.close()
    end = time.monotonic() + 30  # the busy ones gone, the server takes connections again
    while not answers(capped):
        assert time.monotonic() < end, "the server did not recover once the busy connections closed"
        time.sleep(0.1)


def answers(server) -> bool:
    try:
        return server.call("GET", "/health/live", timeout=10)[0] == 200
    except OSError:
        return False

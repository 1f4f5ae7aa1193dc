"""Load and faults against a real server process whose model is slow (each forward pass sleeps, so queues
build up; so does each input's post-processing) and raises on one token (`fault_server.py`): overload,
deadlines and disconnects in the queue and in post-processing, a poisoned input, and SIGTERM under load
(last: it ends the process)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
from serve_helpers import ServerProcess, metric

SLOW = 0.25  # seconds per forward pass
SLOW_POSTPROCESS = 0.3  # seconds per input of a pipeline's post-processing (POST /)
TEXT = "hello there, how are you today my friend"  # 11 tokens


@pytest.fixture(scope="module")
def server(served, tmp_path_factory):
    proc = ServerProcess(
        [f"--model=base={served['base']}", "--max-batch-tokens", "64", "--max-queue-tokens", "512"],
        tmp_path_factory.mktemp("fault-log") / "server.log",
        script=Path(__file__).with_name("fault_server.py"),
        env={"ROBERTA_TEST_SLOW_SECONDS": str(SLOW), "ROBERTA_TEST_SLOW_POSTPROCESS_SECONDS": str(SLOW_POSTPROCESS)},
    )
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


def embed(server, text=TEXT, headers=None):
    return server.call("POST", "/embed", {"inputs": text}, headers)


def busy(server, n: int) -> ThreadPoolExecutor:
    """Keep the model busy: n requests of 5 inputs each (one batch holds at most 64 tokens)."""
    pool = ThreadPoolExecutor(n)
    for _ in range(n):
        pool.submit(server.call, "POST", "/embed", {"inputs": [TEXT] * 5})
    return pool


def wait_for(condition, what: str, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.02)


def queued(server) -> float:
    return metric(server.call("GET", "/metrics")[2], "roberta_queue_tokens")


def test_overload_answers_429_with_retry_after_while_admitted_requests_complete(server):
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: embed(server, [TEXT] * 3), range(40)))
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {200, 429}, statuses
    for status, headers, body in answers:
        if status == 429:
            assert body["error_type"] == "overloaded" and int(headers["retry-after"]) >= 1
        else:
            assert len(body) == 3


def test_a_deadline_passing_in_the_queue_answers_504_and_drops_the_input_before_compute(server):
    before = metric(server.call("GET", "/metrics")[2], 'roberta_dropped_jobs_total{reason="deadline"}')
    pool = busy(server, 4)
    wait_for(lambda: queued(server) > 0, "the queue never filled")
    # as large as a busy request, so no batch can take it in early beside one
    status, _, body = embed(server, [TEXT] * 5, {"x-request-timeout": "0.2"})
    assert status == 504 and body["error_type"] == "timeout"
    pool.shutdown(wait=True)
    embed(server)  # one more batch: the expired input is met (and dropped) by now
    after = metric(server.call("GET", "/metrics")[2], 'roberta_dropped_jobs_total{reason="deadline"}')
    assert after == before + 5


def test_a_client_that_disconnects_while_queued_is_dropped_before_compute(server):
    before = metric(server.call("GET", "/metrics")[2], 'roberta_dropped_jobs_total{reason="disconnected"}')
    pool = busy(server, 8)  # two seconds of batches (440 tokens, admitted): the request below waits behind them
    wait_for(lambda: queued(server) > 0, "the queue never filled")
    body = orjson.dumps({"inputs": [TEXT] * 5})  # as large as a busy request: it waits its turn
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
        s.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        time.sleep(0.5)  # let the server admit it, then leave
    pool.shutdown(wait=True)
    embed(server)
    after = metric(server.call("GET", "/metrics")[2], 'roberta_dropped_jobs_total{reason="disconnected"}')
    assert after == before + 5  # its five inputs


def test_a_poisoned_input_fails_alone_and_the_rest_of_its_batch_is_answered(server):
    pool = busy(server, 2)
    wait_for(lambda: queued(server) > 0, "the queue never filled")
    texts = ["one fine day", "this is poison", "two fine days", "three"]
    with ThreadPoolExecutor(4) as clients:
        answers = list(clients.map(lambda t: embed(server, t), texts))
    pool.shutdown(wait=True)
    assert [status for status, _, _ in answers] == [200, 500, 200, 200]
    assert answers[1][2]["error_type"] == "backend" and "poisons the model" in answers[1][2]["error"]


def postprocessed(server) -> int:
    """Inputs post-processed so far (the fault server logs each)."""
    return server.log_path.read_text().count("postprocessed")


TEXTS = [f"text number {i}" for i in range(10)]  # POST / with these: 10 x SLOW_POSTPROCESS of post-processing


def test_a_deadline_passing_in_post_processing_answers_504_and_stops_it(server):
    before = postprocessed(server)
    status, _, body = server.call("POST", "/models/base", {"inputs": TEXTS}, {"x-request-timeout": "2"})
    assert status == 504 and body["error_type"] == "timeout"
    time.sleep(len(TEXTS) * SLOW_POSTPROCESS)  # time for all of it, had it gone on
    assert 1 <= postprocessed(server) - before < len(TEXTS)


def test_a_client_that_hangs_up_during_post_processing_stops_costing_cpu(server):
    before = postprocessed(server)
    body = orjson.dumps({"inputs": TEXTS})
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /models/base HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
        s.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        wait_for(lambda: postprocessed(server) > before, "post-processing never began")
    time.sleep(len(TEXTS) * SLOW_POSTPROCESS)  # time for all of it, had it gone on
    assert postprocessed(server) - before < len(TEXTS) / 2


def test_sigterm_under_load_drains_every_admitted_request_then_exits_0(server):
    answers: list = []
    lock = threading.Lock()

    def client():
        answer = server.call("POST", "/embed", {"inputs": [TEXT] * 2})
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=client) for _ in range(10)]
    for t in threads:
        t.start()
    in_flight = "roberta_requests_in_flight"
    wait_for(lambda: metric(server.call("GET", "/metrics")[2], in_flight) == 10, "not all 10 were admitted")
    server.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: server.call("GET", "/health/ready")[0] == 503, "readiness did not go red", timeout=2)
    assert len(answers) < 10  # red while admitted requests were still being answered
    refused = embed(server)
    assert refused[0] == 503 and refused[2]["error_type"] == "unhealthy"
    assert server.call("GET", "/health/live")[0] == 200
    for t in threads:
        t.join(60)
    assert [status for status, _, _ in answers] == [200] * 10  # nothing admitted is lost
    assert server.proc.wait(30) == 0

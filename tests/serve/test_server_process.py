"""`roberta serve` as a real process on a free port: real clients (openai, huggingface_hub), 64 concurrent
clients, a slow client, the API key, and the command line's errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from pipelines.pipeline_helpers import assert_same
from serve_helpers import SRC, ServerProcess, metric

KEY = "test-key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server(served, tmp_path_factory):
    args = [f"--model=mlm={served['mlm']}", f"--model=cls={served['cls']}", f"--model=base={served['base']}"]
    # docs/serving.md's `--model emb=DIR --task emb=feature-extraction`, DIR a masked LM (as pretraining writes)
    args += [f"--model=emb={served['mlm']}", "--task=emb=feature-extraction"]
    proc = ServerProcess([*args, "--api-key", KEY], tmp_path_factory.mktemp("serve-log") / "server.log")
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


def test_the_openai_client_gets_embeddings(server):
    from openai import OpenAI

    client = OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
    texts = ["first text", "a second, longer text"]
    answer = client.embeddings.create(input=texts, model="base")  # the client asks for base64 by default
    got = np.array([d.embedding for d in answer.data])
    status, headers, expected = server.call("POST", "/embed", {"inputs": texts, "model": "base"}, AUTH)
    assert status == 200 and got.shape == (2, 32)
    assert np.abs(got - np.array(expected)).max() <= 1e-6
    assert answer.model == "base" and answer.usage.prompt_tokens == int(headers["x-compute-tokens"])
    as_floats = client.embeddings.create(input="first text", model="base", encoding_format="float")
    assert np.abs(np.array(as_floats.data[0].embedding) - got[0]).max() <= 1e-6


def test_the_huggingface_inference_client_works_unchanged(server, pipelines):
    from huggingface_hub import InferenceClient

    def client(name):
        return InferenceClient(model=f"{server.url}/models/{name}", token=KEY)

    text = "Paris is the <mask> of France."
    filled = client("mlm").fill_mask(text, top_k=3)
    expected = pipelines("fill-mask", "mlm")(text, top_k=3)
    assert [(f.token_str, f.sequence) for f in filled] == [(e["token_str"], e["sequence"]) for e in expected]
    assert [f.score for f in filled] == pytest.approx([e["score"] for e in expected], abs=1e-5)
    features = client("base").feature_extraction("hello world")
    assert_same(features, pipelines("feature-extraction", "base")("hello world"))
    # the documented masked LM served for embeddings; without its --task it answers POST / as fill-mask
    assert_same(client("emb").feature_extraction("hello world"), pipelines("feature-extraction", "mlm")("hello world"))
    with pytest.raises(Exception, match="422"):
        client("mlm").feature_extraction("hello world")
    label = client("cls").text_classification("What a film.")
    # POST / answers what pipeline() returns, [{"label", "score"}]; the client reads its first element
    best = pipelines("text-classification", "cls")("What a film.")[0]
    assert (label.label, label.score) == (best["label"], pytest.approx(best["score"], abs=1e-5))


def test_64_concurrent_clients_get_the_pipelines_answers(server, pipelines):
    words = "the quick brown fox jumps over the lazy dog while seven wise owls watch in silence".split()
    texts = [" ".join(words[: 2 + 2 * i]) + f" number {i}" for i in range(8)]  # 8 lengths, 8 clients each

    def client(i: int):
        text, other = texts[i % 8], texts[(i + 1) % 8]
        answers = [
            server.call("POST", "/models/mlm", {"inputs": text + " <mask>."}, AUTH),
            server.call("POST", "/embed", {"inputs": [text, other], "model": "base"}, AUTH),
            server.call("POST", "/predict", {"inputs": text, "model": "cls"}, AUTH),
        ]
        assert [status for status, _, _ in answers] == [200, 200, 200], answers
        return [body for _, _, body in answers]

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(client, range(64)))
    filled = pipelines("fill-mask", "mlm")([t + " <mask>." for t in texts])
    vectors = pipelines("sentence-embedding", "base")(texts)
    labels = pipelines("text-classification", "cls")(texts, top_k=None)
    for i, answers in enumerate(results):
        assert_same(answers, [filled[i % 8], [vectors[i % 8], vectors[(i + 1) % 8]], labels[i % 8]])
    metrics = server.call("GET", "/metrics")[2]
    batches = metric(metrics, "roberta_batch_size_count")
    assert metric(metrics, "roberta_batch_size_sum") > batches  # some batches held several inputs


def test_a_client_sending_one_byte_at_a_time_stalls_no_one(server):
    body = b'{"inputs": "slow but steady", "model": "base"}'
    started, others_done = threading.Event(), threading.Event()
    sent_before_others_done: list[int] = []
    answer: list[bytes] = []

    def slow_client():
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
            head = (
                f"POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            s.sendall(head.encode() + body[:1])
            started.set()
            sent = 1
            while sent < len(body) - 1 and not others_done.is_set():  # a byte at a time, never the last one
                time.sleep(0.02)
                s.sendall(body[sent : sent + 1])
                sent += 1
            others_done.wait(60)
            sent_before_others_done.append(sent)
            s.sendall(body[sent:])
            answer.append(s.recv(65536))

    thread = threading.Thread(target=slow_client)
    thread.start()
    assert started.wait(10)
    for _ in range(10):  # these would hang behind the slow body if it held the server
        assert server.call("POST", "/embed", {"inputs": "quick", "model": "base"}, AUTH, timeout=30)[0] == 200
    others_done.set()
    thread.join(60)
    assert sent_before_others_done[0] < len(body)  # all ten were answered while its body was incomplete
    assert answer and answer[0].startswith(b"HTTP/1.1 200")


def test_a_body_over_the_limit_gets_its_413_while_the_client_still_sends(server):
    body = b'{"inputs": "' + b"x" * 3_000_000 + b'"}'  # over the default 2 MB --payload-limit
    status, headers, answer = server.call("POST", "/embed", body, AUTH)
    assert status == 413 and answer["error_type"] == "payload_too_large"
    assert headers["connection"] == "close"


@pytest.mark.parametrize(
    "path, body, status, kind",
    [
        ("/embed", b"{not json", 400, "invalid_json"),
        ("/embed", {"inputs": 3, "model": "base"}, 422, "invalid_request"),
        ("/embed", {"inputs": "word " * 600, "model": "base"}, 413, "validation"),
        ("/embed", {"inputs": "x", "model": "nope"}, 404, "not_found"),
        ("/models/nope", {"inputs": "x"}, 404, "not_found"),
        ("/", {"inputs": "no mask in this text"}, 422, "invalid_request"),
    ],
)
def test_bad_requests_over_http_get_the_error_shape_and_status(server, path, body, status, kind):
    got, _, answer = server.call("POST", path, body, AUTH)
    assert (got, answer["error_type"]) == (status, kind) and set(answer) == {"error", "error_type"}


def test_the_api_key_is_required_except_for_health_and_metrics(server):
    assert server.call("POST", "/embed", {"inputs": "x"})[0] == 401
    assert server.call("POST", "/embed", {"inputs": "x"}, {"Authorization": "Bearer wrong"})[0] == 401
    for path in ("/health", "/health/live", "/health/ready", "/metrics"):
        assert server.call("GET", path)[0] == 200, path


def serve_fails(*args: str) -> list[str]:
    """The stderr lines of `roberta serve ARGS`, which must exit with status 2."""
    run = subprocess.run(
        [sys.executable, "-m", "roberta", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 2, run
    return run.stderr.strip().splitlines()


def test_a_bad_flag_fails_at_once_with_one_line(tmp_path):
    assert serve_fails("--port", "0", "--model", str(tmp_path / "missing")) == [
        f"roberta serve: error: model 'missing': {tmp_path / 'missing'} is not a directory"
    ]


def test_a_config_that_is_not_json_is_named(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json", encoding="utf-8")
    [line] = serve_fails("--port", "0", "--model", str(tmp_path / "broken"))
    assert line.startswith(f"roberta serve: error: {tmp_path / 'broken' / 'config.json'} is not valid JSON")


def test_a_port_in_use_fails_at_once_with_one_line():
    with socket.socket() as taken:  # another server on the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        lines = serve_fails("--port", str(port))  # the bundled model: never loaded, the port is checked first
    assert lines == [f"roberta serve: error: cannot listen on 127.0.0.1:{port}: Address already in use"]

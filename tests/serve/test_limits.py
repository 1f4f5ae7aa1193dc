"""Bounded work per request, in-process: every size parameter of `POST /` has a bound (422 past it, the work
refused before any compute), /tokenize and /decode take the input limits of the other routes, and the
deadline covers post-processing (injected: a pipeline whose post-processing is slow)."""

from __future__ import annotations

import threading
import time

import pytest
from pipelines.pipeline_helpers import assert_same
from serve_helpers import JSON, make_client, metric, serving

from roberta.serve import limits

LONG = "word " * 600  # over the tiny models' 512 positions


@pytest.fixture(scope="module")
def server(served):
    with serving(served, ["mlm", "qa", "ner", "base"]) as server:
        yield server


@pytest.fixture(scope="module")
def client(server):
    return server[1]


QA = {"question": "Where do I live?", "context": "I am Clara and I live in Berkeley."}


@pytest.mark.parametrize(
    "name, inputs, parameters, named",
    [
        ("mlm", "A <mask> day.", {"top_k": limits.TOP_K + 1}, "'top_k'"),
        ("mlm", "A <mask> day.", {"targets": [f"w{i}" for i in range(limits.LIST_ITEMS + 1)]}, "'targets'"),
        ("mlm", "A <mask> day.", {"tokenizer_kwargs": {"stride": 2}}, "'tokenizer_kwargs'"),
        ("mlm", "A <mask> day.", {"tokenizer_kwargs": {"max_length": 10**6}}, "'max_length'"),
        ("qa", QA, {"top_k": 10**6}, "'top_k'"),
        ("qa", QA, {"max_answer_len": 10**6}, "'max_answer_len'"),
        ("qa", QA, {"max_seq_len": 10**6}, "'max_seq_len'"),
        ("ner", "Wolfgang lives in Berlin", {"ignore_labels": ["O"] * (limits.LIST_ITEMS + 1)}, "'ignore_labels'"),
        ("base", "hello", {"tokenize_kwargs": {"padding": "max_length"}}, "'tokenize_kwargs'"),
    ],
)
def test_each_size_parameter_has_a_bound(client, name, inputs, parameters, named):
    response = client.post(f"/models/{name}", json={"inputs": inputs, "parameters": parameters})
    assert response.status_code == 422 and response.json()["error_type"] == "invalid_request"
    assert named in response.json()["error"]


def test_the_bounds_themselves_are_served(client, pipelines):
    filled = client.post("/models/mlm", json={"inputs": "A <mask> day.", "parameters": {"top_k": limits.TOP_K}})
    assert filled.status_code == 200 and len(filled.json()) == limits.TOP_K
    answers = client.post("/models/qa", json={"inputs": QA, "parameters": {"top_k": limits.TOP_K}})
    assert answers.status_code == 200
    assert_same(answers.json(), pipelines("question-answering", "qa")(QA, top_k=limits.TOP_K))


def test_fill_mask_answers_per_request_are_bounded_before_any_compute(server):
    state, client = server
    top_k = 100
    masks = limits.PREDICTIONS // top_k + 1
    before = metric(client.get("/metrics").text, "roberta_tokens_total")
    texts = ["<mask> " * (masks - 1), "one more <mask>"]  # the bound counts the masks of every input
    refused = client.post("/models/mlm", json={"inputs": texts, "parameters": {"top_k": top_k}})
    assert refused.status_code == 422 and f"{masks} masks" in refused.json()["error"]
    assert metric(client.get("/metrics").text, "roberta_tokens_total") == before  # nothing reached the model
    # the same masks with fewer targets than top_k fit the bound: each mask answers one per target
    fits = client.post("/models/mlm", json={"inputs": texts, "parameters": {"top_k": top_k, "targets": ["a", "b"]}})
    assert fits.status_code == 200 and [len(row) for row in fits.json()[0]] == [2] * (masks - 1)


def test_tokenize_and_decode_take_the_input_limits_of_the_other_routes(client):
    for body in ({"inputs": LONG}, {"inputs": ["short", LONG], "add_special_tokens": False}):
        refused = client.post("/tokenize", json={**body, "model": "base"})
        assert refused.status_code == 413 and refused.json()["error_type"] == "validation"
        assert "512" in refused.json()["error"]
    many = ["word " * 500] * 40  # 40 inputs of 502 tokens: more than the queue's 16,384 tokens
    refused = client.post("/tokenize", json={"inputs": many, "model": "base"})
    assert refused.status_code == 413 and "more than the queue takes" in refused.json()["error"]
    refused = client.post("/decode", json={"ids": [5] * 513, "model": "base"})
    assert refused.status_code == 413 and refused.json()["error_type"] == "validation"
    assert client.post("/decode", json={"ids": [5] * 512, "model": "base"}).status_code == 200


def test_tokenize_truncates_under_auto_truncate(served):
    state, client = make_client(served, ["base"], auto_truncate=True, max_input_tokens=16)
    with client:
        assert state.ready.wait(60)
        tokens = client.post("/tokenize", json={"inputs": LONG}).json()[0]
        assert len(tokens) == 16 and tokens[0]["special"] and tokens[-1]["special"]


def test_a_deadline_passing_in_post_processing_answers_504_and_stops_it(server, monkeypatch):
    state, client = server
    pipe = state.models["base"].task_pipe
    calls, postprocess = [], pipe.postprocess

    release = threading.Event()

    def slow(*args, **kwargs):  # the first input's post-processing lasts until the test ends it
        calls.append(args)
        if len(calls) == 1:
            release.wait(30)
        return postprocess(*args, **kwargs)

    monkeypatch.setattr(pipe, "postprocess", slow)
    texts = [f"text number {i}" for i in range(10)]
    response = client.post("/models/base", json={"inputs": texts}, headers={"x-request-timeout": "2"})
    assert response.status_code == 504 and response.json()["error_type"] == "timeout"  # answered at the deadline
    release.set()
    time.sleep(1.5)  # time for the other nine, had post-processing gone on
    assert len(calls) == 1


def test_work_stops_between_inputs_once_the_client_left(server, monkeypatch):
    """The disconnect path in-process: the route's watcher cancels the ticket (`Ticket.cancel`); here the
    first post-processing call does it, as a client hanging up then would."""
    from roberta.serve.batcher import Ticket
    from roberta.serve.errors import ServeError
    from roberta.serve.handlers import pipeline_call
    from roberta.serve.request_types import PipelineRequest
    from roberta.serve.work import Work

    state, _ = server
    backend = state.models["base"]
    ticket = Ticket(time.monotonic() + 60)
    calls, postprocess = [], backend.task_pipe.postprocess

    def hang_up(*args, **kwargs):
        calls.append(args)
        ticket.cancel()
        return postprocess(*args, **kwargs)

    monkeypatch.setattr(backend.task_pipe, "postprocess", hang_up)
    work = Work(state.batcher, ticket, auto_truncate=False)
    with pytest.raises(ServeError) as info:
        pipeline_call(work, backend, PipelineRequest(inputs=["a", "b", "c"]))
    assert info.value.error_type == "client_closed" and len(calls) == 1


def test_the_content_type_is_checked_before_the_parameters(client):
    body = b'{"inputs": "A <mask> day.", "parameters": {"top_k": 1000000}}'
    assert client.post("/models/mlm", content=body, headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.post("/models/mlm", content=body, headers=JSON).status_code == 422

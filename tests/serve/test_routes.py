"""The routes in-process (starlette's TestClient) over six tiny models served at once: answers compared with
the pipelines on the same inputs, the error shape and statuses, headers, health, metrics and docs."""

from __future__ import annotations

import base64

import numpy as np
import orjson
import pytest
import torch
from pipelines.pipeline_helpers import assert_same
from serve_helpers import JSON, make_client, serving

from roberta.serve.routes import ROUTES

PAYLOAD_LIMIT = 20_000
MAX_CLIENT_BATCH = 16


@pytest.fixture(scope="module")
def server(served):
    limits = {"max_batch_tokens": 1024, "payload_limit": PAYLOAD_LIMIT, "max_client_batch": MAX_CLIENT_BATCH}
    with serving(served, list(served), **limits) as server:
        yield server


@pytest.fixture(scope="module")
def client(server):
    return server[1]


PIPELINE_CASES = [
    ("mlm", "fill-mask", "Paris is the <mask> of France.", {"top_k": 3}),
    ("mlm", "fill-mask", ["A <mask> day.", "The <mask> sat on the <mask>."], {}),
    ("cls", "text-classification", "What a wonderful film.", {}),
    ("cls", "text-classification", {"text": "It rains.", "text_pair": "I stay in."}, {"top_k": None}),
    ("cls", "text-classification", ["good", "a much longer and rather dull text"], {"function_to_apply": "none"}),
    ("ner", "token-classification", "My name is Sarah and I live in London", {"aggregation_strategy": "simple"}),
    ("ner", "token-classification", "Wolfgang lives in Berlin", {}),
    ("qa", "question-answering", {"question": "Where do I live?", "context": "I am Clara and I live in Berkeley."}, {}),
    ("base", "feature-extraction", "hello world", {}),
]


@pytest.mark.parametrize("name, task, inputs, parameters", PIPELINE_CASES)
def test_post_answers_what_the_pipeline_returns(client, pipelines, name, task, inputs, parameters):
    response = client.post(f"/models/{name}", json={"inputs": inputs, "parameters": parameters})
    assert response.status_code == 200, response.text
    assert_same(response.json(), pipelines(task, name)(inputs, **parameters))


def test_post_root_serves_the_default_model_or_the_one_named(client, pipelines):
    text = "The capital of France is <mask>."
    assert_same(client.post("/", json={"inputs": text}).json(), pipelines("fill-mask", "mlm")(text))
    named = client.post("/", json={"inputs": "good", "model": "cls", "options": {"wait_for_model": True}})
    assert_same(named.json(), pipelines("text-classification", "cls")("good"))


@pytest.mark.parametrize("name", ["base", "mlm"])  # a bare trunk, and the trunk inside a masked-LM head
def test_embed_and_embed_all_match_the_embedding_pipelines(client, pipelines, name):
    texts = ["hello world", "a longer sentence with several more words in it"]
    pooled = client.post("/embed", json={"inputs": texts, "model": name}).json()
    assert_same(pooled, [pipelines("sentence-embedding", name)(t) for t in texts])
    tokens = client.post("/embed_all", json={"inputs": texts, "model": name}).json()
    features = [pipelines("feature-extraction", name)(t)[0] for t in texts]
    assert_same(tokens, features)
    raw = client.post("/embed", json={"inputs": texts[0], "normalize": False, "model": name}).json()
    assert_same(raw, [np.mean(features[0], axis=0)])


def test_an_input_gets_the_same_numbers_alone_and_inside_any_batch(client):
    text = "the same words every time"
    mates = ["short", "a good deal longer than the text we watch, with many more tokens", "mid length text"]
    alone = np.array(client.post("/embed_all", json={"inputs": text, "model": "base"}).json()[0])
    for position in range(len(mates) + 1):
        batch = mates[:position] + [text] + mates[position:]
        row = np.array(client.post("/embed_all", json={"inputs": batch, "model": "base"}).json()[position])
        assert np.abs(row - alone).max() <= 1e-5
    single = client.post("/predict", json={"inputs": text, "model": "cls", "raw_scores": True}).json()
    batched = client.post("/predict", json={"inputs": [[m] for m in mates] + [[text]], "model": "cls"}).json()
    assert len(batched) == 4 and [p["label"] for p in single]  # a batch answers one list per input
    raw_batched = client.post(
        "/predict", json={"inputs": [[m] for m in mates] + [[text]], "model": "cls", "raw_scores": True}
    ).json()[-1]
    assert {p["label"]: p["score"] for p in raw_batched} == pytest.approx(
        {p["label"]: p["score"] for p in single}, abs=1e-5
    )


def test_predict_matches_text_classification(client, pipelines):
    pipe = pipelines("text-classification", "cls")
    one = client.post("/predict", json={"inputs": "I liked it", "model": "cls"}).json()
    assert_same(one, pipe("I liked it", top_k=None))
    pair = client.post("/predict", json={"inputs": ["It rains.", "I stay in."], "model": "cls"}).json()
    assert_same(pair, pipe({"text": "It rains.", "text_pair": "I stay in."}, top_k=None))
    batch = client.post("/predict", json={"inputs": [["a"], ["b", "c"]], "model": "cls", "raw_scores": True}).json()
    assert_same(batch, pipe(["a", {"text": "b", "text_pair": "c"}], top_k=None, function_to_apply="none"))


def test_rerank_scores_each_text_with_the_query(client, pipelines):
    pipe = pipelines("text-classification", "rank")
    query, texts = "what is a cat", ["a cat is a small animal", "stocks fell", "cats purr"]
    ranks = client.post("/rerank", json={"query": query, "texts": texts, "model": "rank", "return_text": True}).json()
    expected = [pipe({"text": query, "text_pair": t}, top_k=None)[0]["score"] for t in texts]
    assert [r["index"] for r in ranks] == sorted(range(3), key=lambda i: -expected[i])
    for r in ranks:
        assert r["text"] == texts[r["index"]] and r["score"] == pytest.approx(expected[r["index"]], abs=1e-5)


def test_tokenize_and_decode(client, roberta_base_dir):
    from roberta import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(roberta_base_dir)
    text = "Hello world, hello!"
    tokens = client.post("/tokenize", json={"inputs": text}).json()[0]
    assert [t["id"] for t in tokens] == tok(text)["input_ids"]
    assert tokens[0] == {"id": 0, "text": "<s>", "special": True, "start": None, "stop": None}
    assert "".join(text[t["start"] : t["stop"]] for t in tokens[1:-1]).replace(" ", "") == text.replace(" ", "")
    plain = client.post("/tokenize", json={"inputs": [text], "add_special_tokens": False}).json()[0]
    assert [t["id"] for t in plain] == tok(text, add_special_tokens=False)["input_ids"]
    ids = [t["id"] for t in tokens]
    assert client.post("/decode", json={"ids": ids}).json() == [text]
    assert client.post("/decode", json={"ids": [ids, ids[:2]], "skip_special_tokens": False}).json() == [
        tok.decode(ids),
        tok.decode(ids[:2]),
    ]


def test_openai_embeddings_in_float_and_base64(client):
    texts = ["one", "two words"]
    expected = np.array(client.post("/embed", json={"inputs": texts, "model": "base"}).json())
    floats = client.post("/v1/embeddings", json={"input": texts, "model": "base"}).json()
    assert floats["object"] == "list" and floats["model"] == "base"
    assert [d["index"] for d in floats["data"]] == [0, 1]
    assert np.abs(np.array([d["embedding"] for d in floats["data"]]) - expected).max() <= 1e-6
    assert floats["usage"]["prompt_tokens"] == floats["usage"]["total_tokens"] == 3 + 4
    b64 = client.post("/v1/embeddings", json={"input": texts, "model": "base", "encoding_format": "base64"}).json()
    decoded = np.array([np.frombuffer(base64.b64decode(d["embedding"]), "<f4") for d in b64["data"]])
    assert np.abs(decoded - expected).max() <= 1e-6
    ids = client.post("/tokenize", json={"inputs": texts[1]}).json()[0]
    as_ids = client.post("/v1/embeddings", json={"input": [t["id"] for t in ids], "model": "base"}).json()
    assert np.abs(np.array(as_ids["data"][0]["embedding"]) - expected[1]).max() <= 1e-6


def test_long_inputs_are_refused_or_truncated_as_asked(client):
    long = "word " * 600
    refused = client.post("/embed", json={"inputs": long, "model": "base"})
    assert refused.status_code == 413 and refused.json()["error_type"] == "validation"
    assert "512" in refused.json()["error"]
    cut = client.post("/embed", json={"inputs": long, "model": "base", "truncate": True})
    assert cut.status_code == 200 and cut.headers["x-compute-tokens"] == "512"
    left = client.post(
        "/embed_all", json={"inputs": long + "end", "model": "base", "truncate": True, "truncation_direction": "left"}
    )
    assert left.status_code == 200 and len(left.json()[0]) == 512


ERRORS = [
    ("POST", "/embed", b"{not json", 400, "invalid_json"),
    ("POST", "/embed", b"[1, 2]", 400, "invalid_json"),
    ("POST", "/embed", {"inputs": 3}, 422, "invalid_request"),
    ("POST", "/embed", {"inputs": "x", "colour": "red"}, 422, "invalid_request"),
    ("POST", "/embed", {"inputs": ["x"] * (MAX_CLIENT_BATCH + 1)}, 413, "validation"),
    ("POST", "/embed", {"inputs": "x" * PAYLOAD_LIMIT}, 413, "payload_too_large"),
    ("POST", "/embed", {"inputs": "x", "model": "nope"}, 404, "not_found"),
    ("POST", "/models/nope", {"inputs": "x"}, 404, "not_found"),
    ("GET", "/nope", None, 404, "not_found"),
    ("GET", "/embed", None, 405, "method_not_allowed"),
    ("POST", "/predict", {"inputs": "x", "model": "mlm"}, 400, "unsupported"),
    ("POST", "/rerank", {"query": "q", "texts": ["t"], "model": "cls"}, 400, "unsupported"),
    ("POST", "/", {"inputs": "there is no mask here"}, 422, "invalid_request"),
    ("POST", "/", {"inputs": "a <mask>", "parameters": {"bogus": 1}}, 422, "invalid_request"),
    ("POST", "/", {"inputs": "a <mask>", "parameters": {"top_k": 0}}, 422, "invalid_request"),
    ("POST", "/decode", {"ids": [99999999]}, 422, "invalid_request"),
    ("POST", "/v1/embeddings", {"input": "x", "model": "base", "dimensions": 33}, 422, "invalid_request"),
    ("POST", "/v1/embeddings", {"input": [10**9], "model": "base"}, 422, "invalid_request"),
]


@pytest.mark.parametrize("method, path, body, status, kind", ERRORS)
def test_bad_requests_get_one_error_shape_and_the_right_status(client, method, path, body, status, kind):
    content = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    response = client.request(method, path, content=content, headers=JSON)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "error_type"} and response.json()["error_type"] == kind
    assert response.json()["error"]


def test_a_bad_timeout_header_is_refused_and_a_short_one_is_taken(client):
    bad = client.post("/embed", json={"inputs": "x"}, headers={"x-request-timeout": "soon"})
    assert bad.status_code == 422 and bad.json()["error_type"] == "invalid_request"
    assert client.post("/embed", json={"inputs": "x"}, headers={"x-request-timeout": "30"}).status_code == 200


def test_timing_headers_on_every_response(client):
    responses = [
        client.post("/embed", json={"inputs": ["a b c", "d"], "model": "base"}),
        client.post("/embed", content=b"{", headers=JSON),
        client.get("/health/live"),
        client.get("/metrics"),
    ]
    for r in responses:
        for name in ("x-total-time", "x-tokenization-time", "x-queue-time", "x-inference-time"):
            assert float(r.headers[name]) >= 0, (r.url, name)
    assert responses[0].headers["x-compute-tokens"] == str(5 + 3)
    assert float(responses[0].headers["x-inference-time"]) > 0


def test_health_info_metrics_and_docs(server):
    state, client = server
    for path in ("/health/live", "/health/ready", "/health"):
        assert client.get(path).status_code == 200
    info = client.get("/info").json()
    assert info["model_id"] == "mlm" and info["max_client_batch_size"] == MAX_CLIENT_BATCH
    assert {m["model_id"]: m["task"] for m in info["models"]} == {
        "mlm": "fill-mask",
        "cls": "text-classification",
        "rank": "text-classification",
        "ner": "token-classification",
        "qa": "question-answering",
        "base": "feature-extraction",
    }
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == list(state.models)
    client.post("/embed", content=b"{", headers=JSON)
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    for series in (
        'roberta_errors_total{error_type="invalid_json"}',
        'roberta_request_duration_seconds_count{stage="queue"}',
        'roberta_request_duration_seconds_count{stage="total"}',
        "roberta_batch_size_bucket",
        "roberta_batch_tokens_sum",
        "roberta_tokens_total",
        "roberta_queue_size",
        "roberta_queue_tokens",
        'roberta_requests_total{route="/embed",status="200"}',
        "roberta_ready 1.0",
    ):
        assert series in text, series
    docs = client.get("/docs").json()
    assert docs["openapi"].startswith("3.")
    for path in ("/embed", "/embed_all", "/predict", "/rerank", "/tokenize", "/decode", "/v1/embeddings", "/"):
        assert "requestBody" in docs["paths"][path]["post"], path
    assert client.get("/openapi.json").json() == docs


def test_api_key_guards_everything_but_health_metrics_and_docs(served):
    state, client = make_client(served, ["base"], api_key="s3cret")
    with client:
        assert state.ready.wait(60)
        body = {"inputs": "x"}
        assert client.post("/embed", json=body).status_code == 401
        wrong = client.post("/embed", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error_type"] == "unauthorized"
        assert wrong.headers["www-authenticate"] == "Bearer"
        assert client.post("/embed", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.post("/embed", json=body, headers={"Authorization": "bearer s3cret"}).status_code == 200
        assert client.get("/info").status_code == 401
        for path in ("/health", "/health/live", "/health/ready", "/metrics", "/docs", "/openapi.json"):
            assert client.get(path).status_code == 200, path
        for route in ROUTES:  # the row's needs_key is what the gate does
            path = route.path.replace("{name}", "base")
            status = client.request(route.method, path, json=body).status_code
            assert (status == 401) == route.needs_key, (route.method, path, status)


def test_draining_turns_readiness_red_and_refuses_new_work(served):
    state, client = make_client(served, ["base"])
    with client:
        assert state.ready.wait(60)
        state.begin_drain()
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["error_type"] == "unhealthy"
        refused = client.post("/embed", json={"inputs": "x"})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert client.get("/health/live").status_code == 200
        assert "roberta_ready 0.0" in client.get("/metrics").text


def test_pipeline_outputs_that_are_tensors_are_sent_as_lists(client, pipelines):
    response = client.post("/models/base", json={"inputs": "hi there", "parameters": {"return_tensors": True}})
    expected = pipelines("feature-extraction", "base")("hi there", return_tensors=True)
    assert isinstance(expected, torch.Tensor)
    assert_same(response.json(), expected.tolist())


def test_readiness_stays_red_until_the_models_are_warmed_up(served):
    state, client = make_client(served, ["base"])  # used without `with`: no startup, so no warm-up
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").json() == {"error": "loading and warming up", "error_type": "unhealthy"}
    assert client.post("/embed", json={"inputs": "x"}).status_code == 503
    state.stop()


def test_int8_auto_truncate_and_a_lower_input_limit(served):
    from roberta import pipeline
    from roberta.inference import quantize_int8

    state, client = make_client(served, ["base"], int8=True, auto_truncate=True, max_input_tokens=16)
    with client:
        assert state.ready.wait(60)
        long = "many words " * 40
        cut = client.post("/embed", json={"inputs": long})
        assert cut.status_code == 200 and cut.headers["x-compute-tokens"] == "16"
        assert client.post("/embed", json={"inputs": long, "truncate": False}).status_code == 413
        reference = pipeline("sentence-embedding", model=str(served["base"]))
        quantize_int8(reference.model)
        assert_same(client.post("/embed", json={"inputs": "short text"}).json(), [reference("short text")])
        assert "int8" in client.get("/info").json()["model_dtype"]

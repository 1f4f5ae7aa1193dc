"""Inputs longer than the server reads (here --max-input-tokens 64), on every inference route: never cut
silently. Without `truncate` / `window` (TEI's routes, /v1/embeddings) or `truncation` / `window` (`POST /`'s
pipeline parameters) each is 413 "validation" naming the input's tokens and the limit; asked, they are cut to
the limit or read in windows, as the pipelines do."""

from __future__ import annotations

import pytest
from pipelines.pipeline_helpers import assert_same
from serve_helpers import serving

from roberta import pipeline

LIMIT = 64
LONG = "word " * 100  # about 100 tokens


@pytest.fixture(scope="module")
def client(served):
    with serving(served, ["cls", "rank", "base", "mlm"], max_input_tokens=LIMIT) as (_, client):
        yield client


def refused(client, path, body, *, names: str) -> str:
    """The 413 answer's message, which names the limit and `names` (the way out)."""
    answer = client.post(path, json=body)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error_type"] == "validation"
    message = answer.json()["error"]
    assert str(LIMIT) in message and names in message, message
    return message


def test_tei_routes_refuse_then_cut_or_window(client, served):
    tok = pipeline("feature-extraction", model=str(served["base"])).tokenizer
    n = len(tok(LONG)["input_ids"])
    for path, body in [
        ("/embed", {"inputs": LONG, "model": "base"}),
        ("/embed_all", {"inputs": LONG, "model": "base"}),
        ("/predict", {"inputs": LONG, "model": "cls"}),
        ("/rerank", {"query": "q", "texts": [LONG], "model": "rank"}),
        ("/v1/embeddings", {"input": LONG, "model": "base"}),
    ]:
        tokens = len(tok(["q"], [LONG])["input_ids"][0]) if path == "/rerank" else n  # the (query, text) pair
        assert f"holds {tokens} tokens" in refused(client, path, body, names='"truncate": true')
        cut = client.post(path, json={**body, "truncate": True})
        assert cut.status_code == 200, (path, cut.text)
        assert cut.headers["x-compute-tokens"] == str(LIMIT)
    for path, body in [
        ("/embed", {"inputs": LONG, "model": "base"}),
        ("/predict", {"inputs": LONG, "model": "cls"}),
        ("/v1/embeddings", {"input": LONG, "model": "base"}),
    ]:
        windowed = client.post(path, json={**body, "window": {"length": 32, "stride": 8}})
        assert windowed.status_code == 200, (path, windowed.text)
        both = client.post(path, json={**body, "window": {"length": 32}, "truncate": True})
        assert both.status_code == 422 and "exclude each other" in both.json()["error"]


def test_predict_cuts_as_the_pipeline(client, served):
    pipe = pipeline("text-classification", model=str(served["cls"]))
    cut = client.post("/predict", json={"inputs": LONG, "model": "cls", "truncate": True}).json()
    assert_same(cut, pipe(LONG, truncation=True, max_length=LIMIT, top_k=None))


def test_openai_token_ids_are_refused_or_cut(client, served):
    ids = pipeline("feature-extraction", model=str(served["base"])).tokenizer(LONG)["input_ids"]
    refused(client, "/v1/embeddings", {"input": ids, "model": "base"}, names=f"holds {len(ids)} tokens")
    cut = client.post("/v1/embeddings", json={"input": ids, "model": "base", "truncate": True})
    first = client.post("/v1/embeddings", json={"input": ids[:LIMIT], "model": "base"})
    assert cut.status_code == first.status_code == 200
    assert_same(cut.json()["data"], first.json()["data"])


def test_pipeline_route_takes_the_pipelines_options(client, served):
    pipe = pipeline("text-classification", model=str(served["cls"]))
    n = len(pipe.tokenizer(LONG)["input_ids"])
    message = refused(client, "/", {"inputs": LONG, "model": "cls"}, names="pass truncation=True")
    assert f"holds {n} tokens, more than the model's {LIMIT}" in message and "window=(length, stride)" in message
    cut = client.post("/", json={"inputs": LONG, "model": "cls", "parameters": {"truncation": True}})
    assert cut.status_code == 200 and cut.headers["x-compute-tokens"] == str(LIMIT)
    assert_same(cut.json(), pipe(LONG, truncation=True, max_length=LIMIT))
    windowed = client.post("/", json={"inputs": LONG, "model": "cls", "parameters": {"window": [32, 8, "max"]}})
    assert windowed.status_code == 200, windowed.text
    text = "The <mask> ran. " + LONG
    refused(client, "/", {"inputs": text, "model": "mlm"}, names="pass truncation=True")
    filled = client.post("/", json={"inputs": text, "model": "mlm", "parameters": {"truncation": True}})
    assert filled.status_code == 200 and len(filled.json()) == 5

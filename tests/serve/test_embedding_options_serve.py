"""The embedding, window and cross-encoder options on the server: /embed's truncate_dim, prompts and
precision give `SentenceTransformer.encode`'s answers; `window` on /embed, /v1/embeddings, /predict and
`POST /` gives the pipeline's windowed answer (bounded by the input limit); /rerank on a cross-encoder folder
scores as `CrossEncoder.rank`."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pipelines.pipeline_helpers import assert_vectors, save_st_folder
from sentence_transformers.util.quantization import quantize_embeddings
from serve_helpers import make_client

from roberta import pipeline
from roberta_testing import save_pipeline_checkpoint

TEXTS = ["hello world", "  Mixed CASE text with a few more words", "short"]
LONG = "The quick brown fox jumps over the lazy dog, again and again. " * 5
WINDOW = {"length": 24, "stride": 6}


@pytest.fixture(scope="module")
def folders(tmp_path_factory, roberta_base_dir):
    from sentence_transformers import CrossEncoder

    root = tmp_path_factory.mktemp("st-options-serve")
    trunk = save_pipeline_checkpoint(root, "trunk", "RobertaModel", 13, roberta_base_dir)
    st = save_st_folder(root / "st", trunk, dense=((16, torch.nn.Tanh()),), normalize=True, prompts={"q": "q: "})
    cls = save_pipeline_checkpoint(root, "cls", "RobertaForSequenceClassification", 14, roberta_base_dir, num_labels=1)
    CrossEncoder(str(cls), device="cpu", activation_fn=torch.nn.Tanh()).save(str(root / "ce"))
    return {"st": (root / "st", st), "ce": (root / "ce", CrossEncoder(str(root / "ce"), device="cpu"))}


@pytest.fixture(scope="module")
def client(folders):
    state, client = make_client(
        {n: p for n, (p, _) in folders.items()}, ["st", "ce"], tasks={"st": "sentence-embedding"}, max_input_tokens=64
    )
    with client:
        assert state.ready.wait(60)
        yield client


def post(client, route, body, status=200):
    response = client.post(route, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_embed_options_match_encode(client, folders):
    st = folders["st"][1]
    got = post(client, "/embed", {"inputs": TEXTS, "model": "st", "truncate_dim": 8, "prompt_name": "q"})
    assert_vectors(got, st.encode(TEXTS, truncate_dim=8, prompt_name="q", normalize_embeddings=True), "truncate_dim")
    floats = np.array(post(client, "/embed", {"inputs": TEXTS, "model": "st"}), dtype=np.float32)
    assert_vectors(floats, st.encode(TEXTS, normalize_embeddings=True), "float32")
    for precision in ("int8", "ubinary"):  # quantize_embeddings' codes of the same floats, exactly
        got = post(client, "/embed", {"inputs": TEXTS, "model": "st", "precision": precision})
        assert np.array_equal(np.array(got), quantize_embeddings(floats, precision))
    openai = post(client, "/v1/embeddings", {"input": TEXTS, "model": "st", "dimensions": 4})
    vectors = [d["embedding"] for d in openai["data"]]
    assert_vectors(vectors, st.encode(TEXTS, truncate_dim=4, normalize_embeddings=True), "dimensions")


def test_windows_on_every_route(client, folders):
    pipe = pipeline("sentence-embedding", model=str(folders["st"][0]))
    for aggregate in ("mean", "late"):
        window = {**WINDOW, "aggregate": aggregate}
        got = post(client, "/embed", {"inputs": [LONG], "model": "st", "window": window})
        assert_vectors(got[0], pipe(LONG, window=window), f"/embed {aggregate}")
    got = post(client, "/v1/embeddings", {"input": LONG, "model": "st", "window": WINDOW})["data"][0]["embedding"]
    assert_vectors(got, pipe(LONG, window=WINDOW), "/v1/embeddings")
    got = post(client, "/", {"inputs": LONG, "model": "st", "parameters": {"window": WINDOW}})
    assert_vectors(got, pipe(LONG, window=WINDOW), "POST /")
    assert post(client, "/embed", {"inputs": LONG, "model": "st"}, 413)  # no window, no truncation: refused
    too_long = post(client, "/embed", {"inputs": LONG, "model": "st", "window": {"length": 65}}, 422)
    assert "64 usable positions" in too_long["error"]
    both = post(client, "/embed", {"inputs": LONG, "model": "st", "window": WINDOW, "truncate": True}, 422)
    assert "exclude each other" in both["error"]
    bad = post(client, "/predict", {"inputs": LONG, "model": "ce", "window": {"length": 24, "aggregate": "late"}}, 422)
    assert "aggregate must be one of" in bad["error"]


def test_predict_window_matches_the_pipeline(client, folders):
    pipe = pipeline("text-classification", model=str(folders["ce"][0]))
    for aggregate in ("mean", "max"):
        window = {**WINDOW, "aggregate": aggregate}
        got = post(client, "/predict", {"inputs": LONG, "model": "ce", "window": window, "raw_scores": True})
        expected = pipe(LONG, window=window, top_k=None, function_to_apply="none")
        assert_vectors([got[0]["score"]], [expected[0]["score"]], aggregate)


def test_rerank_scores_as_the_cross_encoder(client, folders):
    ce = folders["ce"][1]
    texts = ["a thing", "", "another, longer document about things"]
    got = post(client, "/rerank", {"query": "what is it", "texts": texts, "model": "ce"})
    ranked = ce.rank("what is it", texts)
    assert [r["index"] for r in got] == [r["corpus_id"] for r in ranked]
    assert_vectors([r["score"] for r in got], [r["score"] for r in ranked], "/rerank tanh")

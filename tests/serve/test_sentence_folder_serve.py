"""`roberta serve` on sentence-transformers folders: /embed, /v1/embeddings and `POST /` give
`SentenceTransformer(folder).encode`'s vectors (pooling, Dense, Normalize, default prompt, max_seq_length), and
the routes' own options keep their meaning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pipelines.pipeline_helpers import assert_vectors, save_st_folder
from serve_helpers import make_client

from roberta_testing import save_pipeline_checkpoint

PROMPTS = {"query": "query: ", "doc": "passage: "}
TEXTS = ["hello world", "  Mixed CASE text with a few more words", ""]
LONG = "many words " * 20  # over the cls folder's max_seq_length of 16


@pytest.fixture(scope="module")
def folders(tmp_path_factory, roberta_base_dir):
    """Two sentence-transformers folders around one random trunk: `cls` (CLS pooling without the prompt,
    Dense, Normalize, a default prompt, max_seq_length 16) and `plain` (mean+max pooling, nothing after)."""
    root = tmp_path_factory.mktemp("st-serve")
    trunk = save_pipeline_checkpoint(root, "trunk", "RobertaModel", 12, roberta_base_dir)
    cls = save_st_folder(
        root / "cls",
        trunk,
        pooling="cls",
        include_prompt=False,
        dense=((16, torch.nn.Tanh()),),
        normalize=True,
        max_seq_length=16,
        prompts=PROMPTS,
        default_prompt_name="query",
    )
    plain = save_st_folder(root / "plain", trunk, pooling=["mean", "max"])
    return {"cls": (root / "cls", cls), "plain": (root / "plain", plain)}


@pytest.fixture(scope="module")
def client(folders):
    paths = {"cls": folders["cls"][0], "plain": folders["plain"][0], "st": folders["cls"][0]}
    state, client = make_client(paths, ["cls", "plain", "st"], tasks={"st": "sentence-embedding"})
    with client:
        assert state.ready.wait(60)
        yield client


def post(client, route, body):
    response = client.post(route, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_embed_gives_the_folders_vectors(client, folders):
    st = folders["cls"][1]
    assert_vectors(post(client, "/embed", {"inputs": TEXTS, "model": "cls"}), st.encode(TEXTS), "/embed cls")
    plain = folders["plain"][1]
    got = post(client, "/embed", {"inputs": TEXTS, "model": "plain"})  # normalize: true, the route's default
    assert_vectors(got, plain.encode(TEXTS, normalize_embeddings=True), "/embed plain")
    raw = post(client, "/embed", {"inputs": TEXTS, "model": "plain", "normalize": False})
    assert_vectors(raw, plain.encode(TEXTS), "/embed plain, normalize false")


def test_normalize_false_stops_before_a_closing_normalize_module(client, folders):
    from sentence_transformers import SentenceTransformer

    st = folders["cls"][1]
    without = SentenceTransformer(modules=list(st)[:-1], prompts=st.prompts, default_prompt_name="query", device="cpu")
    raw = post(client, "/embed", {"inputs": TEXTS, "model": "cls", "normalize": False})
    assert_vectors(raw, without.encode(TEXTS), "normalize false")
    assert np.abs(np.linalg.norm(raw, axis=-1) - 1).max() > 1e-3  # really not normalised


def test_max_seq_length_is_the_input_limit(client, folders):
    st = folders["cls"][1]
    assert client.post("/embed", json={"inputs": LONG, "model": "cls"}).status_code == 413
    cut = post(client, "/embed", {"inputs": [LONG], "model": "cls", "truncate": True})
    assert_vectors(cut, st.encode([LONG]), "truncated")
    models = {m["model_id"]: m for m in client.get("/info").json()["models"]}
    assert models["cls"]["max_input_length"] == 16


def test_openai_embeddings(client, folders):
    st = folders["cls"][1]
    answer = post(client, "/v1/embeddings", {"input": TEXTS, "model": "cls", "dimensions": 16})
    assert_vectors([d["embedding"] for d in answer["data"]], st.encode(TEXTS), "/v1/embeddings")
    wrong = client.post("/v1/embeddings", json={"input": "x", "model": "cls", "dimensions": 32})
    assert wrong.status_code == 422 and "gives 16 dimensions, not 32" in wrong.text
    plain = folders["plain"][1]
    answer = post(client, "/v1/embeddings", {"input": TEXTS, "model": "plain"})
    assert_vectors([d["embedding"] for d in answer["data"]], plain.encode(TEXTS, normalize_embeddings=True))


def test_post_runs_the_sentence_embedding_pipeline_on_the_folder(client, folders):
    st = folders["cls"][1]
    got = post(client, "/models/st", {"inputs": TEXTS, "parameters": {"prompt_name": "doc"}})
    assert_vectors(got, st.encode(TEXTS, prompt_name="doc"), "POST / prompt_name")
    assert_vectors(post(client, "/models/st", {"inputs": TEXTS}), st.encode(TEXTS), "POST / default prompt")


def test_info_reports_the_folders_pooling(client):
    assert client.get("/info").json()["model_type"] == {"embedding": {"pooling": "cls"}}

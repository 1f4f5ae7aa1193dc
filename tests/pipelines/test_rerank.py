"""The rerank pipeline on cross-encoder folders: `CrossEncoder(folder).predict(pairs)` and `.rank(...)`'s
scores, with the folder's activation (5.x config, or the default for its labels)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pipelines.pipeline_helpers import assert_vectors

from roberta import pipeline
from roberta_testing import save_pipeline_checkpoint

PAIRS = [("what is it", "a thing"), ("hello", "world " * 30), ("q", "")]


@pytest.fixture(scope="module")
def folders(tmp_path_factory, roberta_base_dir):
    from sentence_transformers import CrossEncoder

    root = tmp_path_factory.mktemp("cross")
    one = save_pipeline_checkpoint(root, "one", "RobertaForSequenceClassification", 3, roberta_base_dir, num_labels=1)
    three = save_pipeline_checkpoint(root, "three", "RobertaForSequenceClassification", 4, roberta_base_dir)
    out = {}
    for name, path, options in [
        ("sigmoid", one, {}),
        ("tanh", one, {"activation_fn": torch.nn.Tanh()}),
        ("three", three, {}),
    ]:
        CrossEncoder(str(path), device="cpu", **options).save(str(root / name))
        out[name] = (root / name, CrossEncoder(str(root / name), device="cpu"))
    return out


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "three"])
def test_predict_matches_the_cross_encoder(folders, name):
    path, ce = folders[name]
    pipe = pipeline("rerank", model=str(path))
    assert_vectors(pipe(PAIRS), ce.predict(PAIRS), name)
    assert_vectors(pipe(PAIRS[0]), ce.predict(PAIRS[0]), f"{name}, one pair")
    if name == "three":
        assert_vectors(pipe(PAIRS, apply_softmax=True), ce.predict(PAIRS, apply_softmax=True), "softmax")
        with pytest.raises(ValueError, match="one-label cross-encoder"):
            pipe(query="q", documents=["a"])


def test_rank_matches_the_cross_encoder(folders):
    path, ce = folders["tanh"]
    pipe = pipeline("rerank", model=str(path))
    docs = ["a", "b b", "", "a longer document"]
    ours = pipe(query="what", documents=docs, top_k=3, return_documents=True)
    theirs = ce.rank("what", docs, top_k=3, return_documents=True)
    assert [(r["corpus_id"], r["text"]) for r in ours] == [(r["corpus_id"], r["text"]) for r in theirs]
    assert_vectors([r["score"] for r in ours], np.array([r["score"] for r in theirs]), "rank")
    with pytest.raises(ValueError, match="activation_fn must be one of"):
        pipe(PAIRS, activation_fn="softsign2")
    with pytest.raises(TypeError, match="pair of strings"):
        pipe(["a", "b", "c"])


def test_a_long_pair_is_refused_or_cut_when_asked(folders):
    """CrossEncoder always cuts a long pair; we cut it when asked (truncation=True), else name the lengths."""
    path, ce = folders["sigmoid"]
    pipe = pipeline("rerank", model=str(path))
    long = ("a query", "word " * 600)
    n = len(pipe.tokenizer([long[0]], [long[1]])["input_ids"][0])
    with pytest.raises(ValueError, match=rf"holds {n} tokens, more than the model's 512: pass truncation=True"):
        pipe(long)
    assert_vectors(pipe([long], truncation=True), ce.predict([long]), "truncated")

"""Every task through the local engine equals our pipeline() on the same rows (and, for two tasks, the
reference's pipeline on the same saved weights)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow.parquet as pq
import pytest
from predict_helpers import read_output, texts, write_input

from roberta.predict import predict

TOL = 1e-5


def close(a, b, tol=TOL) -> bool:
    return math.isclose(float(a), float(b), abs_tol=tol)


def run(task, models, tmp_path, rows, **kwargs):
    source = write_input(tmp_path / "in.parquet", rows)
    summary = predict(task, models[task], source, tmp_path / "out.parquet", part_rows=5, batch_tokens=300, **kwargs)
    return summary, read_output(summary.output)


ROWS = [{"id": f"r{i}", "text": t} for i, t in enumerate(texts(12, seed=1))]


def test_fill_mask(models, loaded, tmp_path):
    _, out = run("fill-mask", models, tmp_path, ROWS, options={"top_k": 3})
    expected = loaded("fill-mask", models["fill-mask"])([r["text"] for r in ROWS], top_k=3)
    assert [r["id"] for r in out] == [r["id"] for r in ROWS]
    for row, want in zip(out, expected):
        (got,) = row["predictions"]  # one mask: one list of candidates
        assert [c["token"] for c in got] == [c["token"] for c in want]
        assert [c["sequence"] for c in got] == [c["sequence"] for c in want]
        assert all(close(c["score"], w["score"]) for c, w in zip(got, want))


def test_text_classification_and_pairs(models, loaded, tmp_path, ref_pipeline_factory):
    rows = [{**r, "other": t} for r, t in zip(ROWS, texts(12, seed=2, mask=False))]
    _, out = run("text-classification", models, tmp_path, rows, pair_column="other")
    inputs = [{"text": r["text"], "text_pair": r["other"]} for r in rows]
    ours = loaded("text-classification", models["text-classification"])(inputs)
    ref = ref_pipeline_factory("text-classification", models["text-classification"])(inputs)
    for row, want, theirs in zip(out, ours, ref):
        assert row["label"] == want["label"] == theirs["label"]
        assert close(row["score"], want["score"]) and close(row["score"], theirs["score"], 1e-4)
        assert "other" not in row and "text" not in row  # the columns the model reads are not copied


def test_text_classification_top_k(models, loaded, tmp_path):
    _, out = run("text-classification", models, tmp_path, ROWS, options={"top_k": None})
    want = loaded("text-classification", models["text-classification"])([r["text"] for r in ROWS], top_k=None)
    assert [[x["label"] for x in r["labels"]] for r in out] == [[x["label"] for x in w] for w in want]


def test_token_classification_against_the_reference(models, tmp_path, ref_pipeline_factory):
    rows = [{"id": i, "text": t} for i, t in enumerate(texts(8, seed=3, mask=False))]
    for strategy in ("none", "simple"):
        _, out = run(
            "token-classification", models, tmp_path, rows, options={"aggregation_strategy": strategy}, overwrite=True
        )
        ref = ref_pipeline_factory("token-classification", models["token-classification"])(
            [r["text"] for r in rows], aggregation_strategy=strategy
        )
        for row, want in zip(out, ref):
            assert len(row["entities"]) == len(want)
            for got, w in zip(row["entities"], want):
                assert set(got) == set(w)
                assert all(got[k] == w[k] for k in w if k != "score") and close(got["score"], w["score"], 1e-4)


def test_question_answering(models, loaded, tmp_path):
    rows = [{"question": "who wrote?", "context": t, "id": i} for i, t in enumerate(texts(6, seed=4, mask=False))]
    _, out = run("question-answering", models, tmp_path, rows)
    want = loaded("question-answering", models["question-answering"])(
        [{"question": r["question"], "context": r["context"]} for r in rows]
    )
    for row, w in zip(out, want):
        assert (row["answer"], row["start"], row["end"]) == (w["answer"], w["start"], w["end"])
        assert close(row["score"], w["score"])


def test_feature_extraction_and_embeddings_are_fixed_size_float_lists(models, loaded, tmp_path):
    rows = [{"text": t} for t in texts(9, seed=5, mask=False)]
    summary, out = run("feature-extraction", models, tmp_path, rows)
    field = pq.read_schema(summary.output).field("features").type
    assert str(field.value_type) == "fixed_size_list<element: float>[32]"
    pipe = loaded("feature-extraction", models["feature-extraction"])
    for i, (row, text) in enumerate(zip(out, (r["text"] for r in rows))):
        assert row["id"] == i  # no id column: the row number
        np.testing.assert_allclose(np.array(row["features"]), np.array(pipe(text)[0]), atol=TOL)

    summary, out = run("sentence-embedding", models, tmp_path, rows, overwrite=True)
    assert str(pq.read_schema(summary.output).field("embedding").type) == "fixed_size_list<element: float>[32]"
    want = loaded("sentence-embedding", models["sentence-embedding"])([r["text"] for r in rows])
    np.testing.assert_allclose(np.array([r["embedding"] for r in out]), np.array(want), atol=TOL)


def test_tasks_it_does_not_run_are_refused(models, tmp_path):
    with pytest.raises(ValueError, match="does not run text-generation"):
        predict("text-generation", models["fill-mask"], tmp_path / "x.jsonl", tmp_path / "y.jsonl")
    with pytest.raises(ValueError, match="sets \\['return_tensors'\\] itself"):
        predict(
            "sentence-embedding",
            models["fill-mask"],
            tmp_path / "x.jsonl",
            tmp_path / "y.jsonl",
            options={"return_tensors": False},
        )

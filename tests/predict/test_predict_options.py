"""rerank, long documents in windows and the sentence-embedding options through `roberta predict`: each equals the
pipeline called with the same options on the same rows (rerank: and sentence-transformers' CrossEncoder)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pipelines.pipeline_helpers import save_st_folder
from predict_helpers import read_errors, read_output, texts, write_input

from roberta.cli import main
from roberta.predict import predict
from roberta_testing import save_pipeline_checkpoint

TOL = 1e-5
DOCS = texts(8, seed=41, mask=False)  # 1 to 60 words: most longer than a 16-token window


@pytest.fixture(scope="module")
def cross_encoders(tmp_path_factory, roberta_base_dir):
    """{labels: (folder, CrossEncoder)}: folders saved by `CrossEncoder.save`, one label (Sigmoid) and three."""
    from sentence_transformers import CrossEncoder

    root = tmp_path_factory.mktemp("predict-cross")
    out = {}
    for labels in (1, 3):
        ckpt = save_pipeline_checkpoint(
            root, f"ckpt{labels}", "RobertaForSequenceClassification", 40 + labels, roberta_base_dir, num_labels=labels
        )
        CrossEncoder(str(ckpt), device="cpu").save(str(root / f"ce{labels}"))
        out[labels] = (root / f"ce{labels}", CrossEncoder(str(root / f"ce{labels}"), device="cpu"))
    return out


@pytest.mark.parametrize("labels", [1, 3])
def test_rerank_equals_the_pipeline_and_the_cross_encoder(cross_encoders, loaded, tmp_path, labels):
    folder, ce = cross_encoders[labels]
    rows = [{"id": f"p{i}", "query": f"who wrote {i}?", "document": d} for i, d in enumerate(DOCS)]
    rows[3]["document"] = ""  # a bad row, as for every task
    summary = predict("rerank", folder, write_input(tmp_path / "in.jsonl", rows), tmp_path / "out.parquet", part_rows=3)
    out = read_output(summary.output)
    good = [r for r in rows if r["document"]]
    assert [r["id"] for r in out] == [r["id"] for r in good]
    assert list(out[0]) == ["id", "score"]
    assert [e["row"] for e in read_errors(summary.errors_file)] == [3]
    pairs = [(r["query"], r["document"]) for r in good]
    got = np.array([r["score"] for r in out])
    np.testing.assert_allclose(got, np.array(loaded("rerank", folder)(pairs)), atol=TOL)
    np.testing.assert_allclose(got, ce.predict(pairs), atol=TOL)
    kind = pq.read_schema(summary.output).field("score").type  # one float, or one per label
    assert kind == pa.float64() if labels == 1 else (pa.types.is_list(kind) and kind.value_type == pa.float64())


def test_rerank_refuses_ranking_options(cross_encoders, tmp_path):
    source = write_input(tmp_path / "in.jsonl", [{"query": "q", "document": "d"}])
    with pytest.raises(ValueError, match="scores each row's \\(query, document\\) pair"):
        predict("rerank", cross_encoders[1][0], source, tmp_path / "o.parquet", options={"top_k": 2})
    with pytest.raises(TypeError, match="unexpected option"):  # rerank reads no windows
        predict("rerank", cross_encoders[1][0], source, tmp_path / "o.parquet", options={"window": (16, 4)})


def test_windowed_text_classification_on_the_command_line(models, loaded, tmp_path, capsys):
    task = "text-classification"
    source = write_input(tmp_path / "in.parquet", [{"text": d, "other": "x"} for d in DOCS])
    flags = ["--window-length", "16", "--window-stride", "4", "--window-aggregate", "max", "--top-k", "3"]
    common = ["predict", "--task", task, "--model", str(models[task]), "--input", str(source), "--progress", "never"]
    assert main([*common, "--output", str(tmp_path / "out.parquet"), "--part-rows", "3", *flags]) == 0
    out = read_output(tmp_path / "out.parquet")
    want = loaded(task, models[task])(DOCS, window=(16, 4, "max"), top_k=3)
    unwindowed = loaded(task, models[task])(DOCS, top_k=3)
    assert [[x["label"] for x in r["labels"]] for r in out] == [[x["label"] for x in w] for w in want]
    got = np.array([[x["score"] for x in r["labels"]] for r in out])
    np.testing.assert_allclose(got, np.array([[x["score"] for x in w] for w in want]), atol=TOL)
    assert not np.allclose(got, np.array([[x["score"] for x in w] for w in unwindowed]), atol=TOL)  # windows ran
    assert main([*common, "--output", str(tmp_path / "o.parquet"), "--window-stride", "4"]) == 2
    assert "need --window-length" in capsys.readouterr().err
    assert main([*common, "--output", str(tmp_path / "o.parquet"), "--pair-column", "other", *flags[:2]]) == 2
    assert "a window takes no pair column" in capsys.readouterr().err


@pytest.mark.parametrize("aggregate", ["mean", "late"])
def test_windowed_sentence_embedding(models, loaded, tmp_path, aggregate):
    task = "sentence-embedding"
    window = {"length": 16, "stride": 4, "aggregate": aggregate}
    source = write_input(tmp_path / "in.parquet", [{"text": d} for d in DOCS])
    summary = predict(task, models[task], source, tmp_path / "out.parquet", part_rows=3, options={"window": window})
    want = loaded(task, models[task])(DOCS, window=window)
    out = read_output(summary.output)
    column = "embedding" if aggregate == "mean" else "embeddings"  # late chunking: one vector per span
    assert list(out[0]) == ["id", column]
    for row, w in zip(out, want):
        np.testing.assert_allclose(np.array(row[column]), np.array(w), atol=TOL)
    if aggregate == "late":
        kind = pq.read_schema(summary.output).field(column).type
        assert pa.types.is_list(kind) and str(kind.value_type) == "fixed_size_list<element: float>[32]"
        assert max(len(r[column]) for r in out) > 1


def test_windowed_token_classification_and_question_answering(models, loaded, tmp_path):
    window = (16, 4)
    rows = [{"text": d, "question": "who?", "context": d} for d in DOCS]
    source = write_input(tmp_path / "in.parquet", rows)
    for task, inputs, keep in [
        ("token-classification", DOCS, ["question"]),
        ("question-answering", [{"question": "who?", "context": d} for d in DOCS], ["text"]),
    ]:
        out_path = tmp_path / f"{task}.jsonl"
        predict(task, models[task], source, out_path, part_rows=3, keep_columns=keep, options={"window": window})
        want = loaded(task, models[task])(inputs, window=window)
        got = read_output(out_path)
        if task == "token-classification":
            assert [[(e["word"], e["start"], e["entity"]) for e in r["entities"]] for r in got] == [
                [(e["word"], e["start"], e["entity"]) for e in w] for w in want
            ]
        else:
            assert [(r["answer"], r["start"], r["end"]) for r in got] == [
                (w["answer"], w["start"], w["end"]) for w in want
            ]
            np.testing.assert_allclose([r["score"] for r in got], [w["score"] for w in want], atol=TOL)


@pytest.fixture(scope="module")
def st_folder(models, tmp_path_factory):
    """A sentence-transformers folder of the base checkpoint, with a query prompt."""
    path = tmp_path_factory.mktemp("predict-st") / "st"
    save_st_folder(path, models["sentence-embedding"], prompts={"query": "query: "})
    return path


@pytest.mark.parametrize(
    "options, kind, width",
    [
        ({"precision": "binary"}, "int8", 4),
        ({"precision": "ubinary", "truncate_dim": 12, "prompt_name": "query"}, "uint8", 2),
        ({"precision": "int8", "quantization_ranges": [[-0.5] * 32, [0.5] * 32]}, "int8", 32),
        ({"truncate_dim": 16, "normalize": True, "prompt": "passage: "}, "float", 16),
    ],
)
def test_embedding_options_and_integer_codes(st_folder, loaded, tmp_path, options, kind, width):
    source = write_input(tmp_path / "in.parquet", [{"text": d} for d in DOCS])
    summary = predict("sentence-embedding", st_folder, source, tmp_path / "out.parquet", part_rows=3, options=options)
    assert str(pq.read_schema(summary.output).field("embedding").type) == f"fixed_size_list<element: {kind}>[{width}]"
    got = np.array([r["embedding"] for r in read_output(summary.output)])
    want = np.array(loaded("sentence-embedding", st_folder)(DOCS, **options))
    if kind == "float":
        np.testing.assert_allclose(got, want, atol=TOL)
    elif options["precision"] == "int8":  # a float a hair from a bucket's edge may land one code over
        assert got.dtype.kind == "i" and np.abs(got - want).max() <= 1
    else:  # one bit per dimension, packed
        np.testing.assert_array_equal(got, want)


def test_int8_without_ranges_is_refused(st_folder, tmp_path):
    source = write_input(tmp_path / "in.parquet", [{"text": "a"}])
    with pytest.raises(ValueError, match="needs quantization_ranges"):
        predict("sentence-embedding", st_folder, source, tmp_path / "o.parquet", options={"precision": "int8"})

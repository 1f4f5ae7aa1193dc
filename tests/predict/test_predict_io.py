"""Input formats, output formats, ids and pass-through columns, bad rows and --max-errors, bounded memory."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from predict_helpers import read_errors, read_output, texts, write_input

from roberta.predict import predict
from roberta.predict import reader as reader_module
from roberta.predict.local import TooManyErrors
from roberta.predict.runner import ChunkRunner

TASK = "text-classification"


def rows(n: int = 11) -> list[dict]:
    return [{"id": f"d{i}", "text": t, "lang": ["en", "fr"][i % 2]} for i, t in enumerate(texts(n, seed=7))]


@pytest.fixture(scope="module")
def reference(models, tmp_path_factory):
    """The rows of `rows()` from Parquet to Parquet: what every other pair of formats must give."""
    root = tmp_path_factory.mktemp("reference")
    return read_output(
        predict(TASK, models[TASK], write_input(root / "in.parquet", rows()), root / "out.parquet").output
    )


@pytest.mark.parametrize("source", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("target", ["jsonl", "parquet"])
def test_every_format_gives_the_same_rows(models, reference, tmp_path, source, target):
    data = rows()
    path = write_input(tmp_path / f"in.{source}", data)
    summary = predict(TASK, models[TASK], path, tmp_path / f"out.{target}", part_rows=4)
    out = read_output(summary.output)
    assert [r["id"] for r in out] == [r["id"] for r in data]
    assert [r["lang"] for r in out] == [r["lang"] for r in data]
    assert list(out[0]) == ["id", "lang", "label", "score"]
    assert [r["label"] for r in out] == [r["label"] for r in reference]
    assert all(abs(a["score"] - b["score"]) < 1e-6 for a, b in zip(out, reference))
    assert summary.errors == 0 and read_errors(summary.errors_file) == []


def test_pass_through_types_and_keep_columns(models, tmp_path):
    data = [{**r, "n": i, "weight": i / 2} for i, r in enumerate(rows())]
    path = write_input(tmp_path / "in.parquet", data)
    summary = predict(TASK, models[TASK], path, tmp_path / "out.parquet")
    schema = pq.read_schema(summary.output)
    assert (str(schema.field("n").type), str(schema.field("weight").type)) == ("int64", "double")
    summary = predict(TASK, models[TASK], path, tmp_path / "kept.parquet", keep_columns=["n", "text"])
    assert list(read_output(summary.output)[0]) == ["id", "n", "text", "label", "score"]
    with pytest.raises(ValueError, match="no column 'nope' to keep"):
        predict(TASK, models[TASK], path, tmp_path / "x.parquet", keep_columns=["nope"])
    with pytest.raises(ValueError, match="no column 'body'"):
        predict(TASK, models[TASK], path, tmp_path / "x.parquet", text_column="body")


def test_bad_rows_go_to_the_errors_file(models, tmp_path):
    path = tmp_path / "in.jsonl"
    lines = [
        '{"id": "a", "text": "fine"}',
        '{"id": "b", "text": ""}',
        "not json",
        '{"id": "c", "text": 5}',
        "[1, 2]",
        '{"id": "d"}',
        '{"id": "e", "text": "  "}',
        '{"id": "f", "text": "also fine"}',
    ]
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    summary = predict(TASK, models[TASK], path, tmp_path / "out.jsonl", part_rows=3)
    assert [r["id"] for r in read_output(summary.output)] == ["a", "f"]
    errors = read_errors(summary.errors_file)
    assert [(e["id"], e["row"]) for e in errors] == [("b", 1), (None, 2), ("c", 3), (None, 4), ("d", 5), ("e", 6)]
    reasons = [e["error"] for e in errors]
    assert "empty 'text'" in reasons[0] and "invalid JSON" in reasons[1] and "int, not a string" in reasons[2]
    assert "not a JSON object" in reasons[3] and "no 'text' value" in reasons[4]
    assert (summary.rows, summary.written, summary.errors) == (8, 2, 6)


def test_rows_the_pipeline_rejects_are_isolated(models, tmp_path):
    data = [{"text": t} for t in texts(9, seed=8)]
    data[4]["text"] = "no mask here"
    summary = predict(
        "fill-mask", models["fill-mask"], write_input(tmp_path / "in.parquet", data), tmp_path / "o.parquet"
    )
    assert [r["id"] for r in read_output(summary.output)] == [0, 1, 2, 3, 5, 6, 7, 8]
    (error,) = read_errors(summary.errors_file)
    assert error["row"] == 4 and "No mask_token" in error["error"]


def test_max_errors_stops_and_a_higher_bound_continues(models, tmp_path):
    data = rows(12)
    for i in (1, 5, 9):
        data[i]["text"] = ""
    path = write_input(tmp_path / "in.parquet", data)
    out = tmp_path / "out.parquet"
    with pytest.raises(TooManyErrors, match="more than --max-errors 1"):
        predict(TASK, models[TASK], path, out, part_rows=4, max_errors=1)
    assert not out.exists()
    summary = predict(TASK, models[TASK], path, out, part_rows=4, max_errors=3)
    assert [r["id"] for r in read_output(out)] == [r["id"] for i, r in enumerate(data) if i not in (1, 5, 9)]
    assert [e["row"] for e in read_errors(summary.errors_file)] == [1, 5, 9]
    assert summary.rows_this_run == 4  # the first 8 rows were committed by the stopped run


@pytest.mark.parametrize("source", ["jsonl", "csv", "parquet"])
def test_memory_is_flat_in_the_corpus_size(models, tmp_path, monkeypatch, source):
    """The reader is lazy and the engine holds one chunk: never more than part_rows rows read ahead of the
    rows already committed, for a corpus 20 times larger."""
    part_rows, n = 3, 60
    path = write_input(tmp_path / f"in.{source}", [{"id": i, "text": "a b c"} for i in range(n)])
    read = {"rows": 0}
    committed = {"rows": 0, "most": 0}
    real_from_table, real_chunk = reader_module.chunk_from_table, reader_module._RowReader._chunk

    def counted(result):
        read["rows"] += len(result)
        committed["most"] = max(committed["most"], read["rows"] - committed["rows"])
        return result

    monkeypatch.setattr(reader_module, "chunk_from_table", lambda *a: counted(real_from_table(*a)))
    monkeypatch.setattr(reader_module._RowReader, "_chunk", lambda self, *a: counted(real_chunk(self, *a)))
    real_run = ChunkRunner.run

    def run(self, chunk):
        result = real_run(self, chunk)
        committed["rows"] += len(chunk)
        return result

    monkeypatch.setattr(ChunkRunner, "run", run)
    summary = predict(TASK, models[TASK], path, tmp_path / "out.parquet", part_rows=part_rows)
    assert summary.written == n and committed["rows"] == n
    assert committed["most"] <= part_rows


def test_an_existing_output_is_kept_unless_overwrite(models, tmp_path):
    path = write_input(tmp_path / "in.parquet", rows(3))
    out = tmp_path / "out.parquet"
    predict(TASK, models[TASK], path, out)
    with pytest.raises(FileExistsError, match="--overwrite"):
        predict(TASK, models[TASK], path, out)
    assert predict(TASK, models[TASK], path, out, overwrite=True).written == 3


def test_empty_input_gives_an_empty_output_with_its_columns(models, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("", encoding="utf-8")
    summary = predict("sentence-embedding", models["sentence-embedding"], path, tmp_path / "out.parquet")
    schema = pq.read_schema(summary.output)
    assert schema.names == ["id", "embedding"] and pq.read_table(summary.output).num_rows == 0

"""`roberta predict` on rows longer than the model reads: never cut silently. Without --truncation or a
window, such a row goes to the errors file with the reason (its token count and the limit) and the job goes
on; --truncation cuts it as the pipeline's truncation=True does."""

from __future__ import annotations

import numpy as np
import pytest
from predict_helpers import read_errors, read_output, write_input

from roberta.cli import main

LONG = "word " * 600  # about 600 tokens, over the 512 the checkpoints read
ROWS = [{"id": "a", "text": "a short text"}, {"id": "b", "text": LONG}, {"id": "c", "text": "another one"}]


def run(task, models, tmp_path, *flags):
    source = write_input(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "out.jsonl"
    args = ["predict", "--task", task, "--model", str(models[task]), "--input", str(source), "--output", str(out)]
    return main([*args, "--progress", "never", "--overwrite", *flags]), out


@pytest.mark.parametrize(
    "task, windows", [("text-classification", True), ("sentence-embedding", True), ("feature-extraction", False)]
)
def test_a_long_row_goes_to_the_errors_file(models, loaded, tmp_path, task, windows):
    rc, out = run(task, models, tmp_path)
    assert rc == 0
    assert [r["id"] for r in read_output(out)] == ["a", "c"]  # the job went on
    (error,) = read_errors(tmp_path / "out.jsonl.errors.jsonl")
    n = len(loaded(task, models[task]).tokenizer(LONG)["input_ids"])
    assert error["id"] == "b" and error["row"] == 1
    assert f"holds {n} tokens, more than the model's 512: pass truncation=True" in error["error"]
    assert ("window=(length, stride)" in error["error"]) is windows


def test_truncation_cuts_as_the_pipeline(models, loaded, tmp_path, capsys):
    task = "text-classification"
    rc, out = run(task, models, tmp_path, "--truncation", "--top-k", "3")
    assert rc == 0 and read_errors(tmp_path / "out.jsonl.errors.jsonl") == []
    rows = read_output(out)
    want = loaded(task, models[task])([r["text"] for r in ROWS], truncation=True, top_k=3)
    got = [[x["score"] for x in r["labels"]] for r in rows]
    np.testing.assert_allclose(got, [[x["score"] for x in w] for w in want], atol=1e-5)
    assert run(task, models, tmp_path, "--truncation", "--window-length", "64")[0] == 2
    assert "--truncation and a window exclude each other" in capsys.readouterr().err
    assert run(task, models, tmp_path, "--truncation", "-o", "truncation=true")[0] == 2
    assert "give --truncation or --option truncation" in capsys.readouterr().err

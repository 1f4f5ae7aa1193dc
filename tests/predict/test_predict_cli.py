"""`roberta predict` on the command line: the summary, exit statuses, one-line errors."""

from __future__ import annotations

from predict_helpers import read_errors, read_output, texts, write_input

from roberta.cli import main

TASK = "text-classification"


def args(models, source, out, *extra, task=TASK):
    return [
        "predict",
        "--task",
        task,
        "--model",
        str(models[TASK]),
        "--input",
        str(source),
        "--output",
        str(out),
        "--progress",
        "never",
        *extra,
    ]


def test_predict_writes_rows_and_says_so(models, tmp_path, capsys):
    data = [{"id": i, "text": t} for i, t in enumerate(texts(6, seed=31))]
    data[2]["text"] = ""
    source = write_input(tmp_path / "in.csv", data)
    assert (
        main(args(models, source, tmp_path / "out.jsonl", "--top-k", "2", "--part-rows", "2", task="classification"))
        == 0
    )
    err = capsys.readouterr().err
    assert "5 rows to" in err and "1 bad rows to" in err and "rows/s" in err
    out = read_output(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == ["0", "1", "3", "4", "5"]  # CSV has no types: ids are text
    assert all(len(r["labels"]) == 2 for r in out)
    assert [e["row"] for e in read_errors(tmp_path / "out.jsonl.errors.jsonl")] == [2]


def test_exit_statuses(models, tmp_path, capsys):
    data = [{"text": t} for t in texts(4, seed=32)]
    data[0]["text"] = data[1]["text"] = ""
    source = write_input(tmp_path / "in.jsonl", data)
    assert main(args(models, source, tmp_path / "o.parquet", "--max-errors", "1")) == 1
    assert "more than --max-errors 1" in capsys.readouterr().err
    assert main(args(models, source, tmp_path / "o.parquet", "--text-column", "body")) == 2
    assert "no column 'body'" in capsys.readouterr().err
    assert main(args(models, source, tmp_path / "o.txt")) == 2
    assert "--output-format" in capsys.readouterr().err
    assert main(args(models, source, tmp_path / "p.parquet", "-o", "nope=1")) == 2
    assert "unexpected option" in capsys.readouterr().err


def test_task_names_are_the_registrys_as_roberta_run_lists_them():
    from roberta.cli.options import task_choices as run_choices
    from roberta.pipelines import resolve_task
    from roberta.predict.tasks import TASKS, task_choices

    assert task_choices() == [name for name in run_choices() if resolve_task(name) in TASKS]
    assert set(TASKS) < set(task_choices())  # and the aliases

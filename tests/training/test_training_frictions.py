"""Training frictions of a first week (issue 24, items 9, 11-13): one-line errors instead of tracebacks or silent
surprises, Ctrl-C that says what happened, and log lines instead of progress bars where no one watches."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from train_helpers import pretrain_args, read_metrics, write_jsonl

from roberta.cli import main as cli
from roberta.training import interrupt, pretraining


def one_line(capsys) -> str:
    """The one error line of a failed command (log lines of the work before it aside)."""
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.startswith("roberta ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# 9. train-tokenizer never replaces a folder's tokenizer unless told to -----------------------------------------
def test_train_tokenizer_refuses_a_folder_that_holds_files(tmp_path, corpus, tiny_model, capsys):
    model = tmp_path / "model"
    model.mkdir()
    for name in tiny_model.iterdir():
        (model / name.name).write_bytes(name.read_bytes())
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    args = ["train-tokenizer", str(corpus), "--vocab-size", "280", "--min-frequency", "1", "-o", str(model)]
    assert cli(args) == 2
    err = one_line(capsys)
    assert f"the output path {model} already exists" in err and "--overwrite" in err
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
    assert cli([*args, "--overwrite"]) == 0  # asked for: the tokenizer files are replaced
    assert (model / "vocab.json").read_bytes() != before["vocab.json"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli([*args[:-1], str(empty)]) == 0 and (empty / "vocab.json").is_file()  # an empty folder holds nothing


# 11. diverging loss, nan and empty labels, QA on short models ---------------------------------------------------
def test_a_diverging_loss_ends_in_one_line(tmp_path, corpus, tokenizer_dir, monkeypatch, capsys):
    real = pretraining.MaskedLMTask.loss_sum
    monkeypatch.setattr(pretraining.MaskedLMTask, "loss_sum", lambda self, m, b: real(self, m, b) * float("nan"))
    assert cli(pretrain_args(corpus, tokenizer_dir, tmp_path / "run", "--max-steps", "3")) == 2
    err = one_line(capsys)
    assert "the loss became nan at step 1" in err and "--lr" in err


def classification(tmp_path, tiny_model, rows, *extra):
    write_jsonl(tmp_path / "train.jsonl", rows)
    return [
        "finetune",
        "classification",
        "--model",
        str(tiny_model),
        "--train-file",
        str(tmp_path / "train.jsonl"),
        "-o",
        str(tmp_path / "out"),
        "--max-steps",
        "2",
        "--no-progress",
        *extra,
    ]


def test_nan_and_empty_labels_name_their_row(tmp_path, tiny_model, capsys):
    rows = [{"text": f"alice likes the cat {i}", "label": str(i)} for i in range(5)]
    rows[3]["label"] = "nan"
    assert cli(classification(tmp_path, tiny_model, rows, "--problem-type", "regression")) == 2
    assert "train.jsonl:4: label 'nan' is not a finite number" in one_line(capsys)
    rows[3]["label"] = ""
    assert cli(classification(tmp_path, tiny_model, rows)) == 2
    assert "train.jsonl:4: the label (column 'label') is empty" in one_line(capsys)
    csv = tmp_path / "train.csv"
    csv.write_text("text,label\nalice likes the cat,a\nbob sees the dog,\n")
    args = classification(tmp_path, tiny_model, rows)
    args[args.index("--train-file") + 1] = str(csv)
    assert cli(args) == 2
    assert "train.csv:3: the label (column 'label') is empty" in one_line(capsys)
    assert not (tmp_path / "out").exists()


def test_question_answering_defaults_fit_a_short_model(tmp_path, tiny_model, capsys):
    context = " ".join(f"alice likes the cat number {i} ." for i in range(30))  # longer than 64 tokens
    squad = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": str(i),
                                "question": "who likes the cat ?",
                                "answers": [{"text": "alice", "answer_start": context.index("alice")}],
                            }
                            for i in range(4)
                        ],
                    }
                ]
            }
        ]
    }
    (tmp_path / "squad.json").write_text(json.dumps(squad))
    out = tmp_path / "qa"
    args = ["finetune", "qa", "--model", str(tiny_model), "--train-file", str(tmp_path / "squad.json")]
    assert cli([*args, "-o", str(out), "--max-steps", "1", "--no-progress"]) == 0, capsys.readouterr().err
    assert (out / "train_results.json").is_file()
    # an explicit stride too large for the length is still an error
    assert cli([*args, "-o", str(tmp_path / "qa2"), "--max-steps", "1", "--doc-stride", "40"]) == 2
    assert "doc_stride (40) must be under half of max_seq_length (64)" in one_line(capsys)


# 12. Ctrl-C says what happened ---------------------------------------------------------------------------------
def test_ctrl_c_before_the_first_step_says_so_and_leaves_nothing(tmp_path, corpus, tokenizer_dir, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as Ctrl-C does while the corpus is tokenized

    monkeypatch.setattr(pretraining, "prepare_shards", interrupted)
    out = tmp_path / "run"
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "3")) == 130
    err = one_line(capsys)
    assert err == "roberta pretrain: interrupted before the first checkpoint; nothing was saved", err
    assert not out.exists()


def test_a_second_ctrl_c_quits_with_a_message():
    messages = []
    with interrupt.stop_requests(messages.append) as request:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs between two bytecodes of this thread
        assert request.signum == signal.SIGINT and "finishing this step" in messages[0]
        with pytest.raises(KeyboardInterrupt, match="second Ctrl-C"):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)


# 13. log lines, not bars, where stderr is no terminal ----------------------------------------------------------
def test_no_bar_off_a_terminal_but_log_lines_every_log_steps(tmp_path, corpus, tokenizer_dir, monkeypatch, capsys):
    from roberta.training import shards

    monkeypatch.setattr(shards, "PROGRESS_BYTES", 0)  # the test corpus is small: show its tokenization anyway
    args = pretrain_args(corpus, tokenizer_dir, tmp_path / "run", "--max-steps", "4", "--log-steps", "2")
    args.remove("--no-progress")  # the bar is asked for, but stderr (captured) is no terminal
    assert cli(args) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "it/s" not in err
    steps = [line.split(":")[0] for line in err.splitlines() if line.startswith("step ")]
    assert steps == ["step 2/4", "step 4/4"], err
    assert "tokenizing 1 file(s)" in err  # the corpus's tokenization says so


def test_no_progress_still_logs_at_log_steps(tmp_path, corpus, tokenizer_dir, capsys):
    out = tmp_path / "run"
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "3", "--log-steps", "3")) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("step ")]
    assert len(lines) == 1 and lines[0].startswith("step 3/3: loss ") and "tokens/s" in lines[0]
    assert [r["step"] for r in read_metrics(out) if "loss" in r] == [3]


def test_tokenizing_shows_a_bar_on_a_terminal(tmp_path, corpus, tokenizer_dir, monkeypatch, capsys):
    from roberta.tokenizer import load_tokenizer
    from roberta.training import shards

    monkeypatch.setattr(shards, "on_terminal", lambda stream=None: True)
    monkeypatch.setattr(shards, "PROGRESS_BYTES", 0)
    logged = []
    shards.build_shards([corpus], load_tokenizer(tokenizer_dir), tmp_path / "s", max_seq_length=32, log=logged.append)
    err = capsys.readouterr().err
    assert "tokenize" in err and "100%" in err, err
    assert not any(m.startswith("tokenizing") for m in logged)  # the bar, not log lines

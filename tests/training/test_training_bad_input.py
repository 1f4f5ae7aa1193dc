"""Bad input: one clear error naming the file and line; what was already written survives."""

from __future__ import annotations

import json

import pytest
from train_helpers import finetune, pretrain_args, write_jsonl

from roberta.cli import main as cli


def run_error(args, capsys) -> str:
    assert cli(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_empty_corpus(tmp_path, tokenizer_dir, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n   \n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    msg = run_error(pretrain_args(empty, tokenizer_dir, out, "--max-steps", "2"), capsys)
    assert str(empty) in msg and "empty corpus" in msg
    assert (out / "keep.txt").read_text() == "precious"
    assert "empty" in run_error(["train-tokenizer", str(empty), "-o", str(tmp_path / "t")], capsys)


def test_undecodable_bytes(tmp_path, tokenizer_dir, corpus, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"alice likes the cat .\nbob sees \xff\xfe a bird .\n")
    msg = run_error(pretrain_args(bad, tokenizer_dir, tmp_path / "o", "--max-steps", "2"), capsys)
    assert f"{bad}:2:" in msg and "UTF-8" in msg and "column 10" in msg
    msg = run_error(["train-tokenizer", str(bad), "-o", str(tmp_path / "t")], capsys)
    assert f"{bad}:2:" in msg


def test_label_not_in_label_list(tmp_path, pretrained, capsys):
    tr = write_jsonl(tmp_path / "tr.jsonl", [{"text": "alice", "label": "a"}, {"text": "bob", "label": "b"}])
    va = write_jsonl(tmp_path / "va.jsonl", [{"text": "alice", "label": "a"}, {"text": "bob", "label": "zzz"}])
    msg = run_error(finetune("classification", pretrained, tr, va, tmp_path / "o", "--max-steps", "1"), capsys)
    assert f"{va}:2:" in msg and "'zzz'" in msg and "label list" in msg
    msg = run_error(
        finetune("classification", pretrained, tr, tr, tmp_path / "o", "--max-steps", "1", "--labels", "a,c"), capsys
    )
    assert f"{tr}:2:" in msg and "'b'" in msg
    ner = write_jsonl(tmp_path / "ner.jsonl", [{"tokens": ["alice", "x"], "tags": ["B-PER", "O"]}])
    nerv = write_jsonl(tmp_path / "nerv.jsonl", [{"tokens": ["x"], "tags": ["O"]}, {"tokens": ["a"], "tags": ["B-X"]}])
    msg = run_error(finetune("token-classification", pretrained, ner, nerv, tmp_path / "o", "--max-steps", "1"), capsys)
    assert f"{nerv}:2:" in msg and "'B-X'" in msg
    mc = write_jsonl(tmp_path / "mc.jsonl", [{"context": "a", "ending0": "x", "ending1": "y", "label": 5}])
    msg = run_error(finetune("multiple-choice", pretrained, mc, mc, tmp_path / "o", "--max-steps", "1"), capsys)
    assert f"{mc}:1:" in msg and "label" in msg


def test_csv_without_column(tmp_path, pretrained, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("sentence,label\nalice likes,a\nbob sees,b\n")
    msg = run_error(finetune("classification", pretrained, csv, csv, tmp_path / "o", "--max-steps", "1"), capsys)
    assert f"{csv}:2:" in msg and "'text'" in msg and "sentence" in msg


def test_qa_answer_not_in_context(tmp_path, pretrained, capsys):
    data = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": "alice likes the cat .",
                        "qas": [
                            {"id": "ok", "question": "alice ?", "answers": [{"text": "alice", "answer_start": 0}]},
                            {"id": "broken", "question": "bob ?", "answers": [{"text": "bob", "answer_start": 3}]},
                        ],
                    }
                ]
            }
        ]
    }
    path = tmp_path / "qa.json"
    path.write_text(json.dumps(data, indent=1))
    raw = path.read_text().splitlines()
    line = next(i for i, x in enumerate(raw, 1) if '"broken"' in x)
    msg = run_error(finetune("question-answering", pretrained, path, path, tmp_path / "o", "--max-steps", "1"), capsys)
    assert f"{path}:{line}:" in msg and "'bob'" in msg and "not in its context" in msg


def test_output_survives_failed_finetune(tmp_path, pretrained, capsys):
    before = {p.name: p.read_bytes() for p in pretrained.iterdir() if p.is_file()}
    bad = write_jsonl(tmp_path / "b.jsonl", [{"txt": "x", "label": "a"}])
    run_error(finetune("classification", pretrained, bad, bad, pretrained, "--max-steps", "1"), capsys)
    after = {p.name: p.read_bytes() for p in pretrained.iterdir() if p.is_file()}
    assert before == after


@pytest.mark.parametrize("text", ["no json at all", '["a list"]'])
def test_bad_jsonl_line(tmp_path, pretrained, capsys, text):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a", "label": "a"}\n' + text + "\n")
    msg = run_error(finetune("classification", pretrained, path, path, tmp_path / "o", "--max-steps", "1"), capsys)
    assert f"{path}:2:" in msg

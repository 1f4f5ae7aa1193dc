"""Resuming a run as the docs say (issue 24, item 10): a larger --max-steps under a fractional warmup, a refused
resume that writes nothing, and `--resume -o RUN` alone taking the run's data, tokenizer and settings."""

from __future__ import annotations

import os
import stat

import pytest
from train_helpers import pretrain_args, read_metrics

from roberta.cli import main as cli
from roberta.training.checkpoint import latest_checkpoint, load_state


def losses(out):
    return [(r["step"], r["loss"], r["lr"]) for r in read_metrics(out) if "loss" in r]


def shard_files(out):
    """{name: (bytes, mtime)} of every file under out/data: what a re-tokenization would change."""
    found = {}
    for root, _, files in os.walk(out / "data"):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, out)] = (f.read(), os.stat(path).st_mtime_ns)
    return found


def test_a_larger_max_steps_resumes_under_a_fractional_warmup(tmp_path, corpus, tokenizer_dir, capsys):
    out = tmp_path / "run"
    # warmup 0.06 (the default) of 4 steps is 0 steps, of 40 steps 2: derived from max_steps, it follows it
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4", "--warmup", "0.06")) == 0
    assert (
        cli(
            pretrain_args(
                corpus, tokenizer_dir, out, "--max-steps", "40", "--warmup", "0.06", "--resume", "--stop-at-step", "6"
            )
        )
        == 0
    ), capsys.readouterr().err
    assert [s for s, _, _ in losses(out)] == list(range(1, 7))
    # a changed warmup is still a changed setting
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "40", "--warmup", "0.1", "--resume")) == 2
    assert "warmup: 0.06 -> 0.1" in capsys.readouterr().err


def test_a_refused_run_changes_nothing_in_the_folder(tmp_path, corpus, tokenizer_dir, capsys):
    out = tmp_path / "run"
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4", "--stop-at-step", "2")) == 0
    before = shard_files(out)
    metrics = (out / "metrics.jsonl").read_text()
    # a different sequence length would re-tokenize into out/data: refused before that
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4", "--resume", "--max-seq-length", "16")) == 2
    assert "max_seq_length: 32 -> 16" in capsys.readouterr().err
    # a fresh run over the folder's run: refused before tokenizing too
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4", "--max-seq-length", "16")) == 2
    assert "already holds a training run" in capsys.readouterr().err
    assert shard_files(out) == before and (out / "metrics.jsonl").read_text() == metrics


def test_resume_needs_only_the_run_folder(tmp_path, corpus, tokenizer_dir, capsys):
    settings = ("--max-steps", "5", "--seed", "3", "--mlm-probability", "0.2", "--log-steps", "1")
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert cli(pretrain_args(corpus, tokenizer_dir, whole, *settings)) == 0
    assert cli(pretrain_args(corpus, tokenizer_dir, part, *settings, "--stop-at-step", "2")) == 0
    shards = shard_files(part)
    capsys.readouterr()
    # no files, no tokenizer, no --max-seq-length (whose default, 512, would have replaced the shards), no
    # --config-override: all of it is the run's
    assert cli(["pretrain", "-o", str(part), "--resume", "--no-progress"]) == 0, capsys.readouterr().err
    assert shard_files(part) == shards
    for (sa, la, ra), (sb, lb, rb) in zip(losses(whole), losses(part), strict=True):  # the same run, continued
        assert sa == sb and la == pytest.approx(lb, rel=1e-5, abs=1e-6) and ra == pytest.approx(rb)
    assert load_state(latest_checkpoint(part))["step"] == 5
    # a checkpoint folder gets the mode any folder gets (mkdtemp's 0700 is not kept)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(latest_checkpoint(part)).st_mode) == 0o777 & ~umask
    # nothing to resume from: one line saying what to give
    capsys.readouterr()
    assert cli(["pretrain", "-o", str(tmp_path / "none"), "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "give the training text FILEs" in err


def test_finetune_resume_needs_only_the_run_folder(tmp_path, tiny_model, capsys):
    rows = "".join(f'{{"text": "alice likes the cat {i}", "label": "{"ab"[i % 2]}"}}\n' for i in range(40))
    (tmp_path / "train.jsonl").write_text(rows)
    out = tmp_path / "clf"
    args = ["finetune", "classification", "--model", str(tiny_model), "--train-file", str(tmp_path / "train.jsonl")]
    args += ["-o", str(out), "--max-steps", "4", "--batch-size", "4", "--max-seq-length", "16", "--no-progress"]
    assert cli([*args, "--stop-at-step", "2"]) == 0
    assert cli(["finetune", "-o", str(out), "--resume"]) == 0, capsys.readouterr().err
    assert load_state(latest_checkpoint(out))["args"]["extra"]["max_seq_length"] == 16
    assert [r["step"] for r in read_metrics(out) if "loss" in r] == [1, 2, 3, 4]
    capsys.readouterr()
    assert cli(["finetune", "-o", str(tmp_path / "none"), "--resume"]) == 2
    assert "give the TASK" in capsys.readouterr().err


def test_a_run_saved_under_an_older_task_name_resumes_without_a_difference():
    from roberta.training.runs import resume_differences

    saved = {"batch_size": 2, "extra": {"task": "causal-lm", "max_seq_length": 32}}
    now = {"batch_size": 2, "extra": {"task": "text-generation", "max_seq_length": 32}}
    assert resume_differences(saved, now, 1, 1) == []
    other = {"batch_size": 2, "extra": {"task": "fill-mask", "max_seq_length": 32}}
    assert resume_differences(saved, other, 1, 1) == ["task: 'text-generation' -> 'fill-mask'"]  # named by its one name

"""The output folder's rules: fresh, --overwrite, --resume (finished runs, changed settings, --force), and
Ctrl-C / SIGTERM writing a checkpoint before the process exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from train_helpers import pretrain_args, read_metrics

from roberta.cli import main as cli
from roberta.training.checkpoint import latest_checkpoint, load_state

SRC = str(Path(__file__).resolve().parents[2] / "src")


def steps_logged(out):
    return [r["step"] for r in read_metrics(out) if "loss" in r]


def test_every_run_ends_with_a_checkpoint_and_a_finished_run_says_so(tmp_path, corpus, tokenizer_dir, capsys):
    out = tmp_path / "run"
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4")) == 0
    assert load_state(latest_checkpoint(out))["step"] == 4
    metrics = (out / "metrics.jsonl").read_text()
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "4", "--resume")) == 2
    assert "already finished at step 4" in capsys.readouterr().err
    assert (out / "metrics.jsonl").read_text() == metrics  # nothing retrained, nothing deleted
    # a larger --max-steps trains on, with the schedule recomputed for it (not stuck at lr 0)
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "7", "--resume")) == 0
    rows = [r for r in read_metrics(out) if "loss" in r]
    assert [r["step"] for r in rows] == list(range(1, 8)) and all(r["lr"] > 0 for r in rows)
    assert load_state(latest_checkpoint(out))["step"] == 7


def test_an_output_folder_with_a_run_needs_resume_or_overwrite(tmp_path, corpus, tokenizer_dir, capsys):
    out = tmp_path / "run"
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "2")) == 0
    before = (out / "metrics.jsonl").read_text()
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "3")) == 2
    assert "already holds a training run" in capsys.readouterr().err
    assert (out / "metrics.jsonl").read_text() == before
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "3", "--overwrite")) == 0
    assert steps_logged(out) == [1, 2, 3] and load_state(latest_checkpoint(out))["step"] == 3


def test_resume_with_changed_settings_is_refused_unless_forced(tmp_path, corpus, tokenizer_dir, capsys):
    out = tmp_path / "run"
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "6", "--stop-at-step", "2")) == 0
    changed = ["--max-steps", "6", "--resume", "--lr", "1e-3", "--seed", "7", "--mlm-probability", "0.2"]
    assert cli(pretrain_args(corpus, tokenizer_dir, out, *changed)) == 2
    err = capsys.readouterr().err
    for what in ("lr: 0.002 -> 0.001", "seed: 42 -> 7", "mlm_probability: 0.15 -> 0.2", "--force"):
        assert what in err, (what, err)
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "6", "--resume", "--batch-size", "8")) == 2
    assert "global batch" in capsys.readouterr().err
    assert cli(pretrain_args(corpus, tokenizer_dir, out, *changed, "--force")) == 0
    rows = [r for r in read_metrics(out) if "loss" in r]
    assert [r["step"] for r in rows] == list(range(1, 7))
    # warmup 10 steps of 6: lr(step) = peak * step / 11, and the peak is the new one from step 3 on
    assert rows[2]["lr"] == pytest.approx(1e-3 * 3 / 11)


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "roberta", *args], env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _wait_for_step(out: Path, step: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if (out / "metrics.jsonl").exists() and len(steps_logged(out)) >= step:
            return
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    raise AssertionError("training did not get going")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_after_a_checkpoint_and_resume_continues(tmp_path, corpus, tokenizer_dir, sig):
    out = tmp_path / "run"
    proc = _start(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "100000"))
    _wait_for_step(out, 2, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    step = load_state(latest_checkpoint(out))["step"]
    assert step >= 2 and f"interrupted at step {step}" in err and "--resume" in err
    assert steps_logged(out)[-1] == step  # the checkpoint holds every step that was logged
    assert cli(pretrain_args(corpus, tokenizer_dir, out, "--max-steps", str(step + 2), "--resume")) == 0
    assert steps_logged(out) == list(range(1, step + 3))

"""Kill-and-resume continues the same loss curve; checkpoints are atomic."""

from __future__ import annotations

import json

import pytest
import torch
from train_helpers import pretrain_args, read_metrics

from roberta.cli import main as cli
from roberta.training.checkpoint import latest_checkpoint, load_state

STEPS = ["--max-steps", "12", "--save-steps", "4", "--grad-accum", "2", "--batch-size", "4"]


def losses(out):
    return [(r["step"], r["loss"], r["lr"]) for r in read_metrics(out) if "loss" in r]


def test_stop_and_resume_gives_identical_curve(tmp_path, corpus, tokenizer_dir):
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert cli(pretrain_args(corpus, tokenizer_dir, full, *STEPS)) == 0  # dropout on: RNG state must resume
    assert cli(pretrain_args(corpus, tokenizer_dir, cut, *STEPS, "--stop-at-step", "6")) == 0
    assert latest_checkpoint(cut).endswith("step-00000006")
    state = load_state(latest_checkpoint(cut))
    assert (
        state["step"] == 6 and state["samples_seen"] == 6 * 8 and {"python", "numpy", "torch"} <= set(state["rng"][0])
    )
    assert not (cut / "model.safetensors").exists()
    # lines logged after the checkpoint by a killed run are dropped on resume
    with open(cut / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": 7, "loss": 99.0, "lr": 0.0}) + "\n")
    assert cli(pretrain_args(corpus, tokenizer_dir, cut, *STEPS, "--resume")) == 0
    a, b = losses(full), losses(cut)
    assert [s for s, *_ in b] == list(range(1, 13))
    for (sa, la, ra), (sb, lb, rb) in zip(a, b):
        assert sa == sb and la == pytest.approx(lb, rel=1e-5, abs=1e-6) and ra == pytest.approx(rb)
    from safetensors.torch import load_file

    x, y = load_file(full / "model.safetensors"), load_file(cut / "model.safetensors")
    for k in x:
        torch.testing.assert_close(x[k], y[k], atol=1e-5, rtol=1e-4)

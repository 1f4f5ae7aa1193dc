"""Two gloo processes under torchrun reproduce the single-process run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from train_helpers import pretrain_args, read_metrics

from roberta.cli import main as cli

SRC = str(Path(__file__).resolve().parents[2] / "src")
NO_DROPOUT = ["--config-override", "hidden_dropout_prob=0", "--config-override", "attention_probs_dropout_prob=0"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_match_one(tmp_path, corpus, tokenizer_dir):
    common = ["--max-steps", "5", "--grad-accum", "2", *NO_DROPOUT]
    one, two = tmp_path / "one", tmp_path / "two"
    assert cli(pretrain_args(corpus, tokenizer_dir, one, *common, "--batch-size", "4")) == 0
    args = pretrain_args(corpus, tokenizer_dir, two, *common, "--batch-size", "4")
    args[args.index("--batch-size", args.index("--max-steps")) + 1] = "2"  # half the per-rank batch
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(free_port()),
        "-m",
        "roberta",
        *args,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = [r for r in read_metrics(one) if "loss" in r]
    b = [r for r in read_metrics(two) if "loss" in r]
    assert len(a) == len(b) == 5
    for x, y in zip(a, b):
        assert x["loss"] == pytest.approx(y["loss"], rel=1e-4), (x, y)
    wa, wb = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], atol=2e-5, rtol=1e-3)
    assert sorted(os.listdir(two)) == sorted(os.listdir(one))  # rank 1 wrote nothing extra

"""Two gloo processes under torchrun reproduce the single-process run."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
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


def _workers(marker: str) -> dict[int, int]:
    """rank -> pid of the torchrun workers whose command line names `marker`."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            env = dict(kv.split(b"=", 1) for kv in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in kv)
        except OSError:
            continue
        if marker.encode() in cmd and b"RANK" in env and b"torch.distributed.run" not in cmd:
            found[int(env[b"RANK"])] = int(pid)
    return found


def test_a_hung_rank_is_a_clear_error_after_the_timeout(tmp_path, corpus, tokenizer_dir):
    out = tmp_path / "hang"
    args = pretrain_args(corpus, tokenizer_dir, out, "--max-steps", "100000", "--batch-size", "2", *NO_DROPOUT)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1"]
    cmd += ["--master_port", str(free_port()), "-m", "roberta", *args, "--dist-timeout", "5"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = {}
    try:
        deadline = time.monotonic() + 120
        while not ((out / "metrics.jsonl").exists() and read_metrics(out)):
            assert time.monotonic() < deadline and proc.poll() is None, "training did not start"
            time.sleep(0.1)
        workers = _workers(str(out))
        assert sorted(workers) == [0, 1]
        os.kill(workers[1], signal.SIGSTOP)  # rank 1 hangs
        started = time.monotonic()
        while os.path.exists(f"/proc/{workers[0]}") and time.monotonic() - started < 60:
            time.sleep(0.1)
        waited = time.monotonic() - started
    finally:
        for pid in workers.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    assert waited < 60, "rank 0 waited forever"
    assert proc.returncode != 0
    assert "rank 0 gave up after waiting up to 5 s for rank 1, which is hung or dead" in err, err[-3000:]

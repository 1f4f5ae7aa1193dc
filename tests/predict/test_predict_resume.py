"""A local job killed at any point and run again holds every row exactly once, in input order."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from predict_helpers import read_errors, read_output, texts, write_input

from roberta.predict.job import PredictJob
from roberta.predict.local import run_local
from roberta_testing import file_operations, killed_at

TASK = "text-classification"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Forked children run the model: with one intra-op thread, as an OpenMP pool does not survive a fork."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


BAD = (3, 10)
N = 16


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    data = [{"id": f"q{i}", "text": t} for i, t in enumerate(texts(N, seed=11))]
    for i in BAD:
        data[i]["text"] = ""  # bad rows go to the errors file exactly once too
    return write_input(tmp_path_factory.mktemp("resume") / "in.jsonl", data)


@pytest.fixture(scope="module")
def pipe(models, loaded):
    return loaded(TASK, models[TASK])


def job_for(models, corpus, out: Path, fmt: str) -> PredictJob:
    return PredictJob(TASK, models[TASK], corpus, out / f"out.{fmt}", part_rows=4)


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_killed_at_random_file_operations(models, corpus, pipe, tmp_path, fmt):
    expected_dir = tmp_path / "expected"
    expected = run_local(job_for(models, corpus, expected_dir, fmt), pipe=pipe)
    want, want_errors = read_output(expected.output), read_errors(expected.errors_file)
    assert len(want) == N - len(BAD) and len(want_errors) == len(BAD)
    total = file_operations(lambda: run_local(job_for(models, corpus, tmp_path / "counted", fmt), pipe=pipe))
    rng = random.Random(fmt)
    # one kill in each sixth of the job's file operations (parts, state commits, assembly), and at its last one
    points = [rng.randint(1 + i * total // 6, (i + 1) * total // 6) for i in range(6)] + [total]
    for n, k in enumerate(points):
        out = tmp_path / f"k{k}"
        job = job_for(models, corpus, out, fmt)
        assert killed_at(k, lambda job=job: run_local(job, pipe=pipe)), f"no kill at file operation {k}"
        finished = False
        if n % 3 == 1:  # sometimes killed twice: once more in the run that continues
            finished = not killed_at(rng.randint(1, total // 2), lambda job=job: run_local(job, pipe=pipe))
        if not finished:
            run_local(job_for(models, corpus, out, fmt), pipe=pipe)
        assert read_output(job.output) == want, f"killed at file operation {k}"
        assert read_errors(job.errors) == want_errors
        assert not (out / f"out.{fmt}.parts").exists()


def test_a_sigkill_at_a_random_time(models, corpus, tmp_path):
    """`roberta predict` as a separate process, SIGKILLed a random moment after its job began, then run again."""
    out = tmp_path / "out.parquet"
    command = [
        sys.executable,
        "-m",
        "roberta",
        "predict",
        "--task",
        TASK,
        "--model",
        str(models[TASK]),
        "--input",
        str(corpus),
        "--output",
        str(out),
        "--part-rows",
        "2",
        "--progress",
        "never",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    parts = Path(str(out) + ".parts")
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while proc.poll() is None and not parts.exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # the job has begun once its work folder is there
    time.sleep(random.Random(5).uniform(0, 0.5))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    # unfinished unless the output is there and the work folder gone (a kill can land after the job ended)
    if not out.exists() or parts.exists():
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    rows = read_output(out)
    assert [r["id"] for r in rows] == [f"q{i}" for i in range(N) if i not in BAD]
    assert [e["row"] for e in read_errors(str(out) + ".errors.jsonl")] == list(BAD)


def test_other_arguments_do_not_continue_an_interrupted_job(models, corpus, pipe, tmp_path):
    job = job_for(models, corpus, tmp_path, "parquet")
    assert killed_at(12, lambda: run_local(job, pipe=pipe))
    other = PredictJob(TASK, models[TASK], corpus, tmp_path / "out.parquet", part_rows=4, options={"top_k": 2})
    with pytest.raises(ValueError, match="differ in: options"):
        run_local(other, pipe=pipe)
    other.overwrite = True
    assert run_local(other, pipe=pipe).rows_this_run == N

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

from roberta.pipelines import pipeline
from roberta.predict.job import PredictJob
from roberta.predict.local import run_local
from roberta_testing import killed_at

TASK = "text-classification"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Forked children run the model: with one intra-op thread, as an OpenMP pool does not survive a fork."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    data = [{"id": f"q{i}", "text": t} for i, t in enumerate(texts(30, seed=11))]
    for i in (3, 17):
        data[i]["text"] = ""  # bad rows go to the errors file exactly once too
    return write_input(tmp_path_factory.mktemp("resume") / "in.jsonl", data)


@pytest.fixture(scope="module")
def pipe(models):
    return pipeline(TASK, model=str(models[TASK]))


def job_for(models, corpus, out: Path, fmt: str) -> PredictJob:
    return PredictJob(TASK, models[TASK], corpus, out / f"out.{fmt}", part_rows=4)


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_killed_at_random_file_operations(models, corpus, pipe, tmp_path, fmt):
    expected_dir = tmp_path / "expected"
    expected = run_local(job_for(models, corpus, expected_dir, fmt), pipe=pipe)
    want, want_errors = read_output(expected.output), read_errors(expected.errors_file)
    assert len(want) == 28 and len(want_errors) == 2
    rng = random.Random(fmt)
    k, kills = rng.randint(1, 6), 0
    while True:  # kill at the k-th file operation of a run, for k spread over the whole job
        out = tmp_path / f"k{k}"
        job = job_for(models, corpus, out, fmt)
        if not killed_at(k, lambda job=job: run_local(job, pipe=pipe)):
            break
        kills += 1
        finished = False
        if kills % 3 == 0:  # sometimes killed twice: once more in the run that continues
            finished = not killed_at(rng.randint(1, 40), lambda job=job: run_local(job, pipe=pipe))
        if not finished:
            run_local(job_for(models, corpus, out, fmt), pipe=pipe)
        assert read_output(job.output) == want, f"killed at file operation {k}"
        assert read_errors(job.errors) == want_errors
        assert not (out / f"out.{fmt}.parts").exists()
        k += rng.randint(5, 19)
    assert kills >= 8  # the kills reached the whole job: parts, state commits, assembly


def test_a_sigkill_at_a_random_time(models, corpus, tmp_path):
    """`roberta predict` as a separate process, SIGKILLed after a random delay, then run again until done."""
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
    rng = random.Random(5)
    for attempt in range(3):
        proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(1, 4) * (attempt + 1))
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # unfinished unless the output is there and the work folder gone (a kill can land after the job ended)
    if not out.exists() or Path(str(out) + ".parts").exists():
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    rows = read_output(out)
    assert [r["id"] for r in rows] == [f"q{i}" for i in range(30) if i not in (3, 17)]
    assert [e["row"] for e in read_errors(str(out) + ".errors.jsonl")] == [3, 17]


def test_other_arguments_do_not_continue_an_interrupted_job(models, corpus, pipe, tmp_path):
    job = job_for(models, corpus, tmp_path, "parquet")
    assert killed_at(20, lambda: run_local(job, pipe=pipe))
    other = PredictJob(TASK, models[TASK], corpus, tmp_path / "out.parquet", part_rows=4, options={"top_k": 2})
    with pytest.raises(ValueError, match="differ in: options"):
        run_local(other, pipe=pipe)
    other.overwrite = True
    assert run_local(other, pipe=pipe).rows_this_run == 30

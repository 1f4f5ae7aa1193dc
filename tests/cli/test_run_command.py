"""`roberta run` / `fill-mask`: JSON lines out, one error line per bad input. `python -m roberta` runs in a
subprocess where the process matters (the first test, streaming, a terminal, Ctrl-C); the other cases call the
command line's `main` in this process with stdin, stdout and stderr replaced, which spares an interpreter
start-up per case."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

import pytest
from pipelines.pipeline_helpers import assert_same

from roberta.cli import main


def cli_process(*args, stdin: bytes = b""):
    """`python -m roberta ARGS` in a subprocess: (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "roberta", *map(str, args)], input=stdin, capture_output=True, timeout=120
    )
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def cli(*args, stdin: bytes = b""):
    """`roberta ARGS` in this process, stdin read from `stdin`: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin))), redirect_stdout(out):
        with redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:  # argparse's errors
                code = e.code
    return code, out.getvalue(), err.getvalue()


def test_run_fill_mask_json_lines(checkpoints, our_pipeline):
    lines = ["Paris is the <mask> of France.", "The <mask> sat on the <mask>.", "Hello <mask>!"]
    rc, out, err = cli_process(
        "run",
        "--task",
        "fill-mask",
        "--model",
        checkpoints["fill-mask"],
        "--top-k",
        2,
        "--batch-size",
        2,
        stdin=("\n".join(lines) + "\n").encode(),
    )
    assert rc == 0, err
    assert err == ""  # stderr is not a terminal: no progress bar by default
    rows = [json.loads(x) for x in out.splitlines()]
    pipe = our_pipeline("fill-mask", checkpoints["fill-mask"])
    assert_same(rows, [pipe(x, top_k=2) for x in lines])


def test_run_bad_lines_are_reported_and_skipped(checkpoints):
    stdin = b"Good <mask> one.\n\nno mask here\r\n   \nAnother <mask>.\n"
    rc, out, err = cli("run", "--task", "fill-mask", "--model", checkpoints["fill-mask"], stdin=stdin)
    assert rc == 1 and "Traceback" not in err
    errors = err.strip().splitlines()
    assert len(errors) == 3, err
    assert "line 2: empty line" in errors[0] and "line 3: no <mask>" in errors[1] and "line 4" in errors[2]
    assert len(out.splitlines()) == 2  # the two good lines were still processed


def test_run_binary_and_invalid_utf8(checkpoints):
    rc, out, err = cli(
        "run", "--task", "fill-mask", "--model", checkpoints["fill-mask"], stdin=b"\x7fELF\x00\x01\x02<mask>\n"
    )
    assert rc == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "binary" in err
    rc, out, err = cli(
        "run", "--task", "fill-mask", "--model", checkpoints["fill-mask"], stdin=b"ok <mask>\n\xff\xfe bad <mask>\n"
    )
    assert rc == 1 and "line 2: not valid UTF-8" in err and len(out.splitlines()) == 1


def test_missing_model_dir(tmp_path):
    rc, out, err = cli("run", "--task", "fill-mask", "--model", tmp_path / "missing", stdin=b"a <mask>\n")
    assert rc == 2 and "does not exist" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    rc, out, err = cli("fill-mask", "a <mask>", "--model", tmp_path / "missing")
    assert rc == 2 and "does not exist" in err and "Traceback" not in err


def test_gpu_request_without_gpu(checkpoints):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    rc, out, err = cli(
        "run", "--task", "fill-mask", "--model", checkpoints["fill-mask"], "--device", "cuda", stdin=b"a <mask>\n"
    )
    assert rc == 2 and "torch sees none" in err and "Traceback" not in err


def test_fill_mask_command(checkpoints, our_pipeline):
    rc, out, err = cli(
        "fill-mask",
        "Paris is the <mask> of France.",
        "--model",
        checkpoints["fill-mask"],
        "--top-k",
        3,
        "--format",
        "json",
    )
    assert rc == 0, err
    assert_same(
        json.loads(out), our_pipeline("fill-mask", checkpoints["fill-mask"])("Paris is the <mask> of France.", top_k=3)
    )
    rc, out, err = cli("fill-mask", "no mask", "--model", checkpoints["fill-mask"])
    assert rc == 2 and "no <mask>" in err and "Traceback" not in err
    rc, out, err = cli("fill-mask", "a <mask>", "--model", checkpoints["fill-mask"])  # for people to read
    assert rc == 0 and len(out.splitlines()) == 5 and "\t" in out


def test_run_other_tasks(checkpoints, our_pipeline):
    rc, out, err = cli(
        "run",
        "--task",
        "text-classification",
        "--model",
        checkpoints["text-classification"],
        "--top-k",
        2,
        stdin=b'great\n{"text": "a", "text_pair": "b"}\n',
    )
    assert rc == 0, err
    pipe = our_pipeline("text-classification", checkpoints["text-classification"])
    assert_same(
        [json.loads(x) for x in out.splitlines()],
        [pipe("great", top_k=2), pipe({"text": "a", "text_pair": "b"}, top_k=2)],
    )
    qa_in = json.dumps({"question": "Where?", "context": "In Berlin, today."}) + "\nWho?\tAnna did it.\nbad\n"
    rc, out, err = cli(
        "run", "--task", "question-answering", "--model", checkpoints["question-answering"], stdin=qa_in.encode()
    )
    assert rc == 1 and "line 3:" in err and len(err.strip().splitlines()) == 1
    rows = [json.loads(x) for x in out.splitlines()]
    assert len(rows) == 2 and set(rows[0]) == {"score", "start", "end", "answer"}
    rc, out, err = cli(
        "run",
        "--task",
        "ner",
        "--model",
        checkpoints["token-classification"],
        "-o",
        "aggregation_strategy=simple",
        "--format",
        "text",
        stdin=b"Anna lives in Berlin\n",
    )
    assert rc == 0 and out.strip(), err
    rc, out, err = cli(
        "run",
        "--task",
        "text-generation",
        "--model",
        checkpoints["text-generation"],
        "--greedy",
        "--max-new-tokens",
        4,
        stdin=b"Hello\n",
    )
    assert rc == 0, err
    assert json.loads(out)[0]["generated_text"].startswith("Hello")
    rc, out, err = cli(
        "run", "--task", "sentence-embedding", "--model", checkpoints["feature-extraction"], stdin=b"one\ntwo\n"
    )
    assert rc == 0 and [len(json.loads(x)) for x in out.splitlines()] == [32, 32]


def test_progress_bar_forced(checkpoints):
    lines = "".join(f"item {i} <mask>\n" for i in range(60)).encode()
    rc, out, err = cli(
        "run",
        "--task",
        "fill-mask",
        "--model",
        checkpoints["fill-mask"],
        "--top-k",
        1,
        "--batch-size",
        16,
        "--progress",
        "always",
        stdin=lines,
    )
    # a stream's length is not known ahead: a count of the inputs answered, ending at 60
    assert rc == 0 and len(out.splitlines()) == 60 and re.search(r"inputs\W+60(?!\d)", err), err


def _start_run(model, stdin) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "roberta", "run", "--task", "fill-mask", "--model", str(model), "--top-k", "1"],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _read_line(stream, timeout: float = 120) -> bytes:
    """One line of a child's output, or an AssertionError when none comes within `timeout` seconds."""
    import select

    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no line within the time limit"
    return stream.readline()


def test_run_answers_each_line_as_it_arrives(checkpoints, our_pipeline):
    proc = _start_run(checkpoints["fill-mask"], subprocess.PIPE)
    try:
        pipe = our_pipeline("fill-mask", checkpoints["fill-mask"])
        for text in ("Paris is the <mask> of France.", "Hello <mask>!"):
            proc.stdin.write(text.encode() + b"\n")
            proc.stdin.flush()  # and the input stays open: the answer must come before the end of input
            assert_same(json.loads(_read_line(proc.stdout)), pipe(text, top_k=1))
        proc.stdin.write(b"no mask here\n")
        proc.stdin.flush()
        assert b"line 3: no <mask>" in _read_line(proc.stderr)
        proc.stdin.close()
        assert proc.wait(timeout=60) == 1 and proc.stdout.read() == b""
    finally:
        proc.kill()


def test_run_on_a_terminal_hints_and_ctrl_c_while_reading_says_interrupted(checkpoints):
    import os
    import pty
    import signal

    master, slave = pty.openpty()
    proc = _start_run(checkpoints["fill-mask"], slave)
    os.close(slave)
    try:
        assert b"reading inputs from the terminal, one per line; Ctrl-D ends" in _read_line(proc.stderr)
        os.write(master, b"Hello <mask>!\n")
        assert json.loads(_read_line(proc.stdout))[0]["token_str"]  # typed, answered
        proc.send_signal(signal.SIGINT)  # waiting for the next line
        assert proc.wait(timeout=60) == 130
        err = proc.stderr.read().decode()
        assert err.strip() == "roberta run: interrupted" and "Traceback" not in err
    finally:
        proc.kill()
        os.close(master)

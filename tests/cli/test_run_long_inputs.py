"""`roberta run` on lines longer than the model reads: never cut silently. Without --truncation or a window,
such a line is one clean error line naming its token count and the limit (no traceback), the other lines are
still answered, exit status 1; --truncation cuts it as the pipeline's truncation=True does."""

from __future__ import annotations

import io
import json
import sys

from pipelines.pipeline_helpers import assert_same

from roberta.cli import main

LONG = "word " * 600  # about 600 tokens, over the 512 the checkpoints read


def run(monkeypatch, capsys, lines: list[str], *args) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("".join(x + "\n" for x in lines).encode())))
    rc = main(["run", *map(str, args), "--progress", "never"])
    out, err = capsys.readouterr()
    return rc, out, err


def test_a_long_line_is_one_clean_error(checkpoints, our_pipeline, monkeypatch, capsys):
    path = checkpoints["text-classification"]
    pipe = our_pipeline("text-classification", path)
    n = len(pipe.tokenizer(LONG)["input_ids"])
    rc, out, err = run(
        monkeypatch, capsys, ["short", LONG, "also short"], "--task", "text-classification", "--model", path
    )
    assert rc == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"roberta run: error: line 2: an input holds {n} tokens, more than the model's 512: pass truncation=True "
        "to cut it, or window=(length, stride) to read it in windows"
    ]
    assert len(out.splitlines()) == 2  # the other lines were answered
    rc, out, err = run(monkeypatch, capsys, [LONG], "--task", "text-classification", "--model", path, "--truncation")
    assert rc == 0 and err == ""
    assert_same(json.loads(out), pipe([LONG], truncation=True)[0])
    rc, out, err = run(
        monkeypatch, capsys, [LONG], "--task", "text-classification", "--model", path, "--window-length", 64
    )
    assert rc == 0 and json.loads(out)["label"] in {"NEG", "NEU", "POS"}


def test_fill_mask_and_embeddings_take_truncation(checkpoints, our_pipeline, monkeypatch, capsys):
    path = checkpoints["fill-mask"]
    text = "The <mask> ran. " + LONG
    rc, _, err = run(monkeypatch, capsys, [text], "--task", "fill-mask", "--model", path)
    assert rc == 1 and "more than the model's 512: pass truncation=True to cut it\n" in err
    rc, out, err = run(monkeypatch, capsys, [text], "--task", "fill-mask", "--model", path, "--truncation")
    assert rc == 0, err
    assert_same(json.loads(out), our_pipeline("fill-mask", path)(text, truncation=True))
    rc, out, err = run(monkeypatch, capsys, [LONG], "--task", "sentence-embedding", "--model", path, "--truncation")
    assert rc == 0 and len(out.split()) == 32, err

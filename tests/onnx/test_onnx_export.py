"""`export_onnx` / `roberta export onnx`: every head exports with dynamic axes and matches PyTorch; the int8 and
fp16 variants; the exported directory in the pipelines; bad input; nothing half-written on failure."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from pipelines.pipeline_helpers import assert_same  # tests/pipelines/, found through tests/ on the path

import roberta
from roberta.cli import main as cli_main
from roberta.onnx import export, export_onnx
from roberta.onnx.runner import open_session
from roberta.onnx.tasks import OUTPUTS
from roberta_testing import killed_when

EXPECTED_FILES = [
    "config.json",
    "merges.txt",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
]


def _inputs(choices: bool):
    """A batch of another size than export's trace and check inputs: 4 rows, 23 positions, uneven padding."""
    ids = torch.randint(4, 50000, (4, 23), generator=torch.Generator().manual_seed(5))
    mask = torch.ones_like(ids)
    for row, n in enumerate((23, 20, 9, 3)):
        ids[row, 0], ids[row, n - 1] = 0, 2
        ids[row, n:], mask[row, n:] = 1, 0
    if choices:  # 4 choices: the trace had 2, the check 3
        ids, mask = ids.view(1, 4, 23), mask.view(1, 4, 23)
    return ids, mask


@pytest.mark.parametrize(
    "task",
    [
        "fill-mask",
        "text-classification",
        "token-classification",
        "question-answering",
        "feature-extraction",
        "multiple-choice",
        "text-generation",
    ],
)
def test_every_head_exports_and_matches_pytorch(head_dirs, exports, task):
    result, out = exports[task]
    check = result.checks[0]
    assert check.variant == "float32" and check.max_abs_diff <= 1e-4 and check.argmax_agreement == 1.0
    assert sorted(os.listdir(out)) == EXPECTED_FILES
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == [result.model_class]

    session = open_session(str(out / "model.onnx"))
    names = OUTPUTS[result.model_class].names
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask"]
    assert [o.name for o in session.get_outputs()] == list(names)
    model = getattr(roberta, result.model_class).from_pretrained(head_dirs[task])
    ids, mask = _inputs(task == "multiple-choice")
    got = session.run(list(names), {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
    with torch.no_grad():
        want = model(input_ids=ids, attention_mask=mask)
    for name, value in zip(names, got):
        ref = getattr(want, name)
        assert value.shape == tuple(ref.shape)
        keep = mask.bool() if OUTPUTS[result.model_class].per_token else torch.ones(ref.shape[0], dtype=torch.bool)
        assert np.abs(value[keep.numpy()] - ref[keep].numpy()).max() <= 1e-4, name


def test_session_without_spinning_gives_the_same_outputs(exports):
    _, out = exports["feature-extraction"]
    default, quiet = open_session(str(out / "model.onnx")), open_session(str(out / "model.onnx"), 1, spinning=False)
    key = "session.intra_op.allow_spinning"
    assert quiet.get_session_options().get_session_config_entry(key) == "0"
    with pytest.raises(RuntimeError, match="does not have configuration"):  # not set: onnxruntime's default, spinning
        default.get_session_options().get_session_config_entry(key)
    ids, mask = _inputs(False)
    feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
    np.testing.assert_allclose(quiet.run(None, feeds)[0], default.run(None, feeds)[0], atol=1e-5)


def test_lighter_variants(head_dirs, exports, tmp_path, capsys):
    source, full = head_dirs["text-classification"], exports["text-classification"][1] / "model.onnx"
    native = roberta.pipeline("text-classification", model=str(source))
    for flag, variant in (("--int8", "int8"), ("--fp16", "float16")):
        out = tmp_path / variant
        assert cli_main(["export", "onnx", str(source), "-o", str(out), "--task", "sentiment-analysis", flag]) == 0
        printed = capsys.readouterr().out
        assert f"(text-classification), {variant}" in printed
        assert "check float32: max |onnxruntime - pytorch| = " in printed and "(allowed 1e-04)" in printed
        drift = float(printed.split(f"check {variant}: max |onnxruntime - pytorch| = ")[1].split(",")[0])
        assert sorted(os.listdir(out)) == EXPECTED_FILES
        assert (out / "model.onnx").stat().st_size < 0.6 * full.stat().st_size
        pipe = roberta.pipeline("text-classification", model=str(out), framework="onnx")
        got, want = pipe("a fine day", top_k=None), native("a fine day", top_k=None)
        assert {r["label"] for r in got} == {"NEG", "NEU", "POS"}
        by_label = {r["label"]: r["score"] for r in want}
        assert max(abs(r["score"] - by_label[r["label"]]) for r in got) <= drift + 0.05


@pytest.mark.parametrize(
    "task, inputs, options",
    [
        ("fill-mask", ["Paris is the <mask> of France.", "A <mask> day, said the <mask> man."], {"top_k": 3}),
        ("text-classification", ["a fine day", "the worst film"], {"top_k": None}),
        ("token-classification", ["Ada Lovelace met Charles Babbage in London."], {}),
        ("question-answering", [{"question": "Who met Babbage?", "context": "Ada Lovelace met Babbage."}], {}),
        ("feature-extraction", ["one text", "and a longer second text"], {}),
        ("sentence-embedding", ["one text", "and a longer second text"], {}),
    ],
)
def test_the_exported_directory_runs_in_the_pipelines(head_dirs, exports, task, inputs, options):
    exported = "feature-extraction" if task == "sentence-embedding" else task  # both run RobertaModel
    source, out = head_dirs[exported], exports[exported][1]
    onnx_pipe = roberta.pipeline(task, model=str(out), framework="onnx")
    native = roberta.pipeline(task, model=str(source))
    assert_same(onnx_pipe(inputs, **options), native(inputs, **options))


def test_the_runner_refuses_what_does_not_fit(head_dirs, exports):
    out = exports["fill-mask"][1]
    with pytest.raises(
        ValueError, match="runs a RobertaForMaskedLM; this pipeline needs a .*--task text-classification"
    ):
        roberta.pipeline("text-classification", model=str(out), framework="onnx")
    with pytest.raises(ValueError, match="dtype=torch.float16 does not apply to an ONNX model"):
        roberta.pipeline("fill-mask", model=str(out), framework="onnx", dtype="float16")
    with pytest.raises(FileNotFoundError, match="has no model.onnx: write one with `roberta export onnx"):
        roberta.pipeline("fill-mask", model=str(head_dirs["fill-mask"]), framework="onnx")
    with pytest.raises(ValueError, match="text-generation needs a key/value cache"):
        roberta.pipeline("text-generation", model=str(exports["text-generation"][1]), framework="onnx")


def test_bad_input_and_nothing_half_written(head_dirs, tmp_path, monkeypatch, capsys):
    mlm = str(head_dirs["fill-mask"])
    run = lambda *a: cli_main(["export", "onnx", *a])  # noqa: E731

    assert run(mlm, "-o", str(tmp_path / "a"), "--task", "summarization") == 2
    assert "unknown task 'summarization'; choose one of" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text((head_dirs["fill-mask"] / "config.json").read_text())
    assert run(str(tmp_path / "empty"), "-o", str(tmp_path / "b"), "--task", "fill-mask") == 2
    assert "holds no model weights" in capsys.readouterr().err
    assert run(str(tmp_path / "nowhere"), "-o", str(tmp_path / "c"), "--task", "fill-mask") == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    assert run(mlm, "-o", str(tmp_path / "taken"), "--task", "fill-mask") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err
    assert run(mlm, "-o", str(tmp_path / "d"), "--task", "text-classification") == 2
    assert "holds no weights for the text-classification head" in capsys.readouterr().err

    # a graph that fails the check, and an export that fails half-way: nothing is left behind
    assert run(mlm, "-o", str(tmp_path / "e"), "--task", "fill-mask", "--tolerance", "0") == 2
    assert "differs from the PyTorch model" in capsys.readouterr().err

    def fails_after_writing(model, model_class, path, opset):
        with open(path, "wb") as f:
            f.write(b"half an onnx model")
        raise RuntimeError("the exporter crashed")

    monkeypatch.setattr(export, "_export", fails_after_writing)
    with pytest.raises(RuntimeError, match="crashed"):
        export_onnx(mlm, tmp_path / "f", task="fill-mask")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "taken"]


def test_a_killed_export_leaves_a_staging_folder_that_the_next_export_removes(head_dirs, tmp_path):
    out = tmp_path / "out"

    def killed_export():
        torch.set_num_threads(1)  # no thread pool in the forked child (the parent's does not survive a fork)
        export_onnx(head_dirs["fill-mask"], out, task="fill-mask")

    assert killed_when(export, "_export", killed_export)  # killed inside its staging folder
    (stale,) = os.listdir(tmp_path)
    assert stale.startswith(".out.") and not out.exists()
    assert cli_main(["export", "onnx", str(head_dirs["fill-mask"]), "-o", str(out), "--task", "fill-mask"]) == 0
    assert os.listdir(tmp_path) == ["out"] and sorted(os.listdir(out)) == EXPECTED_FILES

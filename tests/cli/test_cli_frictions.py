"""The command line in a first week of use (issue 24, items 12 and 14): usage errors in one line with a
suggestion, the version flag, true help defaults, missing extras named, Ctrl-C at start-up without a traceback,
and the bundled model's supported uses loading without a warning about an untrained pooler."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import roberta
from roberta.cli import main as cli
from roberta.pipelines import default_model_dir

ROOT = Path(__file__).resolve().parents[2]
SRC = str(ROOT / "src")


def usage_error(args: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli(args)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "usage:" not in err and captured.out == "", err
    return err


def test_usage_errors_are_one_line_naming_the_command_with_a_suggestion(tmp_path, capsys):
    err = usage_error(["pretrain", "c.txt", "--tokenizer", "t", "-o", "o", "--size", "tiyn"], capsys)
    assert err.startswith("roberta pretrain: error: argument --size: invalid choice: 'tiyn'")
    assert "did you mean 'tiny'?" in err and "roberta pretrain --help" in err
    err = usage_error(["pretrian", "c.txt"], capsys)
    assert err.startswith("roberta: error: argument COMMAND: invalid choice") and "did you mean 'pretrain'?" in err
    err = usage_error(["fill-mask", "a <mask>", "--top_k", "3"], capsys)
    assert err.startswith("roberta fill-mask: error: unrecognized arguments: --top_k 3")
    assert "did you mean '--top-k'?" in err
    err = usage_error(["run", "--task", "fill-mask", "--format", "jsn"], capsys)
    assert err.startswith("roberta run: error:") and "did you mean 'json'?" in err
    err = usage_error(["finetune", "clasification", "-o", str(tmp_path)], capsys)
    assert "did you mean 'classification'?" in err


def test_version_flag_and_true_defaults_in_help(capsys):
    for flag in ("-V", "--version"):
        with pytest.raises(SystemExit):
            cli([flag])
        assert capsys.readouterr().out.strip() == f"roberta {roberta.__version__}"
    with pytest.raises(SystemExit):
        cli(["fill-mask", "--help"])
    fill_mask = " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        cli(["run", "--help"])
    run = " ".join(capsys.readouterr().out.split())
    assert "text: human-readable (default: text)" in fill_mask and "(default: json)" not in fill_mask
    assert "text: human-readable (default: json)" in run


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
    )


def test_missing_extras_name_the_extra_to_install(tmp_path):
    # sys.modules[name] = None makes `import name` fail as if the package were not installed
    export = ["export", "onnx", str(default_model_dir()), "-o", str(tmp_path / "x"), "--task", "fill-mask"]
    code = f"""
import sys
for name in ("uvicorn", "onnx", "onnxruntime", "tensorflow", "jax"):
    sys.modules[name] = None
from roberta.cli import main
print("serve", main(["serve", "--port", "0"]))
print("export", main({export!r}))
import roberta
for name in ("TFRobertaModel", "FlaxRobertaForMaskedLM"):
    try:
        getattr(roberta, name)
    except ImportError as e:
        print("import", e)
try:
    roberta.pipeline("fill-mask", framework="onnx")
except ImportError as e:
    print("pipeline", e)
"""
    proc = python(code)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    out, err = proc.stdout.splitlines(), proc.stderr.strip().splitlines()
    assert out[:2] == ["serve 2", "export 2"], proc.stdout
    assert err == [
        'roberta serve: error: uvicorn is not installed (the HTTP server needs it): pip install "roberta[serve]"',
        'roberta export: error: onnx is not installed (the ONNX export needs it): pip install "roberta[onnx]"',
    ]
    assert out[2] == 'import tensorflow is not installed (TFRobertaModel needs it): pip install "roberta[tf]"'
    assert out[3] == 'import jax is not installed (FlaxRobertaForMaskedLM needs it): pip install "roberta[flax]"'
    assert out[4] == "pipeline onnxruntime is not installed (framework='onnx' needs it): pip install \"roberta[onnx]\""
    assert not (tmp_path / "x").exists()


def test_ctrl_c_during_start_up_prints_no_traceback(monkeypatch, capsys):
    import roberta.cli as cli_module

    def interrupted(name):
        raise KeyboardInterrupt  # Ctrl-C while a command's modules (torch, ...) are imported

    monkeypatch.setattr(cli_module, "_module", interrupted)
    try:
        status = cli(["pretrain", "--help"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C at start-up escaped main: a traceback")
    assert status == 130
    assert capsys.readouterr().err == "roberta: interrupted\n"
    # and while `python -m roberta` imports the command line itself
    code = """
import runpy, sys
class Interrupt:
    def find_spec(self, name, path, target=None):
        if name == "roberta.cli":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
runpy.run_module("roberta", run_name="__main__")
"""
    proc = python(code)
    assert proc.returncode == 130 and proc.stderr == "roberta: interrupted\n", proc.stderr


def test_the_bundled_model_embeds_without_a_pooler_warning(caplog):
    text = "The river runs past the old mill."
    model = roberta.RobertaModel.from_pretrained(default_model_dir()).eval()  # with a pooler, newly initialised
    tok = roberta.AutoTokenizer.from_pretrained(default_model_dir())
    with torch.no_grad():
        hidden = model(**tok(text, return_tensors="pt")).last_hidden_state[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        features = roberta.pipeline("feature-extraction")(text)
        vector = roberta.pipeline("sentence-embedding")(text)
    assert not [r for r in caplog.records if "newly initialized" in r.getMessage()], caplog.text
    torch.testing.assert_close(torch.tensor(features[0]), hidden, atol=1e-5, rtol=1e-5)  # the same outputs
    mean = hidden.mean(0)
    torch.testing.assert_close(torch.tensor(vector), mean / mean.norm(), atol=1e-5, rtol=1e-5)

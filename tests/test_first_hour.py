"""A newcomer's first hour (issue 13), walked item by item: limits, documented commands, no random answers,
hub ids everywhere, one-line errors, nothing accepted silently, docs that match, CLI polish, small inputs."""

from __future__ import annotations

import json
import logging
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import roberta
from roberta.cli import main as cli
from roberta.cli import parse_args
from roberta.pipelines import default_model_dir
from roberta_testing import shared_dir

ROOT = Path(__file__).resolve().parents[1]
SRC = str(ROOT / "src")
PARAGRAPH = " ".join(f"Sentence {i} says that the river runs past the old mill near Paris." for i in range(40))
TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")


def run(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "roberta", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin", **(env or {})},
    )


def small_checkpoint(path: Path, cls: str, positions: int = 34, **config) -> Path:
    """A random-weight checkpoint that reads `positions - 2` tokens, with the real tokenizer beside it."""
    torch.manual_seed(0)
    fields = dict(vocab_size=50265, hidden_size=32, num_hidden_layers=1, num_attention_heads=4)
    fields.update(intermediate_size=37, max_position_embeddings=positions, initializer_range=0.4, **config)
    getattr(roberta, cls)(roberta.RobertaConfig(**fields)).save_pretrained(path)
    for name in TOKENIZER_FILES:
        shutil.copy(shared_dir() / name, path / name)
    return path


# 1. Limits ------------------------------------------------------------------------------------------------
def test_the_bundled_tokenizer_says_what_the_model_reads_and_long_text_says_how_to_read_it():
    tok = roberta.AutoTokenizer.from_pretrained(default_model_dir())
    model = roberta.AutoModelForMaskedLM.from_pretrained(default_model_dir())
    assert tok.model_max_length == model.config.usable_positions == 64
    inputs = tok(PARAGRAPH, truncation=True, return_tensors="pt")  # the canonical snippet
    assert model(**inputs).logits.shape[1] == 64
    n = len(tok(PARAGRAPH)["input_ids"])
    with pytest.raises(ValueError, match=f"holds {n} tokens, more than the model's 64: pass truncation=True"):
        roberta.pipeline("feature-extraction")(PARAGRAPH)  # never cut silently
    assert len(roberta.pipeline("fill-mask")("The <mask> runs. " + PARAGRAPH, truncation=True)) == 5
    features = roberta.pipeline("feature-extraction")(PARAGRAPH, truncation=True)
    assert len(features[0]) == 64
    assert len(roberta.pipeline("sentence-embedding")(PARAGRAPH, window=(64, 16))) == model.config.hidden_size
    with pytest.raises(ValueError, match="lies beyond the first 64 tokens"):
        roberta.pipeline("fill-mask")(PARAGRAPH + " The <mask> ends.", truncation=True)
    proc = run("run", "--task", "fill-mask", "--truncation", stdin="The <mask> runs. " + PARAGRAPH + "\n")
    assert proc.returncode == 0 and len(json.loads(proc.stdout)) == 5, proc.stderr


def test_ner_and_qa_window_long_text_and_classification_asks(tmp_path):
    ner = small_checkpoint(tmp_path / "ner", "RobertaForTokenClassification", id2label={0: "O", 1: "B-LOC"})
    pipe = roberta.pipeline("ner", model=ner, ignore_labels=[])
    tokens = pipe(PARAGRAPH)
    words = len(pipe.tokenizer(PARAGRAPH, add_special_tokens=False)["input_ids"])
    assert pipe.max_length == 32 and words > 4 * 32
    assert [t["index"] for t in tokens] == list(range(1, words + 1))  # every token once, windows merged
    assert tokens[-1]["end"] == len(PARAGRAPH) and tokens[0]["start"] == 0
    qa = small_checkpoint(tmp_path / "qa", "RobertaForQuestionAnswering")
    answer = roberta.pipeline("question-answering", model=qa)(question="Where is the mill?", context=PARAGRAPH)
    assert answer["answer"] == PARAGRAPH[answer["start"] : answer["end"]]
    cls = small_checkpoint(tmp_path / "cls", "RobertaForSequenceClassification")
    classify = roberta.pipeline("text-classification", model=cls)
    with pytest.raises(ValueError, match="more than the model's 32: pass truncation=True to cut it, or window="):
        classify(PARAGRAPH)
    assert "label" in classify(PARAGRAPH, truncation=True)[0] and "label" in classify(PARAGRAPH, window=(32, 8))[0]


def test_pretrain_saves_the_model_limit_in_its_tokenizer(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(f"line {i} of the corpus .\n" for i in range(50)))
    out = tmp_path / "run"
    args = ["pretrain", str(corpus), "--tokenizer", str(shared_dir()), "--size", "tiny", "--max-seq-length", "24"]
    assert cli([*args, "-o", str(out), "--max-steps", "1", "--no-progress", "--batch-size", "4"]) == 0
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 24
    assert roberta.AutoTokenizer.from_pretrained(out).model_max_length == 24


# 2. Documented commands -------------------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z_]*|KEY=VALUE|\.\.\.)$")


def documented_commands() -> list[str]:
    """Every `roberta ...` command in README.md and docs/*.md code (fenced or indented blocks)."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text, in_fence = path.read_text(), False
        lines = text.replace("\\\n", " ").splitlines()
        for line in lines:
            if line.strip().startswith("```"):
                in_fence = not in_fence
                continue
            if not (in_fence or line.startswith("    ")):
                continue
            code = line.split("  #")[0].strip()
            match = re.search(r"(?:^|\| |-m )(?:\.venv/bin/)?(roberta(?: .*)?)$", code)
            if match and not match.group(1).startswith("roberta."):
                found.append(match.group(1).split(" < ")[0])
    return found


def _prints_help(words: list[str]) -> bool:
    """Whether `roberta WORDS` (`--help`, `--version`, `COMMAND --help`) prints and exits 0, in this process."""
    with pytest.raises(SystemExit) as exit_:
        parse_args(words)
    return exit_.value.code in (0, None)


def test_every_documented_command_parses_and_the_runnable_ones_run(capsys):
    commands = documented_commands()
    assert any(c.startswith("roberta finetune text-classification") for c in commands) and len(commands) >= 8
    for command in commands:
        words = shlex.split(command)[1:]
        if not words or words[0].startswith("-"):  # roberta --help, roberta --version
            assert _prints_help(words or ["--help"]), command
        elif any("[" in w or "|" in w for w in words):  # a synopsis: the command and its help exist
            assert _prints_help([words[0], "--help"]), command
        elif any(PLACEHOLDER.match(w) for w in words):
            assert _prints_help([words[0], "--help"]), command
        else:
            parse_args(words)  # every option and choice as written (SystemExit 2 if not)
    capsys.readouterr()
    text = run("fill-mask", "A dog is a domestic <mask>.")
    assert text.returncode == 0 and "\t" in text.stdout and not text.stdout.startswith("[")


# 3. Nothing random --------------------------------------------------------------------------------------------
def test_tasks_the_bundled_model_cannot_answer_say_how_to_get_a_model():
    for task in ("sentiment-analysis", "ner", "question-answering", "text-generation"):
        with pytest.raises(ValueError, match="roberta finetune"):
            roberta.pipeline(task)
    proc = run("run", "--task", "ner", stdin="Anna lives in Paris.\n")
    assert proc.returncode == 2 and "roberta finetune token-classification" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_untrained_head_warns_and_answers_the_same_every_time(tmp_path, caplog):
    base = small_checkpoint(tmp_path / "base", "RobertaForMaskedLM")
    state = torch.get_rng_state()
    with caplog.at_level(logging.WARNING, logger="roberta"):
        first = roberta.pipeline("sentiment-analysis", model=base)(["good", "bad", "fine"], top_k=None)
    assert all(part in caplog.text for part in ("newly initialized", "TRAIN this model", "roberta finetune"))
    assert roberta.pipeline("sentiment-analysis", model=base)(["good", "bad", "fine"], top_k=None) == first
    assert torch.equal(torch.get_rng_state(), state)  # the caller's random state is untouched


# 4. Hub ids everywhere --------------------------------------------------------------------------------------------
def test_a_cached_hub_id_works_in_pipeline_and_run(tmp_path, monkeypatch):
    snapshot = tmp_path / "hub" / "models--someone--tiny" / "snapshots" / "abc"
    small_checkpoint(snapshot, "RobertaForMaskedLM")
    (tmp_path / "hub" / "models--someone--tiny" / "refs").mkdir()
    (tmp_path / "hub" / "models--someone--tiny" / "refs" / "main").write_text("abc")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))  # read at import
    assert len(roberta.pipeline("fill-mask", model="someone/tiny")("a <mask>.")) == 5
    proc = run(
        "run",
        "--task",
        "fill-mask",
        "--model",
        "someone/tiny",
        stdin="a <mask>.\n",
        env={"HF_HUB_CACHE": str(tmp_path / "hub")},
    )
    assert proc.returncode == 0 and len(json.loads(proc.stdout)) == 5, proc.stderr
    with pytest.raises(FileNotFoundError, match="never downloads"):
        roberta.pipeline("fill-mask", model="someone/absent")


# 5. + 6. One-line errors, nothing accepted silently -----------------------------------------------------------
def one_line_error(args: list[str], capsys) -> str:
    assert cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_training_commands_fail_in_one_line(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c .\n" * 20)
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (empty / name).write_text("x")
    out = tmp_path / "o"
    err = one_line_error(["pretrain", str(corpus), "--tokenizer", str(empty), "--size", "tiny", "-o", str(out)], capsys)
    assert str(empty) in err and "tokenizer.json" in err and "a.txt" not in err
    err = one_line_error(
        [
            "finetune",
            "text-classification",
            "--model",
            str(tmp_path / "missing"),
            "--train-file",
            str(corpus),
            "-o",
            str(out),
        ],
        capsys,
    )
    assert "model" in err and "missing" in err and "tokenizer" not in err
    err = one_line_error(
        [
            "pretrain",
            str(corpus),
            "--tokenizer",
            str(shared_dir()),
            "--size",
            "tiny",
            "-o",
            str(out),
            "--config-override",
            "hidden_sise=64",
        ],
        capsys,
    )
    assert "'hidden_sise' is not a config field (did you mean 'hidden_size'?)" in err
    assert not out.exists()  # failed runs leave no output folder behind
    with pytest.raises(SystemExit) as exit_info:  # checked by the parser, before any data is read
        cli(["pretrain", str(corpus), "--tokenizer", str(shared_dir()), "--size", "huge", "-o", str(out)])
    assert exit_info.value.code == 2 and "invalid choice: 'huge'" in capsys.readouterr().err


def test_a_tokenizer_smaller_than_asked_says_so(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat .\n" * 50)
    assert cli(["train-tokenizer", str(corpus), "-o", str(tmp_path / "tok"), "--vocab-size", "50265"]) == 0
    size = len(roberta.AutoTokenizer.from_pretrained(tmp_path / "tok"))
    assert size < 50265 and f"the vocabulary has {size:,} entries, not the 50,265 asked for" in capsys.readouterr().err


# 7. Docs that match ------------------------------------------------------------------------------------------------
def test_docs_describe_what_ships():
    readme = (ROOT / "README.md").read_text()
    assert '".[train]"' in readme and "../shared/roberta-base/" in readme and "64 tokens" in readme
    assert "not bundled" not in (ROOT / "docs" / "pipelines.md").read_text()
    assert "step-00001000" in (ROOT / "docs" / "training.md").read_text()


def test_examples_run():
    for example in sorted((ROOT / "examples").glob("*.py")):
        proc = subprocess.run(
            [sys.executable, str(example)], capture_output=True, text=True, timeout=300, env={"PYTHONPATH": SRC}
        )
        assert proc.returncode == 0, (example.name, proc.stderr[-2000:])


# 8. CLI polish ------------------------------------------------------------------------------------------------------
def test_version_help_defaults_and_separate_eval_panels(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit):
        cli(["--version"])
    assert capsys.readouterr().out.strip() == f"roberta {roberta.__version__}"
    with pytest.raises(SystemExit):
        cli(["pretrain", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--size {tiny,mini,small,base} size preset when starting from scratch (default: base)" in help_text
    assert "this many positions (the saved tokenizer says so) (default: 512)" in help_text
    assert "(default: None) (default" not in help_text
    import matplotlib.pyplot as plt

    from roberta.training.logs import plot_metrics

    rows = [{"step": 1, "loss": 3.0, "lr": 1e-4}, {"step": 1, "eval_loss": 3.1, "eval_perplexity": 22.0}]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    shapes = []
    real = plt.subplots
    monkeypatch.setattr(plt, "subplots", lambda n, *a, **k: shapes.append(n) or real(n, *a, **k))
    assert plot_metrics(tmp_path / "m.jsonl", tmp_path / "m.png") is not None
    assert shapes == [4]  # loss, lr, eval loss, eval perplexity: one panel each


# 9. Small inputs --------------------------------------------------------------------------------------------------
def test_small_and_odd_inputs_get_clear_errors():
    model = roberta.RobertaModel(
        roberta.RobertaConfig(
            vocab_size=99, hidden_size=32, num_attention_heads=4, num_hidden_layers=1, intermediate_size=37
        )
    )
    with pytest.raises(ValueError, match="is empty"):
        model(input_ids=torch.zeros(2, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="is empty"):
        model(input_ids=torch.zeros(0, 4, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.uint8"):
        model(input_ids=torch.ones(1, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"token_type_ids must have the shape of input_ids, \(1, 4\), got \(1, 3\)"):
        model(input_ids=torch.ones(1, 4, dtype=torch.long), token_type_ids=torch.zeros(1, 3, dtype=torch.long))
    assert roberta.pipeline("fill-mask")([]) == []


def test_tiny_model_tests_run_without_the_shared_files_and_the_others_say_what_they_need(tmp_path):
    env = {"PYTHONPATH": SRC, "ROBERTA_TEST_SHARED": str(tmp_path / "absent"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-rE", "-n", "0"]
    proc = subprocess.run([*command, "tests/test_config.py"], env=env, capture_output=True, text=True, cwd=ROOT)
    summary = proc.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed, 1 error", summary), proc.stdout[-2000:]  # one test there reads config.json
    assert (
        "test_roberta_base_config_file" in proc.stdout and "put the shared/ folder beside the repository" in proc.stdout
    )

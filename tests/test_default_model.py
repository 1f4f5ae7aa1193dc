"""The bundled default model: small, fp16, documented, and used when no model is given."""

from __future__ import annotations

import json
import subprocess
import sys

import torch
import transformers

import roberta
from roberta.pipelines import default_model_dir

SEED = "Plants create <mask> through a process known as photosynthesis."
FITTING = {"energy", "food", "oxygen", "sugar", "sugars", "glucose", "carbohydrates", "starch", "nutrients"}


def test_bundled_files_are_small_fp16_and_documented():
    d = default_model_dir()
    weights = d / "model.safetensors"
    assert weights.stat().st_size <= 40 * 2**20
    with open(weights, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} == {"F16"}
    card = (d / "README.md").read_text()
    assert (
        "WordNet" in card and "Austen" in card and "Moby-Dick" in card and "licence" in card and "top1_accuracy" in card
    )
    for name in ("vocab.json", "merges.txt", "tokenizer.json", "config.json"):
        assert (d / name).is_file()


def test_pipeline_without_a_model_uses_the_bundled_one():
    fill = roberta.pipeline("fill-mask")
    out = fill(SEED)
    assert len(out) == 5 and all(r["sequence"].startswith("Plants create") for r in out)
    scores = [r["score"] for r in out]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6


def test_bundled_model_loads_in_the_reference_with_the_same_logits():
    d = default_model_dir()
    ours = roberta.RobertaForMaskedLM.from_pretrained(d)
    ref = transformers.RobertaForMaskedLM.from_pretrained(d).eval()
    ids = roberta.RobertaTokenizerFast.from_pretrained(d)(SEED, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert (ours(input_ids=ids).logits - ref(input_ids=ids).logits).abs().max() < 2e-4


def test_cli_on_the_bundled_model_as_a_new_user_runs_it():
    run = subprocess.run(
        [sys.executable, "-m", "roberta", "run", "--task", "fill-mask"],
        input=SEED + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 1
    results = json.loads(lines[0])
    assert len(results) == 5 and {"score", "token", "token_str", "sequence"} <= set(results[0])
    words = {r["token_str"].strip() for r in results}
    assert words & FITTING, f"no fitting word for the seed sentence in {words}"


def test_bundled_model_was_trained_not_random():
    # A random or unigram model cannot put "water" after "a glass of" among 50,265 tokens.
    words = [r["token_str"].strip() for r in roberta.pipeline("fill-mask")("She drank a glass of <mask>.")]
    assert "water" in words, words

"""Helpers shared by the training tests (data generators, CLI argument lists, metrics reading)."""

from __future__ import annotations

import json
import random
from pathlib import Path

NAMES = ["alice", "bob", "carol", "dave", "erin", "frank"]
VERBS = ["likes", "sees", "helps", "calls", "finds", "meets"]
OBJECTS = ["the cat", "the dog", "a bird", "the fish", "a horse", "the cow"]
TINY_MODEL = [
    "--config-override",
    "hidden_size=64",
    "--config-override",
    "intermediate_size=128",
    "--config-override",
    "num_attention_heads=4",
]


def write_corpus(path: Path, documents: int, seed: int = 0) -> Path:
    """Documents of 1-4 sentences; each sentence's verb is fixed by its subject, so MLM can learn it."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(documents):
            for _ in range(rng.randint(1, 4)):
                n = rng.randrange(len(NAMES))
                f.write(f"{NAMES[n]} {VERBS[n]} {OBJECTS[rng.randrange(len(OBJECTS))]} .\n")
            f.write("\n")
    return path


def pretrain_args(corpus: Path, tokenizer_dir: Path, out: Path, *extra: str) -> list[str]:
    return [
        "pretrain",
        str(corpus),
        "--tokenizer",
        str(tokenizer_dir),
        "--size",
        "tiny",
        "--max-seq-length",
        "32",
        "-o",
        str(out),
        "--batch-size",
        "16",
        "--lr",
        "2e-3",
        "--warmup",
        "10",
        "--no-progress",
        *TINY_MODEL,
        *extra,
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_metrics(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]


def finetune(task: str, model: Path, train: Path, valid: Path, out: Path, *extra: str) -> list[str]:
    return [
        "finetune",
        task,
        "--model",
        str(model),
        "--train-file",
        str(train),
        "--validation-file",
        str(valid),
        "-o",
        str(out),
        "--no-progress",
        "--lr",
        "2e-3",
        "--warmup",
        "0.1",
        *extra,
    ]


def results(out: Path) -> dict:
    return json.loads((out / "train_results.json").read_text())

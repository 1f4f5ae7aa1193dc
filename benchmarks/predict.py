"""Batch-inference benchmark: `roberta predict` against the loop a user writes around the reference's pipeline().

    python benchmarks/predict.py                        # 20,000 mixed-length rows, roberta-base size
    python benchmarks/predict.py --rows 200 --layers 2 --hidden 32 --no-ray    # a quick check that it runs

One corpus of `--rows` JSON Lines rows, 8 to 256 words each (log-uniform), is labelled three ways by the same
random-weight text classifier (real roberta-base tokenizer):

* the baseline: the reference's `transformers.pipeline("text-classification", batch_size=B)` over chunks of
  1,024 rows read from the file, each result written as a JSON line: the loop a user writes by hand;
* `roberta predict` (the local engine: token-budget batches, Parquet output, resumable);
* `roberta predict --engine ray` with 2 actors (`--cpus-per-actor` each) on a local Ray.

Reported: rows/s of each and the ratio of `roberta predict` to the baseline. Torch runs `--threads` threads in
this process; the Ray actors get their CPUs' worth each. The figures go to stdout as a Markdown table (and,
with `--results`, into the "## Batch inference" section of benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

# the reference would otherwise import every installed framework at start-up
for _name in ("USE_TF", "USE_FLAX", "USE_JAX"):
    os.environ.setdefault(_name, "0")

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "roberta-base"
TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")
WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
    "they you were her she there been one all we their has would when if so no will more can what out up who"
).split() + ["Paris", "London", "Marie", "Curie", "science", "river", "mountain", "library", "music", "engine"]


def make_model(root: Path, layers: int, hidden: int) -> Path:
    """A random-weight RobertaForSequenceClassification of the given size with the roberta-base tokenizer."""
    import torch

    import roberta

    torch.manual_seed(0)
    config = roberta.RobertaConfig(
        num_hidden_layers=layers,
        hidden_size=hidden,
        num_attention_heads=max(1, hidden // 64),
        intermediate_size=4 * hidden,
        num_labels=3,
    )
    path = root / "model"
    roberta.RobertaForSequenceClassification(config).eval().save_pretrained(path)
    for name in TOKENIZER_FILES:
        if (SHARED / name).is_file():
            shutil.copy(SHARED / name, path / name)
    return path


def make_corpus(path: Path, rows: int, seed: int = 0) -> Path:
    """`rows` JSON Lines rows {"id", "text"}, 8 to 256 words, log-uniform."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            n = int(math.exp(rng.uniform(math.log(8), math.log(256))))
            f.write(json.dumps({"id": i, "text": " ".join(rng.choices(WORDS, k=n))}) + "\n")
    return path


def hand_loop(model: Path, corpus: Path, out: Path, batch_size: int) -> float:
    """The reference's pipeline over chunks of the file, results as JSON lines; returns the seconds."""
    import transformers

    transformers.logging.set_verbosity_error()
    start = time.perf_counter()
    pipe = transformers.pipeline("text-classification", model=str(model), device=-1)

    def flush(ids: list, texts: list, sink) -> None:
        for i, r in zip(ids, pipe(texts, batch_size=batch_size, truncation=True)):
            sink.write(json.dumps({"id": i, **r}) + "\n")

    with open(corpus, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as sink:
        ids, texts = [], []
        for line in f:
            row = json.loads(line)
            ids.append(row["id"])
            texts.append(row["text"])
            if len(texts) == 1024:
                flush(ids, texts, sink)
                ids, texts = [], []
        if texts:
            flush(ids, texts, sink)
    return time.perf_counter() - start


def ours(model: Path, corpus: Path, out: Path, **kwargs) -> float:
    from roberta.predict import predict

    start = time.perf_counter()
    predict("text-classification", model, corpus, out, overwrite=True, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--batch-size", type=int, default=32, help="the baseline's pipeline batch_size")
    parser.add_argument("--batch-tokens", type=int, default=8192, help="roberta predict's token budget")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in this process")
    parser.add_argument("--cpus-per-actor", type=float, default=1.0)
    parser.add_argument("--no-ray", action="store_true", help="leave the Ray engine out")
    parser.add_argument("--results", action="store_true", help="write the section of benchmarks/RESULTS.md")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    root = Path(tempfile.mkdtemp(prefix="predict-bench-"))
    try:
        model = make_model(root, args.layers, args.hidden)
        corpus = make_corpus(root / "corpus.jsonl", args.rows)
        rows = args.rows
        base = hand_loop(model, corpus, root / "baseline.jsonl", args.batch_size)
        local = ours(model, corpus, root / "local.parquet", batch_tokens=args.batch_tokens)
        table = [
            "| runner | rows/s | ratio to the baseline |",
            "|---|---|---|",
            f"| reference pipeline(), batch_size={args.batch_size}, hand loop | {rows / base:.1f} | 1.00x |",
            f"| roberta predict (local, {args.batch_tokens} tokens per batch) | {rows / local:.1f} "
            f"| {base / local:.2f}x |",
        ]
        if not args.no_ray:
            import ray

            ray.init(num_cpus=max(3, math.ceil(2 * args.cpus_per_actor) + 1), include_dashboard=False)
            remote = ours(
                model,
                corpus,
                root / "ray.parquet",
                engine="ray",
                num_actors=2,
                cpus_per_actor=args.cpus_per_actor,
                batch_tokens=args.batch_tokens,
            )
            ray.shutdown()
            table.append(f"| roberta predict --engine ray, 2 actors | {rows / remote:.1f} | {base / remote:.2f}x |")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    machine = (
        f"{platform.processor() or platform.machine()}; torch threads {torch.get_num_threads()}; "
        f"torch {torch.__version__}; Python {platform.python_version()}"
    )
    section = "\n".join(
        [
            "## Batch inference",
            "",
            f"Machine: {machine}",
            f"Command: `python benchmarks/predict.py --rows {rows} --layers {args.layers} --hidden {args.hidden}` "
            f"({rows} mixed-length rows, 8-256 words; seconds include loading the model).",
            "",
            *table,
            "",
        ]
    )
    print(section)
    if args.results:
        results = HERE / "RESULTS.md"
        text = results.read_text(encoding="utf-8")
        pattern = re.compile(r"## Batch inference\n.*?(?=\n## |\Z)", re.S)
        text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
        results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

"""Small corpora and file helpers for the `roberta predict` tests."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

WORDS = "the cat sat on a mat while Paris slept and John wrote long letters to Mary about <mask> things".split()


def texts(n: int, seed: int = 0, mask: bool = True) -> list[str]:
    """`n` texts of mixed lengths (1 to 60 words), each with one <mask> when `mask`."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [w for w in rng.choices(WORDS, k=rng.randint(1, 60)) if w != "<mask>"]
        if mask:
            words.insert(rng.randrange(len(words) + 1), "<mask>")
        out.append(" ".join(words))
    return out


def write_input(path: Path, rows: list[dict]) -> Path:
    """`rows` as JSON Lines, CSV or Parquet, by `path`'s extension."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        import csv

        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=7)
    return path


def read_output(path: Path) -> list[dict]:
    """The rows of a Parquet file or folder, or of a JSON Lines file."""
    if str(path).endswith(".jsonl"):
        return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    return pq.read_table(path).to_pylist()


def read_errors(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]

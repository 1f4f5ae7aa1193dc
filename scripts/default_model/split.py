"""Write a corpus builder's documents as `train.txt` and `heldout.txt` (documents between blank lines)."""

from __future__ import annotations

from pathlib import Path


def write_split(docs: list[str], out_dir: str, unit: str, every: int = 20, at: int = 19) -> None:
    """Document i goes to `heldout.txt` when i % every == at, otherwise to `train.txt`."""
    train = [d for i, d in enumerate(docs) if i % every != at]
    heldout = [d for i, d in enumerate(docs) if i % every == at]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.txt").write_text("\n\n".join(train) + "\n", encoding="utf-8")
    (out / "heldout.txt").write_text("\n\n".join(heldout) + "\n", encoding="utf-8")
    words = sum(len(d.split()) for d in train)
    print(f"{len(train)} {unit} ({words} words) for training, {len(heldout)} held out")

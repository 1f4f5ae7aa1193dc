"""Turn WordNet 3.0 (Debian package `wordnet-base`, WordNet 3.0 licence) into English training text.

Each synset becomes a short document: "<lemma>: <gloss>." followed by its example sentences, with a blank
line between documents. Every 40th synset is held out for evaluation.

    python build_corpus.py WORDNET_DIR OUT_DIR      # WORDNET_DIR holds data.noun, data.verb, ...
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path


def synsets(wordnet_dir: Path):
    for part in ("noun", "verb", "adj", "adv"):
        for line in (wordnet_dir / f"data.{part}").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(" ") or "|" not in line:
                continue  # licence header
            head, gloss = line.split("|", 1)
            fields = head.split()
            count = int(fields[3], 16)
            lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).replace("_", " ") for i in range(count)]
            yield lemmas, gloss.strip()


def document(lemmas: list[str], gloss: str) -> str:
    examples = re.findall(r'"([^"]+)"', gloss)
    definition = re.sub(r'"[^"]*"', "", gloss).strip(" ;")
    lines = []
    if definition:
        names = lemmas[0] if len(lemmas) == 1 else f"{lemmas[0]} (also {', '.join(lemmas[1:4])})"
        lines.append(f"{names}: {definition}.")
    for ex in examples:
        ex = ex.strip()
        if ex:
            lines.append(ex[0].upper() + ex[1:] + ("" if ex[-1] in ".!?" else "."))
    return "\n".join(lines)


def main(wordnet_dir: str, out_dir: str) -> None:
    docs = [document(lemmas, gloss) for lemmas, gloss in synsets(Path(wordnet_dir))]
    docs = [d for d in docs if d]
    random.Random(0).shuffle(docs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    held = [d for i, d in enumerate(docs) if i % 40 == 0]
    train = [d for i, d in enumerate(docs) if i % 40 != 0]
    (out / "train.txt").write_text("\n\n".join(train) + "\n", encoding="utf-8")
    (out / "heldout.txt").write_text("\n\n".join(held) + "\n", encoding="utf-8")
    print(f"{len(train)} training documents, {len(held)} held out, "
          f"{sum(len(d.split()) for d in train)} training words")


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""Turn WordNet 3.0 (Debian package `wordnet-base`, WordNet 3.0 licence) into English training text.

Each synset becomes a short document, with a blank line between documents; every 40th synset is held out
for evaluation. Two styles of the same content:

- `gloss` (stage 1): "<lemma> (also <synonyms>): <gloss>." followed by its example sentences;
- `sentences` (stage 2): the definition as an English sentence ("A holophyte is an organism that ...",
  "To oversee is to watch and direct.", "Photosynthetic means relating to ..."), then the examples, so the
  model also sees definitions as running text rather than as dictionary entries.

    python build_corpus.py WORDNET_DIR OUT_DIR [gloss|sentences]   # WORDNET_DIR holds data.noun, data.verb, ...
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from split import write_split


def synsets(wordnet_dir: Path):
    for part in ("noun", "verb", "adj", "adv"):
        for line in (wordnet_dir / f"data.{part}").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(" ") or "|" not in line:
                continue  # licence header
            head, gloss = line.split("|", 1)
            fields = head.split()
            count = int(fields[3], 16)
            lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).replace("_", " ") for i in range(count)]
            yield part, lemmas, gloss.strip()


def as_sentence(part: str, lemma: str, definition: str) -> str:
    if part == "verb":
        return f"To {lemma} is to {definition}."
    if part == "noun":
        if lemma[:1].isupper():
            return f"{lemma} is {definition}."
        article = "An" if lemma[:1].lower() in "aeiou" else "A"
        return f"{article} {lemma} is {definition}."
    return f"{lemma[:1].upper() + lemma[1:]} means {definition}."


def document(part: str, lemmas: list[str], gloss: str, style: str = "gloss") -> str:
    examples = re.findall(r'"([^"]+)"', gloss)
    definition = re.sub(r'"[^"]*"', "", gloss).strip(" ;")
    lines = []
    if definition and style == "sentences":
        lines.append(as_sentence(part, lemmas[0], definition))
    elif definition:
        names = lemmas[0] if len(lemmas) == 1 else f"{lemmas[0]} (also {', '.join(lemmas[1:4])})"
        lines.append(f"{names}: {definition}.")
    for ex in examples:
        ex = ex.strip()
        if ex:
            lines.append(ex[0].upper() + ex[1:] + ("" if ex[-1] in ".!?" else "."))
    return "\n".join(lines)


def main(wordnet_dir: str, out_dir: str, style: str = "gloss") -> None:
    if style not in ("gloss", "sentences"):
        raise SystemExit(f"unknown style {style!r}: gloss or sentences")
    docs = [document(part, lemmas, gloss, style) for part, lemmas, gloss in synsets(Path(wordnet_dir))]
    docs = [d for d in docs if d]
    random.Random(0).shuffle(docs)
    write_split(docs, out_dir, "documents", every=40, at=0)


if __name__ == "__main__":
    main(*sys.argv[1:4])

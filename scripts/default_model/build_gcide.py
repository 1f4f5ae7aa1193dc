"""Turn GCIDE (Debian package `dict-gcide`, GNU GPL v2 or later) into English training text for stage 3.

GCIDE, the Collaborative International Dictionary of English, is Webster's Revised Unabridged Dictionary
(1913) plus WordNet glosses and later additions. Its definitions are longer and more encyclopaedic than
WordNet's ("The process of constructive metabolism in which green plants utilize the energy of sunlight
..."). Each entry becomes one document in the stage-2 sentence style ("Heredity is hereditary transmission
of ...", "To coagulate is to cause ...", "Hereditably means by inheritance."); dictionary markup
(pronunciations, etymologies, source tags, quotation authors, synonym lists, cross-reference braces) is
removed.

    python build_gcide.py GCIDE_DICT OUT_DIR [--quoted]    # GCIDE_DICT: gcide.dict.dz (or an uncompressed copy)

`--quoted` (the stage-5 text) writes entries that are neither nouns nor verbs as 'The word "hereditably"
means by inheritance.' instead of "Hereditably means by inheritance.": a quarter of the entries start that
way, and a model trained on them learns to expect "means" as the third word of any sentence.
"""

from __future__ import annotations

import gzip
import random
import re
import sys
from pathlib import Path

ACCENT = re.compile(r"\[['`^=.,~\"]?([a-zA-Z]{1,2})['`^=~\"]?\]")  # ['e] -> e, [ae] -> ae
BRACKETS = re.compile(r"\[[^\[\]]*\]")  # etymologies, [Obs.], [1913 Webster] ...
AUTHOR = re.compile(r"--\s?[A-Z].*$")  # "--Shak." after a quotation
SOURCE = re.compile(r"--\s?http\S*")  # a web source after a note
DERIVED = re.compile(r"--\s*\S*[*\"`]\S*,?\s*(?:n|a|adv|v\. t|v\. i)\.")  # "-- Pho`to*syn*thet"ic, a."
HEAD = re.compile(r"^(?P<word>[^\\,]+)\s*(?:\\[^\\]*\\)?\s*,?\s*(?P<pos>n\.|v\. t\.|v\. i\.|v\.|a\.|adv\.)?")
SENSE = re.compile(r"(?:^|\s)\d+\.\s+")


def entries(text: str):
    """(header line, body lines) for each dictionary entry; entries start at a non-indented line."""
    header, body = None, []
    for line in text.splitlines():
        if line and not line[0].isspace():
            if header is not None:
                yield header, body
            header, body = line, []
        elif header is not None:
            body.append(line)
    if header is not None:
        yield header, body


def clean(text: str) -> str:
    text = DERIVED.sub("", SOURCE.sub("", ACCENT.sub(r"\1", text)))
    while BRACKETS.search(text):
        text = BRACKETS.sub("", text)
    text = text.replace("{", "").replace("}", "").replace("Note:", "")
    return re.sub(r"\s+", " ", text).strip()


def frame(pos: str | None, word: str, definition: str, quoted: bool = False) -> str:
    definition = definition.rstrip(" .;:") + "."
    first = definition.split()[0]
    common = first in ("A", "An", "The") or first[1:].islower()  # not a name or an abbreviation
    lowered = definition[:1].lower() + definition[1:] if common else definition
    if pos == "n.":
        return f"{word} is {lowered}"
    if pos and pos.startswith("v") and lowered.startswith("to "):
        return f"To {word.lower()} is {lowered}"
    return f'The word "{word}" means {lowered}' if quoted else f"{word} means {lowered}"


def document(header: str, body: list[str], quoted: bool = False) -> str:
    m = HEAD.match(header)
    if not m or header.startswith("00-"):
        return ""
    word, pos = m.group("word").strip(), m.group("pos")
    if not re.fullmatch(r"[A-Za-z][A-Za-z' -]*", word):
        return ""
    # The header's etymology may run onto the body's first lines: skip until its brackets close.
    depth = header.count("[") - header.count("]")
    lines = []
    for line in body:
        if depth > 0:
            depth += line.count("[") - line.count("]")
            continue
        stripped = line.strip()
        if stripped.startswith("Syn:") or lines and lines[-1] is None and stripped and line.startswith("        "):
            lines.append(None)  # a synonym block and its continuation lines
            continue
        lines.append(AUTHOR.sub("", stripped))
    text = clean(" ".join(line for line in lines if line))
    text = re.sub(r"^\([^)]*\)\s*", "", text)  # a leading domain label such as (Plant Physiol.)
    senses = [re.sub(r"^\([^)]*\)\s*", "", s.strip()) for s in SENSE.split(text)]  # and per-sense labels
    senses = [s for s in senses if len(s.split()) >= 3 and s[0].isalnum()]
    return "\n".join(frame(pos, word, s, quoted) for s in senses[:6])


def main(dict_path: str, out_dir: str, quoted: bool = False) -> None:
    raw = Path(dict_path).read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8", errors="replace")
    docs = [d for d in (document(h, b, quoted) for h, b in entries(text)) if d]
    random.Random(0).shuffle(docs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.txt").write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    print(f"{len(docs)} documents, {sum(len(d.split()) for d in docs)} words")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["--quoted"]):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], quoted=sys.argv[3:] == ["--quoted"])

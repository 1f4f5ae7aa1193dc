"""Turn Jane Austen's six novels (Debian package `r-cran-janeaustenr`) into running English prose for stage 4.

The package holds the Project Gutenberg texts (public domain; the R package is MIT licensed) as one
character vector per novel, a line of print per element, in R's lazy-load database (`data/Rdata.rdx`, an
index, and `data/Rdata.rdb`, zlib-compressed serialised objects). This script reads that format directly,
so no R is needed. Each chapter becomes one document, each sentence one line; italics markers (`_word_`)
and chapter headings are dropped. Every 20th chapter is held out.

    python build_austen.py JANEAUSTENR_DATA_DIR OUT_DIR    # the package's .../janeaustenr/data
"""

from __future__ import annotations

import gzip
import re
import struct
import sys
import zlib
from pathlib import Path

from split import write_split

NIL, SYM, LIST, CHAR, LGL, INT, REAL, STR, VEC = 254, 1, 2, 9, 10, 13, 14, 16, 19
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!Mr\.)(?<!Mrs\.)(?<!Dr\.)(?<!St\.)(?<!Col\.)[\"']?\s+(?=[\"']?[A-Z])")
HEADING = re.compile(r"^(CHAPTER|Chapter|VOLUME|Volume)\b|^[IVXL]+\.?$")


class Reader:
    """Just enough of R's XDR serialisation (format 2 or 3) for the index and the character vectors."""

    def __init__(self, data: bytes):
        if data[:2] != b"X\n":
            raise ValueError("not an R XDR serialisation")
        self.data, self.pos, self.refs = data, 2, []
        version = self.int()
        self.pos += 8  # R version, minimal version
        if version == 3:
            size = self.int()
            self.pos += size  # native encoding name

    def int(self) -> int:
        (value,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return value

    def item(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind == NIL:
            return None
        if kind == 255:  # a reference to an earlier symbol
            return self.refs[(flags >> 8) - 1]
        if kind == SYM:
            self.refs.append(self.item())
            return self.refs[-1]
        if kind == CHAR:
            size = self.int()
            if size == -1:
                return None
            self.pos += size
            return self.data[self.pos - size : self.pos].decode("utf-8", errors="replace")
        if kind == LIST:  # a pairlist, as [(tag, value), ...]; a cell's own attributes are read past
            if has_attr:
                self.item()
            tag = self.item() if has_tag else None
            head = self.item()
            return [(tag, head)] + (self.item() or [])
        if kind in (LGL, INT, REAL, STR, VEC):
            n = self.int()
            if kind in (LGL, INT):
                value = list(struct.unpack_from(f">{n}i", self.data, self.pos))
                self.pos += 4 * n
            elif kind == REAL:
                value = list(struct.unpack_from(f">{n}d", self.data, self.pos))
                self.pos += 8 * n
            else:
                value = [self.item() for _ in range(n)]
            if has_attr:
                attrs = dict(self.item())
                if "names" in attrs:
                    return dict(zip(attrs["names"], value))
            return value
        raise ValueError(f"unsupported R object type {kind} at byte {self.pos}")


def novels(data_dir: Path) -> dict[str, list[str]]:
    index = Reader(gzip.decompress((data_dir / "Rdata.rdx").read_bytes())).item()
    database = (data_dir / "Rdata.rdb").read_bytes()
    out = {}
    for name, (offset, length) in index["variables"].items():
        blob = database[offset : offset + length]
        out[name] = Reader(zlib.decompress(blob[4:])).item()  # 4 bytes of uncompressed length, then zlib
    return out


def chapters(lines: list[str]):
    """Each chapter as a list of sentences (a paragraph's print lines joined, then split at sentence ends)."""
    chapter, paragraph = [], []
    for line in lines + [""]:
        line = (line or "").strip()
        if HEADING.match(line):
            if chapter:
                yield chapter
            chapter, paragraph = [], []
        elif line:
            paragraph.append(line)
        elif paragraph:
            text = re.sub(r"\s+", " ", " ".join(paragraph).replace("_", ""))
            chapter.extend(s for s in SENTENCE_END.split(text) if s)
            paragraph = []
    if chapter:
        yield chapter


def main(data_dir: str, out_dir: str) -> None:
    texts = novels(Path(data_dir))
    docs = ["\n".join(c) for name in sorted(texts) for c in chapters(texts[name]) if len(c) >= 3]  # not title pages
    write_split(docs, out_dir, "chapters")


if __name__ == "__main__":
    main(*sys.argv[1:3])

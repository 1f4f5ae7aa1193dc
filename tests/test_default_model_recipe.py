"""The default model's recipe: the reader for Jane Austen's novels as Debian's `r-cran-janeaustenr` stores them, and
the plain-text prose builder for the State of the Union addresses and Moby-Dick."""

from __future__ import annotations

import gzip
import struct
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "scripts" / "default_model"))  # the recipe's scripts
import build_austen  # noqa: E402
import build_prose  # noqa: E402


# A tiny writer for R's XDR serialisation (format 3), enough to build the files the reader expects.
def _int(*values: int) -> bytes:
    return struct.pack(f">{len(values)}i", *values)


def _chars(text: str | None) -> bytes:
    if text is None:
        return _int(9, -1)
    raw = text.encode()
    return _int(9, len(raw)) + raw


def _strings(values, names=None) -> bytes:
    return _int(16 | (1 << 9 if names else 0), len(values)) + b"".join(map(_chars, values)) + _names(names)


def _names(names) -> bytes:
    if not names:
        return b""
    # attribute pairlist: one tagged cell ("names" symbol -> character vector), then the end of the list
    return _int(2 | 1 << 10) + _int(1) + _chars("names") + _strings(names) + _int(254)


def _list(items: dict) -> bytes:
    return _int(19 | 1 << 9, len(items)) + b"".join(items.values()) + _names(list(items))


def _serialise(body: bytes) -> bytes:
    return b"X\n" + _int(3, 0x040201, 0x030500, 5) + b"UTF-8" + body


def test_reader_reads_named_lists_integers_strings_and_missing_values():
    data = _serialise(_list({"x": _int(13, 2, 10, 20), "y": _strings(["a", None])}))
    assert build_austen.Reader(data).item() == {"x": [10, 20], "y": ["a", None]}


def test_reader_rejects_other_formats():
    with pytest.raises(ValueError, match="XDR"):
        build_austen.Reader(b"A\n" + _int(3))
    with pytest.raises(ValueError, match="type 6"):
        build_austen.Reader(_serialise(_int(6))).item()  # a language object: not in the novels' data


def test_novels_from_a_lazy_load_database(tmp_path):
    novel = [
        "EMMA",
        "",
        "CHAPTER 1",
        "",
        "Mr. Knightley was _very_ cross.  Emma",
        "laughed. Then she left.",
        "",
        "A second paragraph!",
        "",
        "CHAPTER 2",
        "",
        "The end.",
    ]
    blob = _serialise(_strings(novel))
    record = struct.pack(">I", len(blob)) + zlib.compress(blob)
    (tmp_path / "Rdata.rdb").write_bytes(b"\0" * 7 + record)
    index = _list({"variables": _list({"emma": _int(13, 2, 7, len(record))}), "compressed": _int(10, 1, 1)})
    (tmp_path / "Rdata.rdx").write_bytes(gzip.compress(_serialise(index)))
    texts = build_austen.novels(tmp_path)
    assert texts == {"emma": novel}
    assert list(build_austen.chapters(texts["emma"])) == [
        ["EMMA"],
        ["Mr. Knightley was very cross.", "Emma laughed.", "Then she left.", "A second paragraph!"],
        ["The end."],
    ]


def test_prose_documents_one_sentence_a_line_in_natural_file_order(tmp_path):
    (tmp_path / "chapter_10.txt").write_text("CHAPTER 10. Last.\n\nOne. Two. Three.\n", encoding="utf-8")
    (tmp_path / "chapter_2.txt").write_text(
        "CHAPTER 2. The Carpet-Bag.\n\nI stuffed a shirt or two into my old carpet-bag, tucked it under my arm,\n"
        "and started.\n\nIt was a very dubious-looking, nay, a very dark and dismal night! Mr. Ahab was not there.\n",
        encoding="utf-8",
    )
    (tmp_path / "1790_speech.txt").write_text(
        "Fellow-Citizens: I embrace with great satisfaction. Short? Yes.", encoding="utf-8"
    )
    (tmp_path / "tiny.txt").write_text("Too short.", encoding="utf-8")
    assert build_prose.documents(str(tmp_path / "chapter_*.txt")) == [
        "I stuffed a shirt or two into my old carpet-bag, tucked it under my arm, and started.\n"
        "It was a very dubious-looking, nay, a very dark and dismal night!\nMr. Ahab was not there.",
        "One.\nTwo.\nThree.",
    ]
    assert build_prose.documents(str(tmp_path / "1*.txt")) == [
        "Fellow-Citizens: I embrace with great satisfaction.\nShort?\nYes."
    ]
    assert build_prose.documents(str(tmp_path / "tiny.txt")) == []  # fewer than three sentences: not a document


def test_prose_holds_out_every_twentieth_document(tmp_path):
    for i in range(41):
        (tmp_path / f"doc_{i}.txt").write_text(f"Document {i} starts. It goes on. It ends.", encoding="utf-8")
    build_prose.main(str(tmp_path / "doc_*.txt"), str(tmp_path / "out"))
    heldout = (tmp_path / "out" / "heldout.txt").read_text(encoding="utf-8").split("\n\n")
    train = (tmp_path / "out" / "train.txt").read_text(encoding="utf-8").split("\n\n")
    assert [d.split("\n")[0] for d in heldout] == ["Document 19 starts.", "Document 39 starts."]
    assert len(train) == 39 and "Document 20 starts." in train[19]


def test_prose_pattern_that_matches_nothing_is_an_error(tmp_path):
    with pytest.raises(SystemExit, match="no files match"):
        build_prose.documents(str(tmp_path / "*.txt"))

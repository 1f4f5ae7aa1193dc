"""Readers for training data: raw text documents, CSV and JSON Lines rows, SQuAD JSON.

Every reader reports bad input as `DataError` naming the file and the line.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from .._io import decode_lines
from .errors import DataError


def read_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield `(line_number, text)` of a UTF-8 file, without the line ending, streaming.

    Raises `DataError` naming the line when its bytes are not valid UTF-8.
    """
    if not os.path.isfile(path):
        raise DataError(path, "file not found")
    with open(path, "rb") as f:
        for number, text, error in decode_lines(f):
            if error is not None:
                raise DataError(path, error, number)
            yield number, text


def iter_documents(paths: Sequence[str | os.PathLike], document_per_file: bool = False) -> Iterator[list[str]]:
    """Yield documents as lists of sentences (non-empty lines), streaming over `paths`.

    A document is a block of lines separated by blank lines, or a whole file with `document_per_file`.
    Raises `DataError` when a file holds no text at all.
    """
    for path in paths:
        seen = False
        doc: list[str] = []
        for _, line in read_lines(path):
            if line.strip():
                doc.append(line.strip())
            elif doc and not document_per_file:
                seen = True
                yield doc
                doc = []
        if doc:
            seen = True
            yield doc
        if not seen:
            raise DataError(path, "empty corpus file: it holds no text")


def read_rows(path: str | os.PathLike) -> list[tuple[int, dict[str, Any]]]:
    """Read a `.csv` (header row) or `.jsonl`/`.json` (one object a line) file as `(line, row)` pairs."""
    path = os.fspath(path)
    lower = path.lower()
    text_lines = list(read_lines(path))
    rows: list[tuple[int, dict[str, Any]]] = []
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        for number, line in text_lines:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(path, f"not valid JSON: {e.msg}", number) from None
            if not isinstance(row, dict):
                raise DataError(path, f"expected a JSON object, got {type(row).__name__}", number)
            rows.append((number, row))
    elif lower.endswith((".csv", ".tsv")):
        body = io.StringIO("\n".join(line for _, line in text_lines))
        reader = csv.DictReader(body, delimiter="\t" if lower.endswith(".tsv") else ",")
        for row in reader:
            rows.append((reader.line_num, dict(row)))
    else:
        raise DataError(path, "unknown format: use a .csv, .tsv or .jsonl file")
    if not rows:
        raise DataError(path, "no rows")
    return rows


def column(path: str | os.PathLike, line: int, row: dict[str, Any], name: str) -> Any:
    """`row[name]`, or a `DataError` naming the file, line and the columns that do exist."""
    if name not in row:
        raise DataError(path, f"no column {name!r} (columns: {', '.join(map(str, row))})", line)
    value = row[name]
    if value is None:
        raise DataError(path, f"column {name!r} is empty", line)
    return value


def read_json(path: str | os.PathLike) -> tuple[Any, str]:
    """Load a whole JSON file; return `(data, raw_text)` (raw text lets callers locate lines)."""
    text = "\n".join(line for _, line in read_lines(path))
    try:
        return json.loads(text), text
    except json.JSONDecodeError as e:
        raise DataError(path, f"not valid JSON: {e.msg}", e.lineno) from None


def line_of(raw_text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of `needle` in `raw_text`, or None."""
    at = raw_text.find(needle)
    return None if at < 0 else raw_text.count("\n", 0, at) + 1

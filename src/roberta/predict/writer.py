"""Output files: one part file per chunk (Parquet or JSON Lines), each written atomically, and the final output
assembled from the parts in order, part by part (one part in memory at a time), written atomically too."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from .._io import atomic_path, atomic_write_with


def json_lines(rows: Iterable[dict[str, Any]]) -> str:
    """Rows as JSON Lines text (values JSON has no type for, such as dates or bytes, as their str())."""
    return "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)


def write_part(table: pa.Table, path: str, fmt: str) -> None:
    """`table` into `path` (Parquet or JSON Lines), atomically: a killed write leaves no file at `path`."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        atomic_write_with(path, lambda tmp: pq.write_table(table, tmp))
    else:
        text = json_lines(table.to_pylist())
        atomic_write_with(path, lambda tmp: _write_text(tmp, text))


def write_rows(rows: Sequence[dict[str, Any]], path: str) -> None:
    """Plain rows (error records) as JSON Lines, atomically."""
    text = json_lines(rows)
    atomic_write_with(path, lambda tmp: _write_text(tmp, text))


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def concatenate(parts: Sequence[str], path: str) -> None:
    """Byte-for-byte concatenation of text parts (JSON Lines) into `path`, atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out)


def assemble_parquet(parts: Sequence[str], path: str) -> None:
    """The Parquet parts, in order, as one Parquet file at `path` (atomically), one part in memory at a time.
    Part schemas are unified first: a column that is all null in one part (JSON Lines values) takes the type
    the other parts give it."""
    import pyarrow.parquet as pq

    schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    with atomic_path(path) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                writer.write_table(pq.read_table(part).cast(schema))


def assemble(parts: Sequence[str], path: str, fmt: str) -> None:
    """The final output from its parts."""
    if fmt == "parquet":
        assemble_parquet(parts, path)
    else:
        concatenate(parts, path)

"""Streaming readers of the input: JSON Lines, CSV and Parquet, read `part_rows` rows at a time.

Whatever the format, a reader yields `Chunk`s: the ids, texts (and pairs) of a run of consecutive rows, their
other columns as an Arrow table, and the rows that could not be read at all (a line that is not JSON, a CSV
record with the wrong number of fields) with the reason. Only one chunk is held at a time, so memory does not
grow with the corpus. Rows are numbered from 0 in file order (blank JSON Lines lines are not rows); a run that
continues an interrupted one skips the rows already done.

Column types: Parquet keeps its own; CSV has none, so every column is read as text; JSON Lines columns are the
keys of the first row, typed by Arrow from each chunk's values (a key a row lacks is null there).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from .job import PredictJob


@dataclass
class Chunk:
    """Consecutive input rows. `rows`: their row numbers (None where unknown, on Ray without a row count);
    `bad`: position in the chunk -> why that row could not be read (its text and id are then None)."""

    ids: list[Any]
    texts: list[Any]
    pairs: list[Any] | None
    rest: pa.Table
    rows: list[int] | None = None
    bad: dict[int, str] = field(default_factory=dict)
    numbered: bool = False  # the ids are the row numbers (the input has no id column)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Columns:
    """Which input columns go where: the id column (None: ids are row numbers), the text and pair columns and
    the pass-through columns."""

    id: str | None
    text: str
    pair: str | None
    keep: tuple[str, ...]


def plan_columns(job: PredictJob, names: list[str]) -> Columns:
    """The columns of an input whose header is `names`; ValueError naming a column the input lacks."""
    for name in job.read_columns:
        if name not in names:
            raise ValueError(f"{job.input}: no column {name!r} (its columns: {', '.join(map(str, names))})")
    has_id = job.id_column in names
    if job.keep_columns is None:
        keep = [n for n in names if n not in job.read_columns]
    else:
        missing = [c for c in job.keep_columns if c not in names]
        if missing:
            raise ValueError(f"{job.input}: no column {missing[0]!r} to keep (its columns: {', '.join(names)})")
        keep = list(job.keep_columns)
    keep = [n for n in keep if n != job.id_column]
    clash = sorted(set(keep) & set(job.output_columns()))
    if clash:
        raise ValueError(
            f"input column {clash[0]!r} has the name of an output column of {job.task}; leave it out with "
            f"--keep-columns or rename it"
        )
    return Columns(job.id_column if has_id else None, job.text_column, job.pair_column, tuple(keep))


def chunk_from_table(table: pa.Table | pa.RecordBatch, cols: Columns, first_row: int | None) -> Chunk:
    """A chunk of Arrow rows (Parquet batches, Ray blocks); `first_row`: the number of the first row, or None
    where the rows carry their ids and no number is known."""
    n = table.num_rows
    rows = None if first_row is None else list(range(first_row, first_row + n))
    if cols.id is not None:
        ids = table.column(cols.id).to_pylist()
    elif rows is not None:
        ids = list(rows)
    else:
        raise ValueError("rows without an id column need row numbers")
    pairs = table.column(cols.pair).to_pylist() if cols.pair is not None else None
    rest = pa.Table.from_batches([table]) if isinstance(table, pa.RecordBatch) else table
    texts = table.column(cols.text).to_pylist()
    return Chunk(ids, texts, pairs, rest.select(list(cols.keep)), rows, numbered=cols.id is None)


class Reader:
    """The rows of one input file. `columns`: the plan; `total_rows`: the row count where the format stores it;
    `fraction()`: how much of the file has been read, for an estimate of the time left."""

    def __init__(self, job: PredictJob) -> None:
        self.job = job
        self.path = job.input
        self.size = os.path.getsize(job.input)
        self.total_rows: int | None = None
        self.columns: Columns | None = None

    def fraction(self) -> float | None:
        return None

    def chunks(self, skip: int = 0) -> Iterator[Chunk]:
        """Chunks of at most `part_rows` rows, from row `skip` on."""
        raise NotImplementedError

    def empty_chunk(self) -> Chunk:
        """A chunk of no rows with the input's columns (what an empty input's output is made from)."""
        cols = self.columns
        assert cols is not None
        rest = pa.table({name: pa.nulls(0) for name in cols.keep})
        return Chunk([], [], None if cols.pair is None else [], rest, [], numbered=cols.id is None)


class ParquetReader(Reader):
    def __init__(self, job: PredictJob) -> None:
        import pyarrow.parquet as pq

        super().__init__(job)
        self.file = pq.ParquetFile(job.input)
        self.total_rows = self.file.metadata.num_rows
        self.columns = plan_columns(job, self.file.schema_arrow.names)
        self._done = 0

    def fraction(self) -> float | None:
        return self._done / self.total_rows if self.total_rows else None

    def empty_chunk(self) -> Chunk:
        return chunk_from_table(self.file.schema_arrow.empty_table(), self.columns, 0)

    def chunks(self, skip: int = 0) -> Iterator[Chunk]:
        meta, cols = self.file.metadata, self.columns
        group, first = 0, 0  # the row group holding row `skip`, and its first row
        while group < meta.num_row_groups and first + meta.row_group(group).num_rows <= skip:
            first += meta.row_group(group).num_rows
            group += 1
        if group == meta.num_row_groups:
            return
        wanted = list(dict.fromkeys(c for c in (cols.id, cols.text, cols.pair, *cols.keep) if c is not None))
        row = first
        groups = list(range(group, meta.num_row_groups))
        for batch in self.file.iter_batches(batch_size=self.job.part_rows, row_groups=groups, columns=wanted):
            if row + batch.num_rows <= skip:
                row += batch.num_rows
                continue
            if row < skip:
                batch, row = batch.slice(skip - row), skip
            self._done = row + batch.num_rows
            yield chunk_from_table(batch, cols, row)
            row += batch.num_rows


class _RowReader(Reader):
    """Formats read as Python rows (dicts), one record at a time."""

    def records(self) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
        """`(row, None)` per readable record, `(None, reason)` per unreadable one, in file order."""
        raise NotImplementedError

    def column_array(self, values: list[Any], name: str) -> pa.Array:
        return pa.array(values)

    def chunks(self, skip: int = 0) -> Iterator[Chunk]:
        buffer: list[tuple[dict[str, Any] | None, str | None]] = []
        number = 0
        for record in self.records():
            if number >= skip:
                buffer.append(record)
                if len(buffer) == self.job.part_rows:
                    yield self._chunk(buffer, number + 1 - len(buffer))
                    buffer = []
            number += 1
        if buffer:
            yield self._chunk(buffer, number - len(buffer))

    def _chunk(self, records: list[tuple[dict[str, Any] | None, str | None]], first: int) -> Chunk:
        cols = self.columns
        assert cols is not None
        bad = {i: reason for i, (row, reason) in enumerate(records) if row is None}
        rows = [row or {} for row, _ in records]
        ids = [first + i for i in range(len(rows))]
        if cols.id is not None:
            ids = [None if i in bad else r.get(cols.id) for i, r in enumerate(rows)]
        rest = {}
        for name in cols.keep:
            try:
                rest[name] = self.column_array([r.get(name) for r in rows], name)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
                raise ValueError(
                    f"{self.path}: column {name!r} holds values of different types in rows {first} to "
                    f"{first + len(rows) - 1} ({e}); keep it out with --keep-columns"
                ) from None
        pairs = [r.get(cols.pair) for r in rows] if cols.pair is not None else None
        texts = [r.get(cols.text) for r in rows]
        numbers = list(range(first, first + len(rows)))
        return Chunk(ids, texts, pairs, pa.table(rest), numbers, bad, numbered=cols.id is None)


class JsonLinesReader(_RowReader):
    def __init__(self, job: PredictJob) -> None:
        super().__init__(job)
        self._file = open(job.input, "rb")  # noqa: SIM115 (closed when the rows run out)
        first = next(self.records(), (None, None))[0]
        self._file.seek(0)
        self.columns = plan_columns(job, list(first) if first else list(job.read_columns))

    def fraction(self) -> float | None:
        return self._file.tell() / self.size if self.size and not self._file.closed else None

    def records(self) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
        for line in self._file:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                yield None, f"invalid JSON ({e})"
                continue
            yield (row, None) if isinstance(row, dict) else (None, f"not a JSON object but a {type(row).__name__}")

    def chunks(self, skip: int = 0) -> Iterator[Chunk]:
        try:
            yield from super().chunks(skip)
        finally:
            self._file.close()


class CsvReader(_RowReader):
    def __init__(self, job: PredictJob) -> None:
        super().__init__(job)
        self._raw = open(job.input, "rb")  # noqa: SIM115 (closed when the rows run out)
        self._text = io.TextIOWrapper(self._raw, encoding="utf-8-sig", newline="")
        self._csv = csv.reader(self._text)
        self.header = next(self._csv, [])
        self.columns = plan_columns(job, self.header)

    def fraction(self) -> float | None:
        return self._raw.tell() / self.size if self.size and not self._raw.closed else None

    def column_array(self, values: list[Any], name: str) -> pa.Array:
        return pa.array(values, pa.string())

    def records(self) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
        width = len(self.header)
        for fields in self._csv:
            if len(fields) != width:
                yield None, f"{len(fields)} fields where the header has {width}"
            else:
                yield dict(zip(self.header, fields)), None

    def chunks(self, skip: int = 0) -> Iterator[Chunk]:
        try:
            yield from super().chunks(skip)
        finally:
            self._text.close()


READERS = {"jsonl": JsonLinesReader, "csv": CsvReader, "parquet": ParquetReader}


def open_reader(job: PredictJob) -> Reader:
    """The reader of the job's input (its format from `job.input_format`)."""
    if not os.path.isfile(job.input):
        raise FileNotFoundError(f"no input file {job.input!r}")
    return READERS[job.input_format](job)

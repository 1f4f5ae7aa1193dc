"""One chunk of rows through the model: checks each row, runs the good ones in token-budget batches, and returns
the output table of the good rows and an error record for every bad one. Both engines call it.

A row is bad when its text (or pair) is missing, empty or not a string, or when the pipeline rejects it (a
fill-mask text without <mask>, say). The pipeline rejects an input while tokenizing it, before the model runs,
so a chunk that fails is split in halves until the failing rows stand alone: the good rows still run in
batches, and only their tokenization is repeated.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from .job import PredictJob
from .reader import Chunk

# what a pipeline raises for one bad input (RuntimeError: an input the model itself fails on)
ROW_ERRORS = (ValueError, TypeError, KeyError, IndexError, RuntimeError)


@dataclass(frozen=True)
class RowError:
    """A row that went to the errors file: its id, its row number (None where unknown) and why."""

    id: Any
    row: int | None
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "row": self.row, "error": self.error}


def token_batches(lengths: Sequence[int], budget: int) -> Iterator[list[int]]:
    """Indices of `lengths` in batches of at most `budget` tokens (a longer row alone), longest rows first, so
    that each batch holds rows of similar length. The budget counts real tokens: the unpadded attention path
    computes nothing for padding."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batch: list[int] = []
    tokens = 0
    for i in order:
        if batch and tokens + lengths[i] > budget:
            yield batch
            batch, tokens = [], 0
        batch.append(i)
        tokens += lengths[i]
    if batch:
        yield batch


def with_token_budget(pipe: Any, budget: int) -> Any:
    """A shallow copy of `pipe` whose model step batches features by `budget` tokens rather than by count."""
    clone = copy.copy(pipe)

    def iter_model(features: Sequence[dict[str, Any]], batch_size: int | None = None):
        for batch in token_batches([len(f["input_ids"]) for f in features], budget):
            yield from zip(batch, pipe.run_padded(pipe.pad_features([features[i] for i in batch])))

    clone.iter_model = iter_model
    return clone


def _reason(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def _check_text(value: Any, column: str) -> str:
    if value is None:
        raise ValueError(f"no {column!r} value")
    if not isinstance(value, str):
        raise TypeError(f"{column!r} is a {type(value).__name__}, not a string")
    if not value.strip():
        raise ValueError(f"empty {column!r}")
    return value


def load_pipeline(job: PredictJob) -> Any:
    """The job's pipeline, its options given at construction (so a bad option fails before any row is read)."""
    from ..pipelines import pipeline

    return pipeline(job.task, model=job.model, device=job.device, dtype=job.dtype, **job.pipeline_options())


class ChunkRunner:
    """Runs chunks for one job with one loaded pipeline."""

    def __init__(self, job: PredictJob, pipe: Any | None = None) -> None:
        self.job = job
        self.pipe = with_token_budget(load_pipeline(job) if pipe is None else pipe, job.batch_tokens)
        # given with every call too, so that a pipeline built elsewhere (`pipe`) runs with the job's options;
        # an empty call checks them before any row is read
        self.options = job.pipeline_options()
        self.pipe.run_batch([], **self.options)

    def _answer(self, items: list[tuple[int, Any]]) -> list[tuple[int, Any, str | None]]:
        """`(position, result, error)` per item, run together; a failing group is halved until each failing
        item stands alone."""
        if not items:
            return []
        try:
            results = self.pipe.run_batch([x for _, x in items], **self.options)
            return [(i, r, None) for (i, _), r in zip(items, results)]
        except ROW_ERRORS as e:
            if len(items) == 1:
                return [(items[0][0], None, _reason(e))]
            half = len(items) // 2
            return self._answer(items[:half]) + self._answer(items[half:])

    def run(self, chunk: Chunk) -> tuple[pa.Table, list[RowError]]:
        """The output table of the chunk's good rows (in chunk order) and the errors of its bad rows."""
        job = self.job
        problems: dict[int, str] = dict(chunk.bad)
        items: list[tuple[int, Any]] = []
        for i, text in enumerate(chunk.texts):
            if i in problems:
                continue
            try:
                pair = None if chunk.pairs is None else _check_text(chunk.pairs[i], job.pair_column)
                items.append((i, job.spec.make_input(_check_text(text, job.text_column), pair)))
            except (TypeError, ValueError) as e:
                problems[i] = str(e)
        results: dict[int, Any] = {}
        for i, result, problem in self._answer(items):
            if problem is None:
                results[i] = result
            else:
                problems[i] = problem
        good = sorted(results)
        table = self.table(chunk, good, [results[i] for i in good])
        rows = chunk.rows
        errors = [RowError(chunk.ids[i], None if rows is None else rows[i], problems[i]) for i in sorted(problems)]
        return table, errors

    def table(self, chunk: Chunk, positions: list[int], results: list[Any]) -> pa.Table:
        """The output rows of `chunk`'s rows at `positions`: id, pass-through columns, the task's columns."""
        ids = pa.array([chunk.ids[i] for i in positions], pa.int64() if chunk.numbered else None)
        rest = chunk.rest.take(pa.array(positions, pa.int64()))
        columns = {self.job.id_column: ids}
        columns.update({name: rest.column(name) for name in rest.column_names})
        columns.update(self.job.spec.columns(results, self.pipe, self.job.options))
        return pa.table(columns)

"""The local engine: one process reads the input chunk by chunk, runs each chunk, commits it to the work folder
(`state.py`) and, at the end, assembles the output. Killed at any point, it continues where it stopped."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from ..progress import Progress
from .job import PredictJob
from .reader import open_reader
from .runner import ChunkRunner
from .state import WorkFolder
from .writer import assemble, concatenate


class TooManyErrors(RuntimeError):
    """More bad rows than `max_errors`: the job stopped; the committed work is kept, so a run with a higher bound
    continues it."""


@dataclass(frozen=True)
class PredictSummary:
    """What a finished job did: `rows` input rows (`written` to `output`, `errors` to `errors_file`) in
    `seconds` (of this run; `rows_this_run` of the rows were done by it, the rest by interrupted runs)."""

    output: str
    errors_file: str
    rows: int
    written: int
    errors: int
    rows_this_run: int
    seconds: float
    engine: str = "local"

    @property
    def rows_per_second(self) -> float:
        return self.rows_this_run / self.seconds if self.seconds > 0 else 0.0


def duration(seconds: float) -> str:
    """`1h02m03s` / `2m03s` / `3s`."""
    s = int(round(seconds))
    h, m = divmod(s // 60, 60)
    return f"{h}h{m:02d}m{s % 60:02d}s" if h else f"{m}m{s % 60:02d}s" if m else f"{s}s"


class Meter:
    """Rows per second of this run and the time left, estimated from the rows left (when the input says how many)
    or the bytes left; shown through the progress bar."""

    def __init__(self, total: int | None, done: int, enabled: bool) -> None:
        self.start, self.done0, self.done = time.monotonic(), done, done
        self.total, self.fraction0 = total, None
        self.bar = Progress(total, initial=done, enabled=enabled, desc="rows")

    def update(self, rows: int, fraction: float | None) -> None:
        self.done += rows
        if self.fraction0 is None:
            self.fraction0 = 0.0 if self.done0 == 0 else fraction
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = (self.done - self.done0) / elapsed
        eta = None
        if self.total is not None and rate > 0:
            eta = (self.total - self.done) / rate
        elif fraction is not None and self.fraction0 is not None and fraction > self.fraction0:
            eta = elapsed * (1 - fraction) / (fraction - self.fraction0)
        postfix: dict[str, Any] = {"rows_s": round(rate, 1)}
        if eta is not None:
            postfix["eta"] = duration(eta)
        self.bar.update(rows, **postfix)

    def close(self) -> None:
        self.bar.close()


def run_local(job: PredictJob, *, progress: bool = False, pipe: Any = None) -> PredictSummary:
    """Run `job` in this process (see `roberta.predict.predict`); `pipe`: an already loaded pipeline of the job's
    task to use instead of loading `job.model`."""
    work = WorkFolder(job)
    if job.overwrite:
        work.remove()
    elif not os.path.isdir(work.path) and os.path.exists(job.output):
        raise FileExistsError(f"{job.output} already exists (a finished job?); pass --overwrite to replace it")
    started = time.monotonic()
    reader = open_reader(job)  # the columns are checked before the model is loaded
    runner = ChunkRunner(job, pipe)
    state = work.start()
    meter = Meter(reader.total_rows, state.rows, progress)
    done_before = state.rows
    try:
        for chunk in [] if state.done else reader.chunks(skip=state.rows):
            table, errors = runner.run(chunk)
            work.commit(state, table, errors, len(chunk))
            meter.update(len(chunk), reader.fraction())
            if job.max_errors is not None and state.errors > job.max_errors:
                raise TooManyErrors(
                    f"{state.errors} bad rows, more than --max-errors {job.max_errors}, in the first {state.rows} "
                    f"rows (see {work.path}/errors-*.jsonl); the work so far is kept: run again with a higher "
                    f"--max-errors to continue"
                )
        if state.parts == 0:  # an empty input still gets an output, with the columns it would have
            table, errors = runner.run(reader.empty_chunk())
            work.commit(state, table, errors, 0)
    finally:
        meter.close()
    if not state.done:
        outputs, errors_parts = work.parts(state)
        assemble(outputs, job.output, job.output_format)
        concatenate(errors_parts, job.errors)
    work.finish(state)
    return PredictSummary(
        job.output,
        job.errors,
        state.rows,
        state.written,
        state.errors,
        state.rows - done_before,
        time.monotonic() - started,
    )

"""Where an interrupted local job stands: the work folder `OUTPUT.parts/` beside the output.

It holds `state.json` and one numbered output part (`part-000000.parquet` or `.jsonl`) and errors part
(`errors-000000.jsonl`) per committed chunk. A chunk is committed in three atomic steps: its output part, its
errors part, then `state.json`, which counts the committed parts and the input rows they cover. Only what
`state.json` counts exists for a later run: files of a part it does not count (a run killed between the steps)
are removed and that chunk is run again. So whenever a job is killed, running it again with the same arguments
reads on from the first row not committed, and every row lands in exactly one part.

When every chunk is committed, the parts are assembled into the output and the errors file (each written
atomically), `state.json` marks the job done, and the work folder is removed. A job killed before the mark
assembles again; after it, only the cleanup is left. A finished job leaves no work folder: running it again
is refused (the output exists) unless `overwrite` is given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa

from .._io import atomic_write_text, read_json
from .job import PredictJob
from .runner import RowError
from .writer import write_part, write_rows

STATE_VERSION = 1
_PART = re.compile(r"^(part|errors)-(\d{6})\.(parquet|jsonl)$")


@dataclass
class State:
    """The committed work: `parts` chunks covering the first `rows` input rows, of which `written` went to the
    output and `errors` to the errors file."""

    fingerprint: dict[str, Any]
    parts: int = 0
    rows: int = 0
    written: int = 0
    errors: int = 0
    done: bool = False  # the output and the errors file are complete; only the cleanup is left
    version: int = STATE_VERSION


class WorkFolder:
    """The work folder of one job (see the module docstring)."""

    def __init__(self, job: PredictJob) -> None:
        self.job = job
        self.path = job.output.rstrip("/\\") + ".parts"
        self.state_file = os.path.join(self.path, "state.json")
        self.ext = "parquet" if job.output_format == "parquet" else "jsonl"

    def exists(self) -> bool:
        return os.path.isfile(self.state_file)

    def part(self, k: int) -> str:
        return os.path.join(self.path, f"part-{k:06d}.{self.ext}")

    def errors_part(self, k: int) -> str:
        return os.path.join(self.path, f"errors-{k:06d}.jsonl")

    def start(self) -> State:
        """The state to continue from: a new job's, or the committed state of an interrupted one with the same
        fingerprint (ValueError naming what differs otherwise). Files no commit counts are removed."""
        fingerprint = json.loads(_dumps(self.job.fingerprint()))  # as state.json will hold it
        if not self.exists():
            if os.path.isdir(self.path):  # created, nothing committed: emptied, but kept (it marks a job begun)
                for name in os.listdir(self.path):
                    os.remove(os.path.join(self.path, name))
            else:
                os.makedirs(self.path)
            state = State(fingerprint)
            self._save(state)
            return state
        saved = read_json(self.state_file)
        if saved.get("version") != STATE_VERSION:
            raise ValueError(f"{self.path} was written by another version of roberta predict; remove it to start over")
        state = State(**saved)
        differs = sorted(
            k for k in {*fingerprint, *state.fingerprint} if fingerprint.get(k) != state.fingerprint.get(k)
        )
        if differs:
            raise ValueError(
                f"{self.path} holds an interrupted job with other arguments (they differ in: {', '.join(differs)}); "
                f"run it with the same arguments to finish it, or pass --overwrite to start over"
            )
        for name in os.listdir(self.path):
            match = _PART.match(name)
            if (match and int(match.group(2)) >= state.parts) or name.startswith("."):  # uncommitted, or a stage
                os.remove(os.path.join(self.path, name))
        return state

    def commit(self, state: State, table: pa.Table, errors: list[RowError], rows: int) -> None:
        """Commit one chunk of `rows` input rows: its output rows `table` and its `errors`."""
        k = state.parts
        write_part(table, self.part(k), self.job.output_format)
        write_rows([e.to_dict() for e in errors], self.errors_part(k))
        state.parts, state.rows = k + 1, state.rows + rows
        state.written += table.num_rows
        state.errors += len(errors)
        self._save(state)

    def _save(self, state: State) -> None:
        atomic_write_text(self.state_file, _dumps(asdict(state)))

    def parts(self, state: State) -> tuple[list[str], list[str]]:
        """The committed output parts and errors parts, in order."""
        return [self.part(k) for k in range(state.parts)], [self.errors_part(k) for k in range(state.parts)]

    def finish(self, state: State) -> None:
        """After the output and the errors file are written: mark the job done, then remove the parts,
        `state.json` and the folder, in that order (a run killed meanwhile finds the job done, or at worst, an
        empty folder, which it takes for a job not started)."""
        state.done = True
        self._save(state)
        for name in sorted(os.listdir(self.path)):
            if name != "state.json":
                os.remove(os.path.join(self.path, name))
        os.remove(self.state_file)
        os.rmdir(self.path)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=1, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    """An option JSON does not know: an array (quantization ranges, say) as its nested lists, in full."""
    return value.tolist() if hasattr(value, "tolist") else str(value)

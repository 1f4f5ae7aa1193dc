"""One batch-inference job: every argument of `roberta predict`, checked once, shared by both engines."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from .tasks import PredictTask, predict_task

INPUT_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
OUTPUT_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
ENGINES = ("local", "ray")


def format_of(path: str, given: str | None, formats: dict[str, str], what: str) -> str:
    """`given`, or the format `path`'s extension names; ValueError when neither says."""
    choices = sorted(set(formats.values()))
    if given is not None:
        if given not in choices:
            raise ValueError(f"{what} format must be one of {', '.join(choices)}, got {given!r}")
        return given
    ext = os.path.splitext(path.rstrip("/"))[1].lower()
    if ext not in formats:
        raise ValueError(
            f"cannot tell the {what} format of {path!r} from its extension (known: {', '.join(sorted(formats))}); "
            f"name it with --{what}-format {{{','.join(choices)}}}"
        )
    return formats[ext]


@dataclass
class PredictJob:
    """The arguments of one job (see `roberta.predict.predict` for each one's meaning).

    Only the fields in `fingerprint()` decide whether an interrupted job may be continued: the others (batch
    sizes, progress, the error bound) may change between runs.
    """

    task: str
    model: str
    input: str
    output: str
    text_column: str | None = None
    pair_column: str | None = None
    id_column: str = "id"
    keep_columns: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    input_format: str | None = None
    output_format: str | None = None
    errors: str | None = None
    max_errors: int | None = None
    batch_tokens: int = 8192
    part_rows: int = 1024
    device: Any = None
    dtype: Any = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        self.spec: PredictTask = predict_task(self.task)
        self.task = self.spec.name
        self.model = os.fspath(self.model)
        self.input = os.fspath(self.input)
        self.output = os.fspath(self.output)
        self.input_format = format_of(self.input, self.input_format, INPUT_FORMATS, "input")
        self.output_format = format_of(self.output, self.output_format, OUTPUT_FORMATS, "output")
        if self.text_column is None:
            self.text_column = self.spec.text_column
        if self.pair_column is None:
            self.pair_column = self.spec.pair_column
        if self.pair_column is not None and self.spec.pair == "none":
            raise ValueError(f"{self.task} takes one text per row: it has no pair column")
        if self.pair_column is None and self.spec.pair == "required":
            raise ValueError(f"{self.task} needs a pair column (--pair-column)")
        if self.pair_column == self.text_column:
            raise ValueError(f"the text and pair columns are the same column, {self.text_column!r}")
        for name, value in (("batch_tokens", self.batch_tokens), ("part_rows", self.part_rows)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.max_errors is not None and (not isinstance(self.max_errors, int) or self.max_errors < 0):
            raise ValueError(f"max_errors must be an int >= 0 or None, got {self.max_errors!r}")
        clash = set(self.options) & set(self.spec.fixed_options)
        if clash:
            raise ValueError(f"roberta predict sets {sorted(clash)} itself for {self.task}")
        self.spec.check(self.options, self.pair_column is not None)
        if self.errors is None:
            self.errors = self.output.rstrip("/") + ".errors.jsonl"
        if os.path.abspath(self.errors) in (os.path.abspath(self.output), os.path.abspath(self.input)):
            raise ValueError(f"the errors file {self.errors!r} must differ from the input and the output")
        if os.path.abspath(self.input) == os.path.abspath(self.output):
            raise ValueError("the output must not be the input file")

    @property
    def read_columns(self) -> tuple[str, ...]:
        """The input columns the model reads."""
        return tuple(c for c in (self.text_column, self.pair_column) if c is not None)

    def output_columns(self) -> tuple[str, ...]:
        """The columns the task adds to each output row."""
        return self.spec.output_columns(self.options)

    def pipeline_options(self) -> dict[str, Any]:
        """The options every pipeline call gets: the user's and the task's fixed ones."""
        return {**self.options, **self.spec.fixed_options}

    def fingerprint(self) -> dict[str, Any]:
        """What must stay the same for a run to continue an interrupted one: the task and model, the input file
        (path, size, modification time), the columns, the options and the output format."""
        stat = os.stat(self.input)
        return {
            "task": self.task,
            "model": os.path.abspath(self.model) if os.path.exists(self.model) else self.model,
            "input": os.path.abspath(self.input),
            "input_size": stat.st_size,
            "input_mtime_ns": stat.st_mtime_ns,
            "input_format": self.input_format,
            "text_column": self.text_column,
            "pair_column": self.pair_column,
            "id_column": self.id_column,
            "keep_columns": self.keep_columns,
            "options": self.options,
            "output_format": self.output_format,
            "dtype": None if self.dtype is None else str(self.dtype),
        }

    def to_dict(self) -> dict[str, Any]:
        """The arguments as plain values (what a Ray actor is built from)."""
        out = asdict(self)
        out.pop("spec", None)
        return out

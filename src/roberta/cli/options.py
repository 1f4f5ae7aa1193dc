"""Options of the inference commands, and the one KEY=VALUE parser of the command line."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from ..pipelines.base import to_json
from .errors import CommandError


def task_choices() -> list[str]:
    """Every task name `pipeline()` accepts (its tasks and their aliases), from the registry."""
    from ..pipelines import SUPPORTED_TASKS, TASK_ALIASES

    return [*SUPPORTED_TASKS, *TASK_ALIASES]


def task_help() -> str:
    """The pipeline tasks with their aliases, for --help."""
    from ..pipelines import SUPPORTED_TASKS
    from ..registry import describe_tasks

    return describe_tasks(SUPPORTED_TASKS)


def add_model_arguments(parser: argparse.ArgumentParser, default_format: str = "json") -> None:
    """--model, --device, --dtype, --top-k, --format (default `default_format`), --option."""
    parser.add_argument(
        "--model",
        metavar="DIR",
        default=None,
        help="checkpoint folder or cached hub id (default: the bundled model, for the tasks it can answer)",
    )
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N, a GPU index, or -1 (default: cpu)")
    parser.add_argument("--dtype", default=None, help="float32, float16, bfloat16 or auto (default: as saved)")
    parser.add_argument("--top-k", type=int, default=None, dest="top_k", help="number of predictions to return")
    parser.add_argument(
        "--format",
        choices=("json", "text"),
        default=default_format,
        help="json: one JSON value per input; text: human-readable",
    )
    add_option_argument(parser, "-o aggregation_strategy=simple -o max_answer_len=30")


def add_option_argument(parser: argparse.ArgumentParser, example: str) -> None:
    """--option / -o KEY=VALUE (repeatable): any other pipeline option, VALUE parsed as JSON where it can be."""
    parser.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"any other pipeline option; VALUE is parsed as JSON when it can be (e.g. {example})",
    )


def arg_values(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """`{name: args.<name>}` for each name: the options a command passes on unchanged, under their own names."""
    return {name: getattr(args, name) for name in names}


def parse_key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    """KEY=VALUE strings -> dict. VALUE is JSON when it parses (numbers, true/false/null, lists, strings in
    quotes), True/False/None in any case, else the text as it is."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise CommandError(f"{flag} expects KEY=VALUE, got {pair!r}")
        words = {"true": True, "false": False, "none": None, "null": None}
        if value.strip().lower() in words:
            options[key] = words[value.strip().lower()]
            continue
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def build_pipeline(task: str, args: argparse.Namespace, **options: Any) -> Any:
    """The pipeline for `task`, with every user error turned into a one-line CommandError."""
    from .. import pipeline
    from .errors import user_errors

    if getattr(args, "batch_size", 1) is not None and getattr(args, "batch_size", 1) < 1:
        raise CommandError(f"--batch-size must be >= 1, got {args.batch_size}")
    try:
        with user_errors():
            return pipeline(
                task,
                model=args.model,
                device=args.device,
                dtype=args.dtype,
                batch_size=getattr(args, "batch_size", 1) or 1,
                **options,
            )
    except CommandError as e:
        if "unexpected option" in str(e):  # options reach the pipeline through -o KEY=VALUE
            raise CommandError(f"{e} (given with -o/--option); see docs/pipelines.md for each task's options") from None
        raise


def emit(fmt: str, pipe: Any, result: Any, out: TextIO) -> None:
    """Write one input's result: one JSON line, or the pipeline's human-readable rendering."""
    out.write((to_json(result) if fmt == "json" else pipe.render(result)) + "\n")
    out.flush()

"""Shared pieces of the inference commands: building the pipeline, parsing input lines, rendering results."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ...cli import CommandError

TASK_CHOICES = (
    "fill-mask",
    "text-classification",
    "sentiment-analysis",
    "token-classification",
    "ner",
    "question-answering",
    "feature-extraction",
    "sentence-embedding",
    "text-generation",
)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--model, --device, --dtype, --top-k, --format, --option."""
    parser.add_argument(
        "--model", metavar="DIR", default=None, help="checkpoint directory (default: the bundled default model)"
    )
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N, a GPU index, or -1 (default: cpu)")
    parser.add_argument("--dtype", default=None, help="float32, float16, bfloat16 or auto (default: as saved)")
    parser.add_argument("--top-k", type=int, default=None, dest="top_k", help="number of predictions to return")
    parser.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json: one JSON value per input line (default); text: human-readable",
    )
    parser.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other pipeline option; VALUE is parsed as JSON when it can be "
        "(e.g. -o aggregation_strategy=simple -o max_answer_len=30)",
    )


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE strings -> dict, VALUE parsed as JSON when possible."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise CommandError(f"--option expects KEY=VALUE, got {pair!r}")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def build_pipeline(task: str, args: argparse.Namespace, **options: Any) -> Any:
    """The pipeline for `task`, with every user error turned into a one-line CommandError."""
    from .. import pipeline

    if args.model is not None:
        from pathlib import Path

        if not Path(args.model).is_dir():
            raise CommandError(f"model directory {args.model!r} does not exist")
    if getattr(args, "batch_size", 1) is not None and getattr(args, "batch_size", 1) < 1:
        raise CommandError(f"--batch-size must be >= 1, got {args.batch_size}")
    try:
        return pipeline(
            task,
            model=args.model,
            device=args.device,
            dtype=args.dtype,
            batch_size=getattr(args, "batch_size", 1) or 1,
            **options,
        )
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise CommandError(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__) from None


def to_json(value: Any) -> str:
    """One line of JSON (numpy scalars and tensors become numbers / lists)."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    return json.dumps(value, ensure_ascii=False, default=default)


def render_text(task: str, result: Any) -> str:
    """A human-readable rendering of one input's result (one or more lines)."""
    if task == "fill-mask":
        groups = result if result and isinstance(result[0], list) else [result]
        lines = []
        for n, group in enumerate(groups, 1):
            if len(groups) > 1:
                lines.append(f"mask {n}:")
            lines += [f"{p['score']:.4f}\t{p['token_str']!r}\t{p['sequence']}" for p in group]
        return "\n".join(lines)
    if task in ("text-classification", "sentiment-analysis"):
        items = result if isinstance(result, list) else [result]
        items = [x for r in items for x in (r if isinstance(r, list) else [r])]
        return "\n".join(f"{r['label']}\t{r['score']:.4f}" for r in items)
    if task in ("token-classification", "ner"):
        if not result:
            return "(no entities)"
        return "\n".join(
            f"{r['word']!r}\t{r.get('entity_group', r.get('entity'))}\t{r['score']:.4f}\t{r['start']}-{r['end']}"
            for r in result
        )
    if task == "question-answering":
        items = result if isinstance(result, list) else [result]
        return "\n".join(f"{r['answer']!r}\t{r['score']:.4f}\t{r['start']}-{r['end']}" for r in items)
    if task == "feature-extraction":
        rows = result[0]
        return (
            f"{len(rows)} tokens x {len(rows[0]) if rows else 0} features: "
            + " ".join(f"{v:.4f}" for v in (rows[0][:8] if rows else []))
            + " ..."
        )
    if task == "sentence-embedding":
        return " ".join(f"{v:.6f}" for v in result)
    if task == "text-generation":
        return "\n".join(str(r.get("generated_text", r.get("generated_token_ids"))) for r in result)
    return to_json(result)


def emit(task: str, fmt: str, result: Any, out: TextIO) -> None:
    """Write one input's result."""
    out.write((to_json(result) if fmt == "json" else render_text(task, result)) + "\n")
    out.flush()


class Progress:
    """A one-line progress bar on stderr (redrawn with \\r)."""

    def __init__(self, total: int, enabled: bool, stream: TextIO | None = None) -> None:
        self.total, self.enabled, self.done = total, enabled and total > 0, 0
        self.stream = stream or sys.stderr

    def update(self, n: int) -> None:
        self.done += n
        if self.enabled:
            width = 30
            filled = int(width * self.done / self.total)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

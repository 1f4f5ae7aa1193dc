"""--truncation and --window-length / --window-stride / --window-aggregate: the pipelines' `truncation` and
`window` options (long documents cut, or read in overlapping windows, `pipelines/windows.py`) on the command
line; `roberta run` and `roberta predict` share them. Without either, an input longer than the model is an
error naming its length (a `roberta run` line, or a `roberta predict` row in the errors file), never cut."""

from __future__ import annotations

import argparse
from typing import Any

from .errors import CommandError


def add_window_arguments(parser: argparse.ArgumentParser) -> None:
    """--truncation and the three window flags, in an argument group of their own."""
    window = parser.add_argument_group(
        "long documents",
        "inputs longer than the model are errors unless cut (--truncation) or read in overlapping windows "
        "(docs/embeddings.md)",
    )
    window.add_argument("--truncation", action="store_true", help="cut inputs longer than the model to its limit")
    window.add_argument("--window-length", type=int, default=None, dest="window_length", help="tokens per window")
    window.add_argument(
        "--window-stride", type=int, default=0, dest="window_stride", help="tokens consecutive windows share (0)"
    )
    window.add_argument(
        "--window-aggregate",
        default=None,
        dest="window_aggregate",
        help="how windows combine: mean, max, first (text-classification); mean, late (sentence-embedding)",
    )


def add_window_option(args: argparse.Namespace, options: dict[str, Any]) -> None:
    """Put the `window` pipeline option the flags ask for (`{"length", "stride"[, "aggregate"]}`) in `options`
    (nothing without --window-length); CommandError for a stride or an aggregate without a length, or for
    --window-length beside `--option window=...`; `truncation` too with --truncation (CommandError beside a
    window or `--option truncation=...`)."""
    if args.truncation:
        if args.window_length is not None or "window" in options:
            raise CommandError("--truncation and a window exclude each other: an input is cut, or windowed")
        if "truncation" in options:
            raise CommandError("give --truncation or --option truncation=..., not both")
        options["truncation"] = True
    if args.window_length is None:
        if args.window_aggregate is not None or args.window_stride:
            raise CommandError("--window-stride and --window-aggregate need --window-length")
        return
    if "window" in options:
        raise CommandError("give --window-length or --option window=..., not both")
    window: dict[str, Any] = {"length": args.window_length, "stride": args.window_stride}
    if args.window_aggregate is not None:
        window["aggregate"] = args.window_aggregate
    options["window"] = window

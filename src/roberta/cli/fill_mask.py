"""`roberta fill-mask "TEXT" [--model DIR] [--top-k K]`: fill the <mask> of one text given as an argument.

Prints the predictions for people to read (`--format json` for the JSON that `roberta run` prints)."""

from __future__ import annotations

import argparse
import sys

from .errors import CommandError, user_errors
from .options import add_model_arguments, build_pipeline, emit, parse_key_values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", help='the text, with one or more <mask> tokens, e.g. "Paris is the <mask> of France."')
    add_model_arguments(parser, default_format="text")
    parser.add_argument(
        "--targets", nargs="+", default=None, metavar="TOKEN", help="restrict the predictions to these tokens"
    )


def main(args: argparse.Namespace) -> int:
    if not args.text.strip():
        raise CommandError("the text is empty")
    options = parse_key_values(args.option, "--option")
    if args.top_k is not None:
        options["top_k"] = args.top_k
    if args.targets:
        options["targets"] = args.targets
    pipe = build_pipeline("fill-mask", args, **options)
    with user_errors():
        result = pipe.run_batch([pipe.parse_line(args.text)])[0]
    emit(args.format, pipe, result, sys.stdout)
    return 0

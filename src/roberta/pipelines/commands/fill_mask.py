"""`roberta fill-mask "TEXT" [--model DIR] [--top-k K]`: fill the <mask> of one text given as an argument."""

from __future__ import annotations

import argparse
import sys

from ...cli import CommandError
from .common import add_model_arguments, build_pipeline, emit, parse_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", help='the text, with one or more <mask> tokens, e.g. "Paris is the <mask> of France."')
    add_model_arguments(parser)
    parser.add_argument(
        "--targets", nargs="+", default=None, metavar="TOKEN", help="restrict the predictions to these tokens"
    )


def main(args: argparse.Namespace) -> int:
    if not args.text.strip():
        raise CommandError("the text is empty")
    options = parse_options(args.option)
    if args.top_k is not None:
        options["top_k"] = args.top_k
    if args.targets:
        options["targets"] = args.targets
    pipe = build_pipeline("fill-mask", args, **options)
    if pipe.tokenizer.mask_token not in args.text:
        raise CommandError(f"no {pipe.tokenizer.mask_token} token in the text")
    try:
        result = pipe.run_batch([args.text])[0]
    except (ValueError, TypeError) as e:
        raise CommandError(str(e)) from None
    emit("fill-mask", args.format, result, sys.stdout)
    return 0

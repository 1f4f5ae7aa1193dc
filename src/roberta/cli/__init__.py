"""The `roberta` command line: one table of sub-commands, one module each in this package.

Every module exposes `add_arguments(parser)` and `main(args) -> int`. Modules are imported only when their
command runs, so `roberta --help` stays fast. Errors are one line on stderr (`errors.py`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import CommandError

__all__ = ["COMMANDS", "CommandError", "main", "parse_args"]

# name -> (module in this package, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run a pipeline over standard input, one input per line"),
    "fill-mask": ("fill_mask", "fill the <mask> in one text given as an argument"),
    "train-tokenizer": ("train_tokenizer", "train a byte-level BPE vocabulary"),
    "pretrain": ("pretrain", "masked-LM pretraining from raw text files"),
    "finetune": ("finetune", "fine-tune a head on CSV / JSON Lines / SQuAD data"),
    "convert": ("convert", "convert a checkpoint of another format (fairseq) into a model directory"),
    "export": ("export", "export a model directory to another runtime (ONNX)"),
    "serve": ("serve", "serve models over HTTP with dynamic, unpadded batching"),
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Help that shows every option's default (unless its text already says it, or there is none) and keeps
    the description's line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if "default" in (action.help or "") or action.default in (None, False, [], argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


def _module(name: str):
    return importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line as `main` would (usage errors exit with status 2), without running it."""
    from .. import __version__

    argv = list(argv)
    parser = argparse.ArgumentParser(
        prog="roberta", description="RoBERTa models: inference and training.", formatter_class=HelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"roberta {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    requested = next((a for a in argv if a in COMMANDS), None)
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=HelpFormatter)
        if name == requested:
            _module(name).add_arguments(p)
    args = parser.parse_args(argv)
    args.print_help = parser.print_help
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        args.print_help()
        return 0
    try:
        return int(_module(args.command).main(args) or 0)
    except CommandError as e:
        print(f"roberta {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:  # a training run says where its checkpoint is
        print(f"roberta {args.command}: {e or 'interrupted'}", file=sys.stderr)
        return getattr(e, "exit_code", 130)


if __name__ == "__main__":
    sys.exit(main())

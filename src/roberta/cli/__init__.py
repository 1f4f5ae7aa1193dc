"""The `roberta` command line: one table of sub-commands, one module each in this package.

Every module exposes `add_arguments(parser)` and `main(args) -> int`. Modules are imported only when their
command runs, so `roberta --help` stays fast. Errors are one line on stderr (`errors.py`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..extras import missing_extra
from .errors import CommandError
from .parser import HelpFormatter, Parser, given_options

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
    "predict": ("predict", "run a pipeline over every row of a dataset file, resumably (or on Ray Data)"),
}


def _module(name: str):
    return importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line as `main` would (usage errors exit with status 2), without running it.

    `args.given()` is the set of the sub-command's options spelt out on the command line (not defaults)."""
    from .. import __version__

    argv = list(argv)
    parser = Parser(
        prog="roberta", description="RoBERTa models: inference and training.", formatter_class=HelpFormatter
    )
    parser.add_argument("-V", "--version", action="version", version=f"roberta {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    requested = next((a for a in argv if a in COMMANDS), None)
    command_parser = None
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=HelpFormatter)
        if name == requested:
            _module(name).add_arguments(p)
            command_parser = p
    args, extras = parser.parse_known_args(argv)
    if extras:
        (command_parser or parser).unrecognized(extras)
    rest = argv[argv.index(requested) + 1 :] if requested else []
    args.given = lambda: given_options(command_parser, rest) if command_parser else set()
    args.print_help = parser.print_help
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; return the exit status (0 done, 1 some inputs failed, 2 bad input, 128+N a signal)."""
    prog = "roberta"
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        if args.command is None:
            args.print_help()
            return 0
        prog = f"roberta {args.command}"
        return int(_module(args.command).main(args) or 0)
    except CommandError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except ImportError as e:  # an optional dependency that is not installed: which extra to install
        missing = missing_extra(e, "this command")
        if missing is None:
            raise
        print(f"{prog}: error: {missing}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # a training run says where its checkpoint is
        print(f"{prog}: {str(e) or 'interrupted'}", file=sys.stderr)
        return getattr(e, "exit_code", 130)


if __name__ == "__main__":
    sys.exit(main())

"""The `roberta` command line: one table of sub-commands, each living in the module that owns it.

Every entry names a module that exposes `add_arguments(parser)` and `main(args) -> int`. Modules are
imported only when their command runs, so `roberta --help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Iterator, Sequence

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("roberta.pipelines.commands.run", "run a pipeline over standard input, one input per line"),
    "fill-mask": ("roberta.pipelines.commands.fill_mask", "fill the <mask> in one text given as an argument"),
    "train-tokenizer": ("roberta.training.commands.train_tokenizer", "train a byte-level BPE vocabulary"),
    "pretrain": ("roberta.training.commands.pretrain", "masked-LM pretraining from raw text files"),
    "finetune": ("roberta.training.commands.finetune", "fine-tune a head on CSV / JSON Lines / SQuAD data"),
    "convert": ("roberta.convert.command", "convert a checkpoint of another format (fairseq) into a model directory"),
    "export": ("roberta.onnx.command", "export a model directory to another runtime (ONNX)"),
}


class CommandError(Exception):
    """A user-facing error: printed as one line on stderr, no traceback; exit status `status` (1 by default,
    2 for bad input as argparse uses)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@contextlib.contextmanager
def bad_input() -> Iterator[None]:
    """Turn the errors a command's input causes (a missing file, a bad value) into a `CommandError`, status 2."""
    try:
        yield
    except (OSError, ValueError) as e:
        lines = str(e).strip().splitlines()
        raise CommandError(lines[0] if lines else type(e).__name__, status=2) from None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="roberta", description="RoBERTa models: inference and training.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    requested = next((a for a in argv if a in COMMANDS), None)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == requested:
            importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(importlib.import_module(COMMANDS[args.command][0]).main(args) or 0)
    except CommandError as e:
        print(f"roberta {args.command}: error: {e}", file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print(f"roberta {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

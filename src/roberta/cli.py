"""The `roberta` command line: one table of sub-commands, each living in the module that owns it.

Every entry names a module that exposes `add_arguments(parser)` and `main(args) -> int`. Modules are
imported only when their command runs, so `roberta --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("roberta.pipelines.commands.run", "run a pipeline over standard input, one input per line"),
    "fill-mask": ("roberta.pipelines.commands.fill_mask", "fill the <mask> in one text given as an argument"),
    "train-tokenizer": ("roberta.training.commands.train_tokenizer", "train a byte-level BPE vocabulary"),
    "pretrain": ("roberta.training.commands.pretrain", "masked-LM pretraining from raw text files"),
    "finetune": ("roberta.training.commands.finetune", "fine-tune a head on CSV / JSON Lines / SQuAD data"),
}


class CommandError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 1, no traceback."""


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
        return 1
    except KeyboardInterrupt as e:  # a training run says where its checkpoint is
        print(f"roberta {args.command}: {e or 'interrupted'}", file=sys.stderr)
        return getattr(e, "exit_code", 130)


if __name__ == "__main__":
    sys.exit(main())

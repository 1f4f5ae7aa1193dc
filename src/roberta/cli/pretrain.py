"""`roberta pretrain FILE... -o DIR (--tokenizer DIR --size PRESET | --model DIR)`: masked-LM pretraining,
a thin layer over `roberta.training.pretrain`."""

from __future__ import annotations

import argparse

from .options import arg_values
from .training_options import add_train_arguments, recipe_keywords, run_training


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..training.presets import PRESETS

    p.add_argument(
        "files",
        nargs="*",
        help="UTF-8 text files: one sentence a line, documents split by blank lines (with --resume: the run's)",
    )
    p.add_argument("--tokenizer", help="tokenizer folder or cached hub id (default: --model's)")
    p.add_argument("--model", help="continue from this checkpoint (folder or cached hub id) instead of from scratch")
    p.add_argument("--size", default="base", choices=tuple(PRESETS), help="size preset when starting from scratch")
    p.add_argument(
        "--max-seq-length",
        type=int,
        default=512,
        help="tokens per training sequence; a new model gets this many positions (the saved tokenizer says so)",
    )
    p.add_argument("--document-per-file", action="store_true", help="each file is one document")
    p.add_argument("--validation-file", action="append", default=[], help="held-out text (repeatable)")
    p.add_argument("--data-dir", help="where token shards go (default OUTPUT/data); reused when unchanged")
    p.add_argument("--mlm-probability", type=float, default=0.15)
    add_train_arguments(p, lr=6e-4, batch_size=8, max_steps=None, warmup=0.06)


def main(args: argparse.Namespace) -> int:
    from ..training import pretrain
    from .errors import CommandError

    named = arg_values(
        args,
        "files",
        "tokenizer",
        "model",
        "size",
        "max_seq_length",
        "document_per_file",
        "data_dir",
        "mlm_probability",
    )
    call = recipe_keywords(args, **named, validation_files=args.validation_file)
    if not call["files"]:
        raise CommandError("give the training text FILEs (or --resume -o RUN to continue a saved run)")
    if call["tokenizer"] is None and call["model"] is None:
        raise CommandError("give --tokenizer DIR (or --model DIR holding tokenizer files)")
    return run_training(args, pretrain, {**call, "output_dir": args.output_dir})

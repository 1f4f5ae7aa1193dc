"""`roberta train-tokenizer FILE... -o DIR`: byte-level BPE with RoBERTa's special tokens."""

from __future__ import annotations

import argparse
import sys

from .errors import user_errors


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="UTF-8 text files")
    p.add_argument("--output-dir", "-o", required=True, help="the folder to create (must not exist, or be empty)")
    p.add_argument("--overwrite", action="store_true", help="replace the tokenizer files of an existing folder")
    p.add_argument("--vocab-size", type=int, default=50265)
    p.add_argument("--min-frequency", type=int, default=2)
    p.add_argument("--model-max-length", type=int, default=512)


def main(args: argparse.Namespace) -> int:
    from ..training.tokenizer_trainer import train_tokenizer

    with user_errors():
        train_tokenizer(
            args.files,
            args.output_dir,
            vocab_size=args.vocab_size,
            min_frequency=args.min_frequency,
            model_max_length=args.model_max_length,
            log=lambda msg: print(msg, file=sys.stderr),
            overwrite=args.overwrite,
        )
    print(f"wrote a byte-level BPE tokenizer to {args.output_dir}", file=sys.stderr)
    return 0

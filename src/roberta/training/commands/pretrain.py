"""`roberta pretrain FILE... -o DIR (--tokenizer DIR --size PRESET | --model DIR)`: masked-LM pretraining."""

from __future__ import annotations

import argparse
import json

from .common import add_train_arguments, logger, train_args, user_errors


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="UTF-8 text files: one sentence a line, documents split by blank lines")
    p.add_argument("--tokenizer", help="tokenizer directory (default: --model's)")
    p.add_argument("--model", help="continue from this checkpoint directory instead of starting from scratch")
    p.add_argument("--size", default="base", help="size preset when starting from scratch: tiny, mini, small, base")
    p.add_argument("--max-seq-length", type=int, default=512)
    p.add_argument("--document-per-file", action="store_true", help="each file is one document")
    p.add_argument("--validation-file", action="append", default=[], help="held-out text (repeatable)")
    p.add_argument("--data-dir", help="where token shards go (default OUTPUT/data); reused when unchanged")
    p.add_argument("--mlm-probability", type=float, default=0.15)
    add_train_arguments(p, lr=6e-4, batch_size=8, max_steps=None, warmup=0.06)


def main(args: argparse.Namespace) -> int:
    from ...cli import CommandError
    from ...tokenizer import RobertaTokenizerFast
    from ..distributed import cleanup, setup
    from ..presets import parse_overrides
    from ..pretrain import prepare_shards, pretrain

    info = setup(args.device, timeout=args.dist_timeout)
    log = logger(info)
    try:
        with user_errors():
            tok_dir = args.tokenizer or args.model
            if tok_dir is None:
                raise CommandError("give --tokenizer DIR (or --model DIR holding tokenizer files)")
            tokenizer = RobertaTokenizerFast.from_pretrained(tok_dir)
            if args.max_seq_length < 3:
                raise ValueError("--max-seq-length must be at least 3")
            import os

            data_dir = args.data_dir or os.path.join(args.output_dir, "data")
            n = len(
                prepare_shards(
                    args.files,
                    tokenizer,
                    os.path.join(data_dir, "train"),
                    info,
                    max_seq_length=args.max_seq_length,
                    document_per_file=args.document_per_file,
                    log=log,
                )
            )
            targs = train_args(args, n, info)
            result = pretrain(
                args.files,
                targs,
                info,
                tokenizer=tokenizer,
                model_dir=args.model,
                preset=args.size,
                max_seq_length=args.max_seq_length,
                document_per_file=args.document_per_file,
                validation_files=args.validation_file,
                data_dir=data_dir,
                mlm_probability=args.mlm_probability,
                config_overrides=parse_overrides(args.config_override),
                log=log,
            )
        log(json.dumps(result))
        return 0
    finally:
        cleanup(info)

"""`roberta finetune TASK --model DIR --train-file F [--validation-file F] -o DIR`: fine-tune a head, a thin
layer over `roberta.training.finetune`.

TASK: one of the registry's fine-tunable heads' tasks (`FINETUNE_TASKS`: text-classification, single-label /
multi-label / regression, token-classification, question-answering, multiple-choice, fill-mask,
text-generation), or an alias of one (classification, ner, qa, mlm, causal-lm, ...). Data formats are
documented in docs/training.md.
"""

from __future__ import annotations

import argparse

from .options import arg_values
from .training_options import add_train_arguments, recipe_keywords, run_training


def _list(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..registry import describe_tasks
    from ..training.finetuning import FINETUNE_ALIASES, FINETUNE_TASKS

    p.add_argument(
        "task",
        nargs="?",
        choices=[*FINETUNE_TASKS, *FINETUNE_ALIASES],
        metavar="TASK",
        help=describe_tasks(FINETUNE_TASKS) + " (with --resume: the run's)",
    )
    p.add_argument("--model", help="checkpoint to start from: folder or cached hub id (required, but with --resume)")
    p.add_argument("--tokenizer", help="tokenizer folder (default: --model's)")
    p.add_argument("--train-file", help="the training data (required, but with --resume)")
    p.add_argument("--validation-file")
    lengths = ", ".join(f"{task} {spec.default_max_length}" for task, spec in FINETUNE_TASKS.items())
    p.add_argument("--max-seq-length", type=int, default=None, help=f"default {lengths}; capped by the model")
    g = p.add_argument_group("text classification")
    g.add_argument(
        "--problem-type",
        choices=("single_label_classification", "multi_label_classification", "regression"),
        default="single_label_classification",
    )
    g.add_argument("--text-column", default="text")
    g.add_argument("--text-pair-column", default=None)
    g.add_argument("--label-column", default="label")
    g.add_argument("--labels", default=None, help="comma-separated label list (default: labels of --train-file)")
    g.add_argument("--label-separator", default="|", help="joins multi-label labels in CSV cells")
    g = p.add_argument_group("token classification")
    g.add_argument("--tokens-column", default="tokens")
    g.add_argument("--tags-column", default="tags")
    g.add_argument("--label-all-tokens", action="store_true", help="label every sub-word, not just the first")
    g = p.add_argument_group("question answering")
    g.add_argument(
        "--doc-stride",
        type=int,
        default=None,
        help="tokens shared by consecutive context windows (default: 128, or a third of --max-seq-length when "
        "that is less)",
    )
    g.add_argument("--n-best", type=int, default=20)
    g.add_argument("--max-answer-length", type=int, default=30)
    g.add_argument(
        "--version-2-with-negative",
        action="store_true",
        help="allow empty answers (on anyway when the data has unanswerable questions)",
    )
    g.add_argument("--null-score-threshold", type=float, default=0.0)
    g = p.add_argument_group("multiple choice")
    g.add_argument("--context-column", default="context")
    g.add_argument("--question-column", default=None, help="text put before every ending")
    g.add_argument("--ending-columns", default=None, help="comma-separated (default: ending0, ending1, ...)")
    g = p.add_argument_group("language modelling")
    g.add_argument("--document-per-file", action="store_true")
    g.add_argument("--mlm-probability", type=float, default=0.15)
    add_train_arguments(p, lr=3e-5, batch_size=16, max_steps=None, warmup=0.06)


def main(args: argparse.Namespace) -> int:
    from ..training.finetuning import TaskOptions, finetune
    from .errors import CommandError

    options = arg_values(args, *TaskOptions.__dataclass_fields__)
    options.update(labels=_list(args.labels), ending_columns=_list(args.ending_columns))
    named = arg_values(args, "task", "model", "train_file", "validation_file", "tokenizer", "max_seq_length")
    call = recipe_keywords(args, **named, **options)
    for key, what in (("task", "the TASK"), ("model", "--model DIR"), ("train_file", "--train-file FILE")):
        if call[key] is None:
            raise CommandError(f"give {what} (or --resume -o RUN to continue a saved run)")
    return run_training(args, finetune, {**call, "output_dir": args.output_dir})

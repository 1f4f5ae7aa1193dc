"""`roberta finetune TASK --model DIR --train-file F [--validation-file F] -o DIR`: fine-tune a head.

TASK: classification (single-label / multi-label / regression), token-classification, question-answering,
multiple-choice, mlm, clm. Data formats are documented in docs/training.md.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any

from .common import add_train_arguments, logger, train_args, user_errors

TASKS = ("classification", "token-classification", "question-answering", "multiple-choice", "mlm", "clm")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", choices=TASKS)
    p.add_argument("--model", required=True, help="checkpoint directory to start from (ours or transformers')")
    p.add_argument("--tokenizer", help="tokenizer directory (default: --model)")
    p.add_argument("--train-file", required=True)
    p.add_argument("--validation-file")
    p.add_argument("--max-seq-length", type=int, default=None, help="default 128 (384 for QA, 512 for LM)")
    g = p.add_argument_group("classification")
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
    g.add_argument("--doc-stride", type=int, default=128, help="tokens shared by consecutive context windows")
    g.add_argument("--n-best", type=int, default=20)
    g.add_argument("--max-answer-length", type=int, default=30)
    g.add_argument(
        "--version-2-with-negative",
        action="store_true",
        help="allow empty answers (default: on when the data has unanswerable questions)",
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


def _max_len(args: argparse.Namespace, default: int) -> int:
    """--max-seq-length (or the task default), capped by the model's position table."""
    return min(args.max_seq_length or default, args.position_limit)


def _labels_arg(args: argparse.Namespace) -> list[str] | None:
    return [s.strip() for s in args.labels.split(",") if s.strip()] if args.labels else None


def _classification(args: argparse.Namespace, tok: Any, overrides: dict) -> tuple[Any, Callable, str]:
    from ... import RobertaForSequenceClassification
    from ..finetune_classification import (
        REGRESSION,
        ClassificationColumns,
        ClassificationTask,
        encode_labels,
        label_list,
        make_features,
        read_classification,
    )

    cols = ClassificationColumns(args.text_column, args.text_pair_column, args.label_column, args.label_separator)
    pt = args.problem_type
    rows = read_classification(args.train_file, cols, pt)
    labels = [] if pt == REGRESSION else (_labels_arg(args) or label_list(rows, pt))
    n = 1 if pt == REGRESSION else len(labels)
    max_len = _max_len(args, 128)
    feats = make_features(tok, rows, encode_labels(args.train_file, rows, labels, pt), max_len)
    evals = None
    if args.validation_file:
        vrows = read_classification(args.validation_file, cols, pt)
        evals = make_features(tok, vrows, encode_labels(args.validation_file, vrows, labels, pt), max_len)
    task = ClassificationTask(feats, tok, pt, n, evals)
    label_kw: dict[str, Any] = {"num_labels": n, "problem_type": pt}
    if labels:
        label_kw.update(id2label=dict(enumerate(labels)), label2id={name: i for i, name in enumerate(labels)})
    return task, lambda path: RobertaForSequenceClassification.from_pretrained(path, **label_kw, **overrides), "head"


def _token(args: argparse.Namespace, tok: Any, overrides: dict) -> tuple[Any, Callable, str]:
    from ... import RobertaForTokenClassification
    from ..finetune_token import TokenTask, align_features, read_tagged, tag_list

    rows = read_tagged(args.train_file, args.tokens_column, args.tags_column)
    labels = _labels_arg(args) or tag_list(rows)
    max_len = _max_len(args, 128)
    feats = align_features(tok, args.train_file, rows, labels, max_len, args.label_all_tokens)
    evals = None
    if args.validation_file:
        vrows = read_tagged(args.validation_file, args.tokens_column, args.tags_column)
        evals = align_features(tok, args.validation_file, vrows, labels, max_len, args.label_all_tokens)
    task = TokenTask(feats, tok, labels, evals)
    kw = dict(
        num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={name: i for i, name in enumerate(labels)}
    )
    return task, lambda path: RobertaForTokenClassification.from_pretrained(path, **kw, **overrides), "head"


def _qa(args: argparse.Namespace, tok: Any, overrides: dict) -> tuple[Any, Callable, str]:
    from ... import RobertaForQuestionAnswering
    from ..finetune_qa import QATask, eval_features, read_squad, train_features

    max_len = _max_len(args, 384)
    train = read_squad(args.train_file)
    vex = read_squad(args.validation_file) if args.validation_file else None
    if args.doc_stride >= max_len // 2:
        raise ValueError(f"--doc-stride ({args.doc_stride}) must be under half of --max-seq-length ({max_len})")
    feats = train_features(tok, train, max_len, args.doc_stride)
    vfeats = eval_features(tok, vex, max_len, args.doc_stride) if vex else None
    v2 = args.version_2_with_negative or any(e.is_impossible for e in train + (vex or []))
    task = QATask(
        feats,
        tok,
        vex,
        vfeats,
        n_best=args.n_best,
        max_answer_length=args.max_answer_length,
        allow_impossible=v2,
        null_threshold=args.null_score_threshold,
        output_dir=args.output_dir,
    )
    return task, lambda path: RobertaForQuestionAnswering.from_pretrained(path, **overrides), "head"


def _choice(args: argparse.Namespace, tok: Any, overrides: dict) -> tuple[Any, Callable, str]:
    from ... import RobertaForMultipleChoice
    from ..finetune_choice import ChoiceColumns, ChoiceTask, choice_features, read_choices

    endings = [c.strip() for c in args.ending_columns.split(",")] if args.ending_columns else None
    cols = ChoiceColumns(args.context_column, args.question_column, endings, args.label_column)
    max_len = _max_len(args, 128)
    feats = choice_features(tok, read_choices(args.train_file, cols), max_len)
    evals = choice_features(tok, read_choices(args.validation_file, cols), max_len) if args.validation_file else None
    return (
        ChoiceTask(feats, tok, evals),
        lambda path: RobertaForMultipleChoice.from_pretrained(path, **overrides),
        "head",
    )


def _lm(args: argparse.Namespace, tok: Any, overrides: dict, info: Any, log: Callable) -> tuple[Any, Callable, str]:
    from ... import RobertaForCausalLM, RobertaForMaskedLM
    from ..finetune_lm import CausalLMTask, MaskedLMTask
    from ..pretrain import prepare_shards

    max_len = _max_len(args, 512)
    data = os.path.join(args.output_dir, "data")
    common = dict(max_seq_length=max_len, document_per_file=args.document_per_file, log=log)
    seqs = prepare_shards([args.train_file], tok, os.path.join(data, "train"), info, **common)
    evals = (
        prepare_shards([args.validation_file], tok, os.path.join(data, "validation"), info, **common)
        if args.validation_file
        else None
    )
    if args.task == "mlm":
        return (
            MaskedLMTask(seqs, tok, args.seed, evals, args.mlm_probability),
            lambda path: RobertaForMaskedLM.from_pretrained(path, **overrides),
            "lm",
        )
    kw = {"is_decoder": True, **overrides}
    return CausalLMTask(seqs, tok, evals), lambda path: RobertaForCausalLM.from_pretrained(path, **kw), "lm"


def main(args: argparse.Namespace) -> int:
    from ..distributed import cleanup, setup
    from ..finetune_common import load_tokenizer
    from ..loop import train
    from ..presets import parse_overrides

    info = setup(args.device, timeout=args.dist_timeout)
    log = logger(info)
    try:
        with user_errors():
            needs_prefix = args.task == "token-classification"
            tok = load_tokenizer(args.model, args.tokenizer, **({"add_prefix_space": True} if needs_prefix else {}))
            overrides = parse_overrides(args.config_override)
            from ...config import RobertaConfig

            cfg = RobertaConfig.from_pretrained(args.model)
            args.position_limit = cfg.max_position_embeddings - cfg.pad_token_id - 1
            builders = {
                "classification": _classification,
                "token-classification": _token,
                "question-answering": _qa,
                "multiple-choice": _choice,
            }
            if args.task in builders:
                task, load, _ = builders[args.task](args, tok, overrides)
            else:
                task, load, _ = _lm(args, tok, overrides, info, log)
            targs = train_args(args, task.num_samples, info)

            def build(checkpoint: str | None) -> Any:
                return load(checkpoint or args.model)

            result = train(task, build, targs, info, log)
        log(json.dumps(result))
        return 0
    finally:
        cleanup(info)

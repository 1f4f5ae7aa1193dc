"""Fine-tuning as a library recipe: `finetune(task, model, train_file, output_dir, ...)`, like `pretrain()`.

One recipe per fine-tunable head of `roberta.registry` (`FINETUNE_TASKS`): how its data is read and turned
into features (a `Task` for the shared loop; `_BUILDERS`), and, from the head's row, which model class it
trains and its default sequence length. Task names are the registry's, as everywhere (`text-classification`,
`token-classification`, `question-answering`, `multiple-choice`, `fill-mask`, `text-generation`); the
registry's aliases (`classification`, `ner`, `qa`, `mlm`, `causal-lm`, ...) resolve to them.
`roberta finetune` is a thin layer over this function.

    from roberta.training import finetune
    finetune("text-classification", "path/to/model", "train.csv", "out", validation_file="dev.csv",
             max_steps=200, text_column="sentence")
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import registry
from .distributed import DistInfo
from .loop import Task, TrainArgs, check_before_data, train


@dataclass(frozen=True)
class TaskOptions:
    """Every task option with its default; each task reads the ones it needs (docs/training.md)."""

    # classification
    problem_type: str = "single_label_classification"
    text_column: str = "text"
    text_pair_column: str | None = None
    label_column: str = "label"
    labels: Sequence[str] | None = None  # default: the labels found in the training file
    label_separator: str = "|"  # joins multi-label labels in CSV cells
    # token classification
    tokens_column: str = "tokens"
    tags_column: str = "tags"
    label_all_tokens: bool = False
    # question answering
    doc_stride: int | None = None  # default: 128, or a third of the sequence length when that is less
    n_best: int = 20
    max_answer_length: int = 30
    version_2_with_negative: bool = False  # on anyway when the data has unanswerable questions
    null_score_threshold: float = 0.0
    # multiple choice
    context_column: str = "context"
    question_column: str | None = None
    ending_columns: Sequence[str] | None = None  # default: ending0, ending1, ...
    # language modelling
    document_per_file: bool = False
    mlm_probability: float = 0.15


@dataclass(frozen=True)
class Data:
    """What a task builder receives."""

    train_file: str
    validation_file: str | None
    tokenizer: Any
    max_length: int
    options: TaskOptions
    output_dir: str
    seed: int
    info: DistInfo
    log: Callable[[str], None]
    progress: bool = True


Builder = Callable[[Data], tuple[Task, dict[str, Any]]]  # -> (task, config fields for the model)


@dataclass(frozen=True)
class FinetuneTask:
    model_class: str
    default_max_length: int
    build: Builder
    tokenizer_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)  # config fields the head needs


def _labels(labels: list[str]) -> dict[str, Any]:
    return {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {name: i for i, name in enumerate(labels)},
    }


def _classification(d: Data) -> tuple[Task, dict[str, Any]]:
    from .finetune_classification import (
        REGRESSION,
        ClassificationColumns,
        ClassificationTask,
        encode_labels,
        label_list,
        make_features,
        read_classification,
    )

    o = d.options
    cols = ClassificationColumns(o.text_column, o.text_pair_column, o.label_column, o.label_separator)
    pt = o.problem_type
    rows = read_classification(d.train_file, cols, pt)
    labels = [] if pt == REGRESSION else (list(o.labels or []) or label_list(rows, pt))
    n = 1 if pt == REGRESSION else len(labels)
    feats = make_features(d.tokenizer, rows, encode_labels(d.train_file, rows, labels, pt), d.max_length)
    evals = None
    if d.validation_file:
        vrows = read_classification(d.validation_file, cols, pt)
        evals = make_features(d.tokenizer, vrows, encode_labels(d.validation_file, vrows, labels, pt), d.max_length)
    config = {"num_labels": n, "problem_type": pt, **(_labels(labels) if labels else {})}
    return ClassificationTask(feats, d.tokenizer, pt, n, evals), config


def _token(d: Data) -> tuple[Task, dict[str, Any]]:
    from .finetune_token import TokenTask, align_features, read_tagged, tag_list

    o = d.options
    rows = read_tagged(d.train_file, o.tokens_column, o.tags_column)
    labels = list(o.labels or []) or tag_list(rows)
    feats = align_features(d.tokenizer, d.train_file, rows, labels, d.max_length, o.label_all_tokens)
    evals = None
    if d.validation_file:
        vrows = read_tagged(d.validation_file, o.tokens_column, o.tags_column)
        evals = align_features(d.tokenizer, d.validation_file, vrows, labels, d.max_length, o.label_all_tokens)
    return TokenTask(feats, d.tokenizer, labels, evals), _labels(labels)


def _qa(d: Data) -> tuple[Task, dict[str, Any]]:
    from .finetune_qa import QATask, eval_features, read_squad, train_features

    o = d.options
    examples = read_squad(d.train_file)
    vex = read_squad(d.validation_file) if d.validation_file else None
    stride = default_doc_stride(d.max_length) if o.doc_stride is None else o.doc_stride
    if stride >= d.max_length // 2:
        raise ValueError(f"doc_stride ({stride}) must be under half of max_seq_length ({d.max_length})")
    feats = train_features(d.tokenizer, examples, d.max_length, stride)
    vfeats = eval_features(d.tokenizer, vex, d.max_length, stride) if vex else None
    v2 = o.version_2_with_negative or any(e.is_impossible for e in examples + (vex or []))
    task = QATask(
        feats,
        d.tokenizer,
        vex,
        vfeats,
        n_best=o.n_best,
        max_answer_length=o.max_answer_length,
        allow_impossible=v2,
        null_threshold=o.null_score_threshold,
        output_dir=d.output_dir,
    )
    return task, {}


def default_doc_stride(max_length: int) -> int:
    """The reference scripts' 128 tokens of overlap between QA windows (a third of their 384), or a third of a
    shorter `max_length`, so that the default works for any model (the stride must be under half)."""
    return min(128, max_length // 3)


def _choice(d: Data) -> tuple[Task, dict[str, Any]]:
    from .finetune_choice import ChoiceColumns, ChoiceTask, choice_features, read_choices

    o = d.options
    endings = list(o.ending_columns) if o.ending_columns else None
    cols = ChoiceColumns(o.context_column, o.question_column, endings, o.label_column)
    feats = choice_features(d.tokenizer, read_choices(d.train_file, cols), d.max_length)
    evals = None
    if d.validation_file:
        evals = choice_features(d.tokenizer, read_choices(d.validation_file, cols), d.max_length)
    return ChoiceTask(feats, d.tokenizer, evals), {}


def _shards(d: Data) -> tuple[Any, Any]:
    from .pretraining import prepare_shards

    data = os.path.join(d.output_dir, "data")
    common = dict(
        max_seq_length=d.max_length, document_per_file=d.options.document_per_file, log=d.log, progress=d.progress
    )
    seqs = prepare_shards([d.train_file], d.tokenizer, os.path.join(data, "train"), d.info, **common)
    evals = None
    if d.validation_file:
        evals = prepare_shards([d.validation_file], d.tokenizer, os.path.join(data, "validation"), d.info, **common)
    return seqs, evals


def _masked_lm(d: Data) -> tuple[Task, dict[str, Any]]:
    from .finetune_lm import MaskedLMTask

    seqs, evals = _shards(d)
    return MaskedLMTask(seqs, d.tokenizer, d.seed, evals, d.options.mlm_probability), {}


def _causal_lm(d: Data) -> tuple[Task, dict[str, Any]]:
    from .finetune_lm import CausalLMTask

    seqs, evals = _shards(d)
    return CausalLMTask(seqs, d.tokenizer, evals), {}


# task -> how its data is read (the one part a head's registry row cannot say)
_BUILDERS: dict[str, Builder] = {
    "text-classification": _classification,
    "token-classification": _token,
    "question-answering": _qa,
    "multiple-choice": _choice,
    "fill-mask": _masked_lm,
    "text-generation": _causal_lm,
}
# task -> its recipe, for every head the registry marks as fine-tunable
FINETUNE_TASKS: dict[str, FinetuneTask] = {
    row.task: FinetuneTask(
        registry.class_name(row),
        row.finetune.max_length,
        _BUILDERS[row.task],
        dict(row.finetune.tokenizer_kwargs),
        dict(row.config),
    )
    for row in registry.HEADS
    if row.finetune is not None
}
# alias -> task: the pipelines' (sentiment-analysis, ner) and the short names (classification, qa, mlm, clm, ...)
FINETUNE_ALIASES: dict[str, str] = {a: t for a, t in registry.TASK_ALIASES.items() if t in FINETUNE_TASKS}


def resolve_finetune_task(name: str) -> str:
    """The canonical name of a fine-tuning task (aliases accepted); ValueError listing the valid names."""
    return registry.resolve_task(name, FINETUNE_TASKS, unknown="unknown fine-tuning task")


_TASK_OPTIONS = {f.name for f in dataclasses.fields(TaskOptions)}


def finetune(task: str, model: str | os.PathLike, train_file: str | os.PathLike, output_dir: str | os.PathLike, *,
             validation_file: str | os.PathLike | None = None, tokenizer: Any = None, max_seq_length: int | None = None,
             config_overrides: dict[str, Any] | None = None, info: DistInfo | None = None,
             log: Callable[[str], None] = lambda s: None, max_steps: int | None = None, epochs: float | None = None,
             warmup: float = 0.06, lr: float = 3e-5, batch_size: int = 16,
             **options: Any) -> dict[str, Any]:  # fmt: skip
    """Fine-tune the head of `task` on `train_file`, starting from the checkpoint `model`; write the model,
    tokenizer, metrics and checkpoints to `output_dir`. Returns the final record (loss and eval metrics).

    `tokenizer`: a tokenizer or a directory (default: the model's). `max_seq_length`: default per task, capped
    by the model's positions. Other keywords are task options (`TaskOptions`: columns, labels, QA windows,
    ...) or training options (`TrainArgs`: grad_accum, seed, save_steps, resume, ...).
    """
    from ..config import RobertaConfig
    from ..hub import resolve_model_dir
    from ..modeling import heads
    from ..tokenizer import load_tokenizer

    name = resolve_finetune_task(task)
    spec = FINETUNE_TASKS[name]
    info = info or DistInfo()
    model_dir = resolve_model_dir(model, what="model")
    config = RobertaConfig.from_pretrained(model_dir)
    config.updated(strict=True, **(config_overrides or {}))  # a misspelt field fails before any work
    task_options = TaskOptions(**{k: options.pop(k) for k in list(options) if k in _TASK_OPTIONS})
    if not isinstance(tokenizer, (str, os.PathLike, type(None))):
        tok = tokenizer
    else:
        tok = load_tokenizer(tokenizer if tokenizer is not None else model_dir, **spec.tokenizer_kwargs)
    max_length = min(max_seq_length or spec.default_max_length, config.usable_positions)
    tok.model_max_length = config.usable_positions  # the tokenizer saved beside the model says what it reads
    data = Data(
        os.fspath(train_file),
        os.fspath(validation_file) if validation_file is not None else None,
        tok,
        max_length,
        task_options,
        os.fspath(output_dir),
        options.get("seed", 42),
        info,
        log,
        options.get("progress", True),
    )
    settings = dict(task=name, model=model_dir, train_file=data.train_file, validation_file=data.validation_file)
    settings.update(max_seq_length=max_length, config_overrides=dict(config_overrides or {}))
    settings.update(dataclasses.asdict(task_options))
    options.setdefault("extra", {}).update(settings)
    schedule = dict(max_steps=max_steps, epochs=epochs, warmup=warmup, lr=lr, batch_size=batch_size)
    check_before_data(info, output_dir=os.fspath(output_dir), **schedule, **options)  # refuse before any write
    work, model_config = spec.build(data)
    args = TrainArgs.for_data(
        work.num_samples, info.world_size, output_dir=os.fspath(output_dir), **schedule, **options
    )
    model_class = getattr(heads, spec.model_class)
    fields = {**spec.config, **model_config, **(config_overrides or {})}

    def build(checkpoint: str | None) -> Any:
        return model_class.from_pretrained(checkpoint or model_dir, **fields)

    return train(work, build, args, info, log)

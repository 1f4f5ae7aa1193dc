"""The registry: one row per head, one per model family, one per framework, and every name derived from them.

Framework-free and cheap to import (dataclasses and importlib): `roberta/__init__.py`, the framework packages'
exports, the Auto classes of the three frameworks, and the pipeline, fine-tuning, ONNX and serving task tables
all read it. Class names are formulas, never written out:

    model class   framework prefix ("", "TF", "Flax") + family prefix ("Roberta") + head stem ("ForMaskedLM")
    Auto class    framework prefix + "AutoModel" + head stem ("AutoModel" for the bare model)
    output class  framework prefix + the head's output stem ("MaskedLMOutput", "TFMaskedLMOutput", ...)
    pipeline      the task title-cased + "Pipeline" ("fill-mask" -> FillMaskPipeline)

To add a head: a row in HEADS, and its class in each framework, named by the formula with the RoBERTa family's
prefix (modeling/heads.py, modeling_tf/heads.py, modeling_flax/classes.py). To add a model family: a row in
FAMILIES; its classes are the RoBERTa network's, subclassed only to set the family's config class.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

BASE_STEM = "Model"  # the bare trunk's stem: RobertaModel, TFRobertaModel, FlaxRobertaModel


@dataclass(frozen=True)
class Onnx:
    """A head's ONNX graph: its output names (the head's output fields), and whether they are per token
    (batch, sequence, ...) or one row per input (batch, ...)."""

    names: tuple[str, ...]
    per_token: bool


@dataclass(frozen=True)
class Pipeline:
    """A pipeline over a head's output: its task, what it does, the module under `roberta.pipelines` that holds
    it (default: the task with underscores), and keywords for the model's `from_pretrained`."""

    task: str
    description: str
    module: str | None = None
    model_kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def module_name(self) -> str:
        return self.module or self.task.replace("-", "_")

    @property
    def class_name(self) -> str:
        return "".join(word.capitalize() for word in self.task.split("-")) + "Pipeline"


@dataclass(frozen=True)
class Finetune:
    """How `roberta finetune` trains a head: its default sequence length and tokenizer keywords."""

    max_length: int
    tokenizer_kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Head:
    """One head (the bare model is one too). `task` is the one name of its task everywhere (pipelines,
    `roberta finetune`, `roberta export`, `roberta serve`); `aliases` resolve to it. `served`: `POST /` of
    `roberta serve` answers `task` for a checkpoint of this architecture."""

    stem: str
    task: str
    description: str
    output: str  # the output class's stem
    fields: tuple[str, ...]  # the head's results among the output's fields
    labels: tuple[str, ...]  # the forward's label arguments
    loss: str
    onnx: Onnx
    aliases: tuple[str, ...] = ()
    pipelines: tuple[Pipeline, ...] = ()
    finetune: Finetune | None = None
    served: bool = False
    config: Mapping[str, Any] = field(default_factory=dict, hash=False)  # config fields the head needs
    choices: bool = False  # inputs (batch, choices, sequence), scored as batch * choices rows

    @property
    def is_base(self) -> bool:
        return self.stem == BASE_STEM


@dataclass(frozen=True)
class Family:
    """A model family: the `model_type` its config.json names, and its class-name prefix; its config class is
    prefix + "Config" (in `config_module`), its tokenizers prefix + "Tokenizer" / "TokenizerFast". Every family
    has its classes in the three frameworks (Flax CamemBERT too, which transformers 4.56.2 lacks)."""

    model_type: str
    prefix: str
    config_module: str = "roberta.config"
    tokenizer_module: str = "roberta.tokenizer"

    @property
    def config_class_name(self) -> str:
        return self.prefix + "Config"

    @property
    def tokenizer_names(self) -> tuple[str, str]:
        return self.prefix + "Tokenizer", self.prefix + "TokenizerFast"

    def config_class(self) -> type:
        return getattr(importlib.import_module(self.config_module), self.config_class_name)

    def tokenizer_class(self, use_fast: bool = True) -> type:
        return getattr(importlib.import_module(self.tokenizer_module), self.tokenizer_names[bool(use_fast)])


@dataclass(frozen=True)
class Framework:
    """Where a framework's classes live: `package` exports every family's classes (lazily), the RoBERTa
    family's are defined in the other modules."""

    name: str
    prefix: str
    package: str
    base_module: str
    heads_module: str
    pretrained_module: str
    auto_module: str
    outputs_module: str


_TOKEN_STATES = {"add_pooling_layer": False}  # pipelines that read the token states load no pooler

# Kept repeat: one record a head, every record spelling out the same fields (a table, not logic).
HEADS: tuple[Head, ...] = (
    Head(
        "ForMaskedLM",
        "fill-mask",
        "masked-language-model logits (B, T, vocab)",
        "MaskedLMOutput",
        ("logits",),
        labels=("labels",),
        loss="cross-entropy over labels != -100",
        onnx=Onnx(("logits",), per_token=True),
        aliases=("masked-lm", "mlm"),
        pipelines=(Pipeline("fill-mask", "predict the tokens hidden behind <mask>"),),
        finetune=Finetune(512),
        served=True,
    ),
    Head(
        "ForSequenceClassification",
        "text-classification",
        "a label (or a score) for a text or a text pair: logits (B, num_labels)",
        "SequenceClassifierOutput",
        ("logits",),
        labels=("labels",),
        loss="by config.problem_type: MSE (regression), cross-entropy (single label), BCE (multi-label)",
        onnx=Onnx(("logits",), per_token=False),
        aliases=("sentiment-analysis", "classification"),
        pipelines=(
            Pipeline("text-classification", "label a text or a text pair"),
            Pipeline("zero-shot-classification", "score candidate labels with an NLI model", module="zero_shot"),
            Pipeline("rerank", "score (query, document) pairs (cross-encoder)"),
        ),
        finetune=Finetune(128),
        served=True,
    ),
    Head(
        "ForTokenClassification",
        "token-classification",
        "a label per token: logits (B, T, num_labels)",
        "TokenClassifierOutput",
        ("logits",),
        labels=("labels",),
        loss="cross-entropy over labels != -100",
        onnx=Onnx(("logits",), per_token=True),
        aliases=("ner",),
        pipelines=(Pipeline("token-classification", "label each token / entity"),),
        finetune=Finetune(128, {"add_prefix_space": True}),
        served=True,
    ),
    Head(
        "ForQuestionAnswering",
        "question-answering",
        "an answer span in a context: start_logits and end_logits (B, T)",
        "QuestionAnsweringModelOutput",
        ("start_logits", "end_logits"),
        labels=("start_positions", "end_positions"),
        loss="mean of the start and end cross-entropies (positions clamped to the sequence)",
        onnx=Onnx(("start_logits", "end_logits"), per_token=True),
        aliases=("qa",),
        pipelines=(Pipeline("question-answering", "extract an answer span from a context"),),
        finetune=Finetune(384),
        served=True,
    ),
    Head(
        BASE_STEM,
        "feature-extraction",
        "the bare trunk: last_hidden_state (B, T, H) and pooler_output (B, H)",
        "BaseModelOutputWithPoolingAndCrossAttentions",
        ("last_hidden_state", "pooler_output"),
        labels=(),
        loss="none",
        onnx=Onnx(("last_hidden_state",), per_token=True),
        pipelines=(
            Pipeline("feature-extraction", "hidden states of every token", model_kwargs=_TOKEN_STATES),
            Pipeline(
                "sentence-embedding",
                "one vector per text (L2-normalised mean, or as a sentence-transformers folder says)",
                module="feature_extraction",
                model_kwargs=_TOKEN_STATES,
            ),
        ),
        served=True,
    ),
    Head(
        "ForCausalLM",
        "text-generation",
        "a left-to-right decoder (is_decoder=True): logits (B, T, vocab), generate()",
        "CausalLMOutputWithCrossAttentions",
        ("logits",),
        labels=("labels",),
        loss="next-token cross-entropy (labels shifted inside)",
        onnx=Onnx(("logits",), per_token=True),
        aliases=("causal-lm", "clm"),
        pipelines=(Pipeline("text-generation", "continue a prompt with a RoBERTa decoder"),),
        finetune=Finetune(512),
        config={"is_decoder": True},
    ),
    Head(
        "ForMultipleChoice",
        "multiple-choice",
        "scores each of C candidates: inputs (B, C, T), logits (B, C)",
        "MultipleChoiceModelOutput",
        ("logits",),
        labels=("labels",),
        loss="cross-entropy over the choices",
        onnx=Onnx(("logits",), per_token=False),
        finetune=Finetune(128),
        choices=True,
    ),
)

FAMILIES: tuple[Family, ...] = (
    Family("roberta", "Roberta"),
    Family("xlm-roberta", "XLMRoberta", "roberta.config_types", "roberta.tokenizer.xlm_roberta"),
    Family("camembert", "Camembert", "roberta.config_types", "roberta.tokenizer.camembert"),
)
ROBERTA = FAMILIES[0]  # the family whose classes are written out; the others subclass them

FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "pt",
        "",
        "roberta.modeling",
        "roberta.modeling.model",
        "roberta.modeling.heads",
        "roberta.modeling.pretrained",
        "roberta.auto",
        "roberta.modeling.outputs",
    ),
    Framework(
        "tf",
        "TF",
        "roberta.modeling_tf",
        "roberta.modeling_tf.model",
        "roberta.modeling_tf.heads",
        "roberta.modeling_tf.pretrained",
        "roberta.modeling_tf.auto",
        "roberta.modeling_tf.outputs",
    ),
    Framework(
        "flax",
        "Flax",
        "roberta.modeling_flax",
        "roberta.modeling_flax.classes",
        "roberta.modeling_flax.classes",
        "roberta.modeling_flax.base",
        "roberta.modeling_flax.auto",
        "roberta.modeling_flax.outputs",
    ),
)
PT = FRAMEWORKS[0]


def framework(name: str) -> Framework:
    """The framework row named `name` ("pt", "tf" or "flax")."""
    for fw in FRAMEWORKS:
        if fw.name == name:
            return fw
    raise ValueError(f"unknown framework {name!r}; choose one of {', '.join(f.name for f in FRAMEWORKS)}")


def head(stem: str) -> Head:
    """The head row of `stem` ("ForMaskedLM", or "Model" for the bare model)."""
    for row in HEADS:
        if row.stem == stem:
            return row
    raise KeyError(f"no head {stem!r}; heads: {', '.join(h.stem for h in HEADS)}")


def family(model_type: str | None) -> Family:
    """The family of a config's `model_type` (None: RoBERTa); ValueError naming the ones roberta loads."""
    if model_type is None:
        return ROBERTA
    for row in FAMILIES:
        if row.model_type == model_type:
            return row
    known = ", ".join(repr(f.model_type) for f in FAMILIES)
    raise ValueError(f"model_type {model_type!r} is not supported; only {known}")


def class_name(row: Head, fam: Family = ROBERTA, fw: Framework = PT) -> str:
    return fw.prefix + fam.prefix + row.stem


def pretrained_name(fam: Family = ROBERTA, fw: Framework = PT) -> str:
    return fw.prefix + fam.prefix + "PreTrainedModel"


def auto_name(row: Head, fw: Framework = PT) -> str:
    return fw.prefix + "AutoModel" + ("" if row.is_base else row.stem)


def output_name(row: Head, fw: Framework = PT) -> str:
    return fw.prefix + row.output


def parse_class_name(name: str) -> tuple[Framework, Family, Head | None] | None:
    """(framework, family, head) of a model class name (head None: the family's PreTrainedModel); None if
    `name` is no model class of the registry."""
    for fw in sorted(FRAMEWORKS, key=lambda f: -len(f.prefix)):  # "TF" / "Flax" before the empty prefix
        for fam in FAMILIES:
            stem = name.removeprefix(fw.prefix + fam.prefix)
            if not name.startswith(fw.prefix + fam.prefix) or not stem:
                continue
            if stem == "PreTrainedModel":
                return fw, fam, None
            for row in HEADS:
                if row.stem == stem:
                    return fw, fam, row
    return None


def head_of_class(name: str) -> Head | None:
    """The head of a model class name of any family and framework ("TFXLMRobertaForMaskedLM" -> ForMaskedLM);
    None for the PreTrainedModel classes and names that are no model class of the registry."""
    parsed = parse_class_name(name)
    return parsed[2] if parsed else None


# --- tasks: one name each; aliases (the reference's, and names roberta used before) resolve to it ---------------


def task_names() -> list[str]:
    """Every task, canonical names only: each head's task, then the other pipelines' tasks."""
    names = [row.task for row in HEADS]
    names += [p.task for row in HEADS for p in row.pipelines if p.task not in names]
    return names


TASK_ALIASES: dict[str, str] = {alias: row.task for row in HEADS for alias in row.aliases}


def head_of_task(task: str) -> Head:
    """The head a task (canonical name) runs: the head whose task it is, or which its pipeline reads."""
    for row in HEADS:
        if task == row.task or any(p.task == task for p in row.pipelines):
            return row
    raise KeyError(f"no head runs the task {task!r}")


def pipeline_of(task: str) -> Pipeline | None:
    """The pipeline row of a task (canonical name), or None if it has no pipeline."""
    return next((p for row in HEADS for p in row.pipelines if p.task == task), None)


def describe_tasks(tasks: Iterable[str]) -> str:
    """'fill-mask (or masked-lm, mlm), text-classification (or ...), ...': the tasks with their aliases, for
    messages and --help."""
    parts = []
    for task in tasks:
        aliases = [a for a, t in TASK_ALIASES.items() if t == task]
        parts.append(f"{task} (or {', '.join(aliases)})" if aliases else task)
    return ", ".join(parts)


def resolve_task(name: str, among: Iterable[str] | None = None, unknown: str = "unknown task") -> str:
    """The canonical name of the task `name` (an alias resolves to its task); ValueError (starting with
    `unknown`) listing the tasks `among` (default: every task) when it is none of them."""
    if not isinstance(name, str):
        raise TypeError(f"task must be a str, got {type(name).__name__}")
    known = list(task_names() if among is None else among)
    canonical = TASK_ALIASES.get(name, name)
    if canonical not in known:
        raise ValueError(f"{unknown} {name!r}; choose one of {describe_tasks(known)}")
    return canonical

"""Which head each ONNX export task runs, and the names of the graph's inputs and outputs, from the registry.

Inputs are the reference's `input_ids` and `attention_mask` (int64), outputs are named as the head's output
fields (`logits`, `start_logits` / `end_logits`, `last_hidden_state`), as optimum's exports and TEI expect.
Tasks are the registry's (each head's, multiple-choice included, and the pipelines over them), with their
aliases.
"""

from __future__ import annotations

from .. import registry
from ..registry import Onnx as Outputs

__all__ = ["CHOICES_INPUT", "INPUTS", "MODEL_FILE", "OUTPUTS", "TASK_NAMES", "Outputs", "resolve", "tasks_of"]

INPUTS = ("input_ids", "attention_mask")
MODEL_FILE = "model.onnx"

_CLASSES = {registry.class_name(row, fam): row for fam in registry.FAMILIES for row in registry.HEADS}
OUTPUTS: dict[str, Outputs] = {name: row.onnx for name, row in _CLASSES.items()}  # model class -> graph outputs
CHOICES_INPUT = {name for name, row in _CLASSES.items() if row.choices}  # inputs (batch, choices, sequence)
TASK_NAMES = registry.task_names()


def resolve(task: str) -> tuple[str, str]:
    """(canonical task name, model class) of an export task; ValueError listing the tasks when unknown."""
    name = registry.resolve_task(task, TASK_NAMES)
    return name, registry.class_name(registry.head_of_task(name))


def tasks_of(model_class: str) -> list[str]:
    """The export tasks that produce `model_class`'s head (of any family), for messages."""
    return [t for t in TASK_NAMES if registry.head_of_task(t) == registry.head_of_class(model_class)]

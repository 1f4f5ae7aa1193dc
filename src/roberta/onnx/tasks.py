"""Which head each ONNX export task runs, and the names of the graph's inputs and outputs.

Inputs are the reference's `input_ids` and `attention_mask` (int64), outputs are named as the head's output
fields (`logits`, `start_logits` / `end_logits`, `last_hidden_state`), as optimum's exports and TEI expect.
Tasks are the pipelines' tasks (with their aliases) plus multiple-choice, which has no pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..pipelines import SUPPORTED_TASKS, TASK_ALIASES, resolve_task

INPUTS = ("input_ids", "attention_mask")
MODEL_FILE = "model.onnx"


@dataclass(frozen=True)
class Outputs:
    names: tuple[str, ...]
    per_token: bool  # shaped (batch, sequence, ...); else one row per input: (batch, ...)


OUTPUTS: dict[str, Outputs] = {
    "RobertaModel": Outputs(("last_hidden_state",), per_token=True),
    "RobertaForMaskedLM": Outputs(("logits",), per_token=True),
    "RobertaForCausalLM": Outputs(("logits",), per_token=True),
    "RobertaForTokenClassification": Outputs(("logits",), per_token=True),
    "RobertaForQuestionAnswering": Outputs(("start_logits", "end_logits"), per_token=True),
    "RobertaForSequenceClassification": Outputs(("logits",), per_token=False),
    "RobertaForMultipleChoice": Outputs(("logits",), per_token=False),
}
CHOICES_INPUT = {"RobertaForMultipleChoice"}  # inputs shaped (batch, choices, sequence)
EXTRA_TASKS = {"multiple-choice": "RobertaForMultipleChoice"}
TASK_NAMES = sorted([*SUPPORTED_TASKS, *TASK_ALIASES, *EXTRA_TASKS])


def resolve(task: str) -> tuple[str, str]:
    """(canonical task name, model class) of an export task; ValueError listing the tasks when unknown."""
    if task in EXTRA_TASKS:
        return task, EXTRA_TASKS[task]
    try:
        name = resolve_task(task)
    except ValueError:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASK_NAMES)}") from None
    return name, SUPPORTED_TASKS[name].model_class


def tasks_of(model_class: str) -> list[str]:
    """The export tasks that produce `model_class`, for messages."""
    names = [t for t, spec in SUPPORTED_TASKS.items() if spec.model_class == model_class]
    return names + [t for t, cls in EXTRA_TASKS.items() if cls == model_class]

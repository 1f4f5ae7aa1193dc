"""Classification heads' facts: the dropout before their projections, and `config.problem_type` for sequence
classification, inferred from the labels when unset, as the reference does."""

from __future__ import annotations

from typing import Any

PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")


def infer_problem_type(num_labels: int, integer_labels: bool) -> str:
    """One label: regression; integer labels: single-label classification; float labels: multi-label."""
    if num_labels == 1:
        return "regression"
    return "single_label_classification" if integer_labels else "multi_label_classification"


def resolve_problem_type(config: Any, integer_labels: bool) -> str:
    """`config.problem_type`, inferred and recorded in `config` first if it is None (as the reference does)."""
    if config.problem_type is None:
        config.problem_type = infer_problem_type(config.num_labels, integer_labels)
    return config.problem_type


def classifier_dropout(config: Any) -> float:
    """The classification heads' dropout: `config.classifier_dropout`, or the hidden dropout when that is None."""
    return config.hidden_dropout_prob if config.classifier_dropout is None else config.classifier_dropout

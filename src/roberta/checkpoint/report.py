"""The one load report: which weights of a checkpoint a model takes, and what it says about the rest.

Every framework's `from_pretrained` compares the checkpoint's names and shapes with the model's (`compare`),
raises on mismatched shapes unless `ignore_mismatched_sizes=True` (`check`), and logs the reference's warnings
(`log`), with the same text whatever the framework; names are each framework's own (dots for PyTorch, '/' for TF
and Flax).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Shape = tuple[int, ...]
_TRAIN = (
    "You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference "
    "(`roberta finetune` trains one)."
)


class MismatchedShapesError(ValueError, RuntimeError):
    """Checkpoint tensors whose shapes differ from the model's (a RuntimeError, as the reference's PyTorch
    classes raise it, and a ValueError, as its TF and Flax classes do)."""


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)  # names the model takes from the checkpoint
    missing: list[str] = field(default_factory=list)  # the model's names the checkpoint lacks
    unexpected: list[str] = field(default_factory=list)  # checkpoint names the model has no place for
    mismatched: list[tuple[str, Shape, Shape]] = field(default_factory=list)  # (name, checkpoint, model)
    ignored: list[str] = field(default_factory=list)  # legacy names resolved or dropped on the way

    def info(self) -> dict[str, list]:
        """`output_loading_info=True`'s dict, as the reference returns it."""
        return {
            "missing_keys": self.missing,
            "unexpected_keys": self.unexpected,
            "mismatched_keys": self.mismatched,
            "error_msgs": [],
        }


def compare(
    found: Mapping[str, Shape],
    expected: Mapping[str, Shape],
    *,
    skip: Iterable[str] = (),
    ignore_unexpected: Sequence[str] = (),
    ignored: Sequence[str] = (),
) -> LoadReport:
    """Checkpoint names and shapes against the model's. `skip`: names the model fills otherwise (tied weights),
    neither loaded nor reported; `ignore_unexpected`: regexes of checkpoint names a class drops silently."""
    skip = set(skip)
    report = LoadReport(ignored=list(ignored))
    for name, shape in found.items():
        if name in skip:
            continue
        if name not in expected:
            if not any(re.search(p, name) for p in ignore_unexpected):
                report.unexpected.append(name)
        elif tuple(shape) != tuple(expected[name]):
            report.mismatched.append((name, tuple(shape), tuple(expected[name])))
        else:
            report.loaded.append(name)
    taken = set(report.loaded) | {m[0] for m in report.mismatched} | skip
    report.missing = [n for n in expected if n not in taken]
    return report


def check(report: LoadReport, model_name: str, source: str, *, ignore_mismatched_sizes: bool, found: int) -> None:
    """Raise for what cannot load: shapes that differ (unless ignored), or a checkpoint none of whose `found`
    weights belong to the model."""
    if report.mismatched and not ignore_mismatched_sizes:
        lines = "\n\t".join(
            f"size mismatch for {n}: copying a param with shape {a} from checkpoint, the shape in current model is {b}."
            for n, a, b in report.mismatched
        )
        raise MismatchedShapesError(
            f"Error(s) in loading state_dict for {model_name} from {source}:\n\t{lines}\n\tYou may consider adding "
            f"`ignore_mismatched_sizes=True` in the model `from_pretrained` method."
        )
    if found and not report.loaded and not report.mismatched:
        shown = ", ".join(sorted(report.unexpected)[:3])
        raise ValueError(
            f"none of the {found} weights in {source} belong to a {model_name} (they are named {shown}, ...); "
            f"is it a checkpoint of another architecture?"
        )


def log(report: LoadReport, model_name: str, source: str, logger: logging.Logger, *, same_class: bool) -> None:
    """The reference's warnings. Unused weights are a warning when the checkpoint was saved by this very class
    (`same_class`), and info otherwise (loading another head's checkpoint is expected to leave some)."""
    if report.unexpected:
        warn = logger.warning if same_class else logger.info
        warn(
            "Some weights of the model checkpoint at %s were not used when initializing %s: %s\n- This IS expected "
            "if you are initializing %s from the checkpoint of a model trained on another task or with another "
            "architecture (e.g. initializing a BertForSequenceClassification model from a BertForPreTraining "
            "model).\n- This IS NOT expected if you are initializing %s from the checkpoint of a model that you "
            "expect to be exactly identical (initializing a BertForSequenceClassification model from a "
            "BertForSequenceClassification model).",
            source, model_name, report.unexpected, model_name, model_name,
        )  # fmt: skip
    if report.missing:
        logger.warning(
            "Some weights of %s were not initialized from the model checkpoint at %s and are newly initialized: "
            "%s\n%s",
            model_name, source, report.missing, _TRAIN,
        )  # fmt: skip
    if report.mismatched:
        listing = "\n".join(
            f"- {n}: found shape {a} in the checkpoint and {b} in the model instantiated"
            for n, a, b in report.mismatched
        )
        logger.warning(
            "Some weights of %s were not initialized from the model checkpoint at %s and are newly initialized "
            "because the shapes did not match:\n%s\n%s",
            model_name, source, listing, _TRAIN,
        )  # fmt: skip

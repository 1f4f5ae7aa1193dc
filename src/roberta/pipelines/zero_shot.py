"""zero-shot-classification, as the reference's `ZeroShotClassificationPipeline`.

Each candidate label becomes an NLI hypothesis ("This example is {label}.") paired with the text as premise; an
NLI head (`RobertaForSequenceClassification`, e.g. roberta-large-mnli) scores every pair, and the *entailment*
logit says how well the label fits. The entailment class is the first label of the config's `label2id` whose
name starts with "entail" (any case); the *contradiction* class is, as in the reference, class 0 (or the last
class when entailment is class 0).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from .base import Pipeline, check_text, is_stream, softmax
from .windows import check_fits

logger = logging.getLogger("roberta.pipelines")

DEFAULT_TEMPLATE = "This example is {}."
_NEEDS_LABELS = "You must include at least one label and at least one sequence."


def parse_labels(labels: Any) -> list[Any]:
    """Candidate labels as a list: a string is split at commas (blank pieces dropped), as the reference does."""
    if isinstance(labels, str):
        return [label.strip() for label in labels.split(",") if label.strip()]
    if isinstance(labels, (list, tuple)):
        return list(labels)
    raise TypeError(f"candidate_labels must be a str (comma-separated) or a list of str, got {type(labels).__name__}")


class ZeroShotClassificationPipeline(Pipeline):
    """Score candidate labels chosen at call time with an NLI model.

    Inputs: a text, or a list of texts (a generator or torch Dataset gives an iterator).

    Call options (also accepted as `pipeline()` defaults):
        candidate_labels: the labels, a list or one comma-separated string; also the second positional
            argument of a call.
        hypothesis_template: how a label becomes a hypothesis (default "This example is {}."); it must hold a
            `{}` where the label goes.
        multi_label: False (default): softmax of the entailment logits over the labels, so the scores sum to 1;
            True: each label alone, softmax of its entailment against its contradiction logit (also the rule for
            a single label). `multi_class` is the reference's deprecated name.
        truncation: True cuts a text whose pair with a hypothesis is longer than the model reads (the text
            only, never the hypothesis), as the reference always does; by default such a text is an error
            naming the pair's token count and the limit, never cut silently.

    Each input gives `{"sequence", "labels", "scores"}`, labels ordered by score, best first.
    """

    task = "zero-shot-classification"

    def __init__(self, model: Any, tokenizer: Any, **kwargs: Any) -> None:
        super().__init__(model, tokenizer, **kwargs)
        if self.entailment_id == -1:
            logger.warning(
                "Failed to determine 'entailment' label id from the label2id mapping in the model config. Setting "
                "to -1. Define a descriptive label2id mapping in the model config to ensure correct outputs."
            )

    @property
    def entailment_id(self) -> int:
        """The class id of the first label2id name starting with "entail" (any case); -1 (the last class, as the
        reference falls back to) when there is none."""
        for label, index in self.model.config.label2id.items():
            if label.lower().startswith("entail"):
                return int(index)
        return -1

    def _sanitize(
        self,
        candidate_labels: Any = None,
        hypothesis_template: Any = None,
        multi_label: Any = None,
        multi_class: Any = None,
        truncation: bool | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        pre: dict[str, Any] = {}
        if truncation is not None:
            if not isinstance(truncation, bool):
                raise TypeError(f"truncation must be True or False, got {truncation!r}")
            pre["truncation"] = truncation
        post: dict[str, Any] = {}
        if multi_class is not None:
            logger.warning("The `multi_class` argument has been deprecated and renamed to `multi_label`.")
            multi_label = multi_class
        if candidate_labels is not None:
            pre["candidate_labels"] = parse_labels(candidate_labels)
        if hypothesis_template is not None:
            if not isinstance(hypothesis_template, str):
                raise TypeError(f"hypothesis_template must be a str, got {type(hypothesis_template).__name__}")
            pre["hypothesis_template"] = hypothesis_template
        if multi_label is not None:
            if not isinstance(multi_label, (bool, np.bool_)):
                raise TypeError(f"multi_label must be True or False, got {multi_label!r}")
            post["multi_label"] = bool(multi_label)
        return pre, post

    def preprocess(
        self,
        item: Any,
        candidate_labels: list[Any] | None = None,
        hypothesis_template: str = DEFAULT_TEMPLATE,
        truncation: bool = False,
    ) -> list[dict[str, Any]]:
        """One feature per candidate label: the text and the label's hypothesis as a pair; with `truncation`,
        the text (only) cut so the hypothesis is never cut."""
        sequence = check_text(item, "sequence")
        if candidate_labels is None:
            raise ValueError(
                "zero-shot-classification needs candidate_labels: pass them to the call (pipe(text, "
                'candidate_labels=["a", "b"])) or to pipeline(); --candidate-labels on the command line'
            )
        if not candidate_labels or not sequence:
            raise ValueError(_NEEDS_LABELS)
        if hypothesis_template.format(candidate_labels[0]) == hypothesis_template:
            raise ValueError(
                f'The provided hypothesis_template "{hypothesis_template}" was not able to be formatted with the '
                "target labels. Make sure the passed template includes formatting syntax such as {} where the "
                "label should go."
            )
        features = []
        for label in candidate_labels:
            hypothesis = hypothesis_template.format(label)
            if not truncation:
                ids = list(self.tokenizer(sequence, hypothesis)["input_ids"])
                check_fits(len(ids), self.max_length, windows=False)
                features.append({"input_ids": ids, "candidate_label": label})
                continue
            try:
                enc = self.tokenizer(sequence, hypothesis, truncation="only_first", max_length=self.max_length)
            except ValueError as e:
                raise ValueError(
                    f"the hypothesis {hypothesis!r} leaves no room for the text within {self.max_length} tokens: {e}"
                ) from None
            features.append({"input_ids": list(enc["input_ids"]), "candidate_label": label})
        return features

    # Kept repeat: Pipeline.postprocess's hook (item, its features, their outputs), then this task's options.
    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        multi_label: bool = False,
    ) -> dict[str, Any]:
        labels = [f["candidate_label"] for f in features]
        logits = np.stack([o["logits"].numpy() for o in outputs])  # (labels, NLI classes)
        entailment = self.entailment_id
        if multi_label or len(labels) == 1:
            contradiction = -1 if entailment == 0 else 0
            scores = softmax(logits[:, [contradiction, entailment]])[:, 1]  # each label on its own
        else:
            scores = softmax(logits[:, entailment])  # the labels compete
        order = list(reversed(scores.argsort()))  # best first; ties in the reference's (reversed) order
        return {"sequence": item, "labels": [labels[i] for i in order], "scores": scores[order].tolist()}

    def __call__(self, sequences: Any, *args: Any, **kwargs: Any) -> Any:
        """Classify one text (a dict) or a list of texts (a list of dicts); `pipe(text, labels)` passes the
        candidate labels positionally, as in the reference."""
        if args:
            if len(args) == 1 and "candidate_labels" not in kwargs:
                kwargs["candidate_labels"] = args[0]
            else:
                raise ValueError(f"Unable to understand extra arguments {args}")
        if is_stream(sequences):
            return self.stream(sequences, **kwargs)
        single, items = self._split_inputs(sequences)
        return self._run(single, items, kwargs)

    def render(self, result: Any) -> str:
        return "\n".join(f"{label}\t{score:.4f}" for label, score in zip(result["labels"], result["scores"]))

"""rerank: (query, document) pairs scored by a cross-encoder, as sentence-transformers' `CrossEncoder` scores
them (`predict` and `rank`).

A cross-encoder is a sequence classifier (`RobertaForSequenceClassification`) whose folder may say which
activation turns its logits into scores: `activation_fn` in `config_sentence_transformers.json`
(sentence-transformers 5.x), `sentence_transformers.activation_fn` in `config.json` (4.x), or
`sbert_ce_default_activation_function` in `config.json` (before 4.0). Without one, as `CrossEncoder` does:
Sigmoid for one label, Identity otherwise. Only plain `torch.nn` activations are run (the list of
`sentence_folder.ACTIVATIONS`); any other is an error naming the file, not a silent fall-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .base import Pipeline, check_text, positive_int
from .sentence_folder import ACTIVATIONS, CONFIG_ST, SBERT_CONFIG, activation_name
from .windows import check_fits

_SOURCES = (  # (file, key path): where each sentence-transformers release keeps the activation
    (CONFIG_ST, ("activation_fn",)),
    ("config.json", ("sentence_transformers", "activation_fn")),
    ("config.json", ("sbert_ce_default_activation_function",)),
)


@dataclass(frozen=True)
class CrossEncoderFolder:
    """What a cross-encoder folder asks of the scores: the `torch.nn` activation applied to the logits."""

    activation: str


def read_cross_encoder(path: str | Path | None, num_labels: int) -> CrossEncoderFolder:
    """The activation a cross-encoder folder names (see the module docstring), or CrossEncoder's default."""
    from .._io import read_json

    for name, keys in _SOURCES if path is not None else ():
        file = Path(path) / name
        value: Any = read_json(file) if file.is_file() else None
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return CrossEncoderFolder(activation_name(value, file))
    return CrossEncoderFolder("Sigmoid" if num_labels == 1 else "Identity")


def is_cross_encoder(path: str | Path) -> bool:
    """Whether `path` was saved by `CrossEncoder.save` (5.x: a sequence-classification transformer module, or
    `model_type` "CrossEncoder"), which is no sentence-embedding folder."""
    from .._io import read_json

    path = Path(path)
    files = {name: path / name for name in (CONFIG_ST, SBERT_CONFIG)}
    config = {name: read_json(f) if f.is_file() else {} for name, f in files.items()}
    task = config[SBERT_CONFIG].get("transformer_task") if isinstance(config[SBERT_CONFIG], dict) else None
    kind = config[CONFIG_ST].get("model_type") if isinstance(config[CONFIG_ST], dict) else None
    return task == "sequence-classification" or kind == "CrossEncoder"


def _is_pair(item: Any) -> bool:
    return isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(t, str) for t in item)


class RerankPipeline(Pipeline):
    """Scores of (query, document) pairs, as `CrossEncoder(folder).predict(pairs)`, or documents ranked
    against a query, as `CrossEncoder(folder).rank(query, documents)`.

    Inputs: one pair `(query, document)` (a float score for one label, else a list of floats), a list of
    pairs (a list of those), or `pipe(query=..., documents=[...])`: `[{"corpus_id", "score"(, "text")}]`,
    best first (one-label models only, as `rank`).

    Call options: `activation_fn` ("sigmoid", "identity", ... a `torch.nn` activation name; default: the
    folder's), `apply_softmax` (softmax over the labels after the activation, models with several labels),
    `top_k` and `return_documents` (with `query=`), `truncation` (True cuts a pair longer than the model reads,
    the longer text first, as `CrossEncoder` always does; by default such a pair is an error naming its token
    count and the limit, never cut silently).
    """

    task = "rerank"
    reads_model_dir = True

    def __init__(self, model: Any, tokenizer: Any, *, model_dir: Any = None, **kwargs: Any) -> None:
        #: the activation the cross-encoder folder names (or CrossEncoder's default for its labels)
        self.cross = read_cross_encoder(model_dir, model.config.num_labels)
        super().__init__(model, tokenizer, **kwargs)

    def _sanitize(
        self,
        activation_fn: str | None = None,
        apply_softmax: bool = False,
        truncation: bool = False,
        top_k: int | None = None,
        return_documents: bool = False,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"rerank got unexpected option(s) {sorted(unknown)}")
        activation = self.cross.activation
        if activation_fn is not None:
            names = {n.lower(): n for n in ACTIVATIONS}
            if not isinstance(activation_fn, str) or activation_fn.lower() not in names:
                raise ValueError(f"activation_fn must be one of {sorted(names)}, got {activation_fn!r}")
            activation = names[activation_fn.lower()]
        positive_int("top_k", top_k, allow_none=True)
        return {"truncation": bool(truncation)}, {
            "activation": activation,
            "apply_softmax": bool(apply_softmax),
            "top_k": top_k,
            "return_documents": bool(return_documents),
        }

    def _split_inputs(self, inputs: Any) -> tuple[bool, list[Any]]:
        """A pair of strings is one input (as `CrossEncoder.predict`); a list of pairs is a batch."""
        if _is_pair(inputs):
            return True, [tuple(inputs)]
        if isinstance(inputs, (list, tuple)):
            return False, list(inputs)
        raise TypeError(f"rerank inputs must be a (query, document) pair or a list of pairs, got {inputs!r:.60}")

    def preprocess(self, item: Any, truncation: bool = False) -> list[dict[str, Any]]:
        if not _is_pair(item):
            raise TypeError(f"each rerank input must be a (query, document) pair of strings, got {item!r:.60}")
        query, document = check_text(item[0], "query"), check_text(item[1], "document")
        cut = {"truncation": True, "max_length": self.max_length} if truncation else {}
        # as a batch of one, as CrossEncoder tokenizes (a single call would read an empty document as no pair)
        ids = list(self.tokenizer([query], [document], **cut)["input_ids"][0])
        check_fits(len(ids), self.max_length, windows=False)
        return [{"input_ids": ids}]

    # Kept repeat: Pipeline.postprocess's hook (item, its features, their outputs), then this task's options.
    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        activation: str = "Sigmoid",
        apply_softmax: bool = False,
        **_rank: Any,
    ) -> Any:
        scores = score(outputs[0]["logits"], activation, apply_softmax)
        return float(scores[0]) if scores.numel() == 1 else scores.tolist()

    def __call__(self, inputs: Any = None, *, query: str | None = None, documents: Any = None, **kwargs: Any) -> Any:
        """Score pairs (`inputs`), or rank `documents` against `query` (see the class docstring)."""
        if query is None and documents is None:
            return super().__call__(inputs, **kwargs)
        if inputs is not None or query is None or not isinstance(documents, (list, tuple)):
            raise ValueError("rank with query=str and documents=[str, ...] (and no positional inputs)")
        if self.model.config.num_labels != 1:
            raise ValueError(f"ranking needs a one-label cross-encoder; this one has {self.model.config.num_labels}")
        options = {**self._defaults, **kwargs}
        scores = super().__call__([(query, d) for d in documents], **kwargs)
        ranked = [
            {"corpus_id": i, "score": s, **({"text": d} if options.get("return_documents") else {})}
            for i, (s, d) in enumerate(zip(scores, documents))
        ]
        ranked.sort(key=lambda r: r["score"], reverse=True)
        top_k = options.get("top_k")
        return ranked if top_k is None else ranked[:top_k]


def score(logits: torch.Tensor, activation: str, apply_softmax: bool = False) -> torch.Tensor:
    """(labels,) one pair's scores: `activation` (a `torch.nn` class name) of its logits, then a softmax over
    the labels if asked (several labels only), as `CrossEncoder.predict`."""
    scores = getattr(torch.nn, activation)()(logits.float())
    return torch.softmax(scores, dim=-1) if apply_softmax and scores.numel() > 1 else scores

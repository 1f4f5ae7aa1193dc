"""feature-extraction (the reference's `FeatureExtractionPipeline`) and sentence-embedding (mean pooling)."""

from __future__ import annotations

from typing import Any

import torch

from .base import Pipeline, check_text

_TOKENIZE_OPTIONS = {"truncation", "max_length", "add_special_tokens"}


def _tokenize_options(truncation: bool | None, tokenize_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    options = dict(tokenize_kwargs or {})
    if set(options) - _TOKENIZE_OPTIONS:
        raise TypeError(f"tokenize_kwargs supports only {sorted(_TOKENIZE_OPTIONS)}, got {sorted(options)}")
    if truncation is not None:
        if "truncation" in options:
            raise ValueError(
                "truncation parameter defined twice (given as keyword argument as well as in tokenize_kwargs)"
            )
        options["truncation"] = truncation
    return options


class FeatureExtractionPipeline(Pipeline):
    """The model's first output (the last hidden state for `RobertaModel`) for each token of each input.

    Call options: `return_tensors` (False: nested lists shaped [1][tokens][hidden], as the reference;
    True: a float tensor of shape (1, tokens, hidden)), `truncation`, `tokenize_kwargs`.
    """

    task = "feature-extraction"
    per_token_outputs = ("features",)

    def _sanitize(
        self,
        return_tensors: bool = False,
        truncation: bool | None = None,
        tokenize_kwargs: dict[str, Any] | None = None,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"{self.task} got unexpected option(s) {sorted(unknown)}")
        return self._truncated(_tokenize_options(truncation, tokenize_kwargs)), {"return_tensors": bool(return_tensors)}

    def _truncated(self, options: dict[str, Any]) -> dict[str, Any]:
        """Long texts are cut to what the model reads unless truncation=False is asked for."""
        options.setdefault("truncation", True)
        if options["truncation"]:
            options.setdefault("max_length", self.max_length)
        return options

    def preprocess(self, item: Any, **tokenize_kwargs: Any) -> list[dict[str, Any]]:
        text = check_text(item, f"{self.task} input")
        return [{"input_ids": list(self.tokenizer(text, **tokenize_kwargs)["input_ids"])}]

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return {"features": out[0]}

    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        return_tensors: bool = False,
    ) -> Any:
        hidden = outputs[0]["features"].unsqueeze(0)
        return hidden if return_tensors else hidden.tolist()

    def render(self, result: Any) -> str:
        rows = result[0]
        head = " ".join(f"{v:.4f}" for v in (rows[0][:8] if rows else []))
        return f"{len(rows)} tokens x {len(rows[0]) if rows else 0} features: {head} ..."


class SentenceEmbeddingPipeline(FeatureExtractionPipeline):
    """One vector per text: the mean of the last hidden states over the attended tokens (special tokens
    included, padding excluded), L2-normalised.

    Call options: `normalize` (True), `return_tensors` (False: a list of floats; True: a 1-D tensor),
    `truncation` (True: inputs longer than the model accepts are cut), `tokenize_kwargs`.
    """

    task = "sentence-embedding"

    def _sanitize(
        self,
        return_tensors: bool = False,
        normalize: bool = True,
        truncation: bool | None = None,
        tokenize_kwargs: dict[str, Any] | None = None,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"sentence-embedding got unexpected option(s) {sorted(unknown)}")
        pre = self._truncated(_tokenize_options(truncation, tokenize_kwargs))
        return pre, {"return_tensors": bool(return_tensors), "normalize": bool(normalize)}

    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        return_tensors: bool = False,
        normalize: bool = True,
    ) -> Any:
        vector = mean_pool(outputs[0]["features"].unsqueeze(0), torch.ones(1, outputs[0]["features"].shape[0]))[0]
        if normalize:
            vector = torch.nn.functional.normalize(vector, p=2, dim=-1)
        return vector if return_tensors else vector.tolist()

    def render(self, result: Any) -> str:
        return " ".join(f"{v:.6f}" for v in result)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average `hidden` (batch, tokens, dim) over the tokens where `attention_mask` (batch, tokens) is 1."""
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)

"""feature-extraction (the reference's `FeatureExtractionPipeline`) and sentence-embedding (mean pooling, or
what a sentence-transformers folder asks for)."""

from __future__ import annotations

from typing import Any

import torch

from .base import Pipeline, check_text
from .sentence_folder import SentenceFolder, read_sentence_folder
from .sentence_pooling import l2_normalize, sentence_vector

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
    """One vector per text.

    From a plain checkpoint: the mean of the last hidden states over the attended tokens (special tokens
    included, padding excluded), L2-normalised. From a sentence-transformers folder (one with `modules.json`,
    see `sentence_folder.py`): what `SentenceTransformer(folder).encode(text)` gives, its Pooling, Dense and
    Normalize modules, `max_seq_length`, `do_lower_case` and prompts included.

    Call options: `normalize` (None: True for a plain checkpoint, the folder's own modules for a
    sentence-transformers folder; True: L2-normalise the result; False: do not add a normalisation, as
    `encode(normalize_embeddings=False)`: a folder's Normalize module still applies), `prompt_name` (one of the
    folder's prompts; default: its `default_prompt_name`), `prompt` (a text put before the input; wins over
    `prompt_name`), `return_tensors` (False: a list of floats; True: a 1-D tensor), `truncation` (True: inputs
    longer than the model, or the folder's `max_seq_length`, accepts are cut), `tokenize_kwargs`.
    """

    task = "sentence-embedding"
    reads_model_dir = True

    def __init__(self, model: Any, tokenizer: Any, *, model_dir: Any = None, **kwargs: Any) -> None:
        #: the sentence-transformers folder the model was loaded from, or None (a plain checkpoint)
        self.folder: SentenceFolder | None = None if model_dir is None else read_sentence_folder(model_dir)
        if self.folder is not None:
            self.folder.output_size(model.config.hidden_size)  # the modules' widths must chain
        super().__init__(model, tokenizer, **kwargs)

    @property
    def max_length(self) -> int:
        """The model's limit, or the folder's `max_seq_length` where that is lower."""
        limit = super().max_length
        wanted = self.folder.max_seq_length if self.folder is not None else None
        return min(limit, wanted) if wanted else limit

    def _sanitize(
        self,
        return_tensors: bool = False,
        normalize: bool | None = None,
        truncation: bool | None = None,
        tokenize_kwargs: dict[str, Any] | None = None,
        prompt_name: str | None = None,
        prompt: str | None = None,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"sentence-embedding got unexpected option(s) {sorted(unknown)}")
        if normalize is not None and not isinstance(normalize, bool):
            raise TypeError(f"normalize must be a bool or None, got {normalize!r}")
        if prompt is not None and not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
        if self.folder is not None:
            prompt = self.folder.choose_prompt(prompt_name, prompt)
        elif prompt_name is not None:
            raise ValueError(
                f"prompt_name={prompt_name!r} needs the prompts of a sentence-transformers folder "
                f"(config_sentence_transformers.json); this model has none"
            )
        if normalize is None:
            normalize = self.folder is None
        pre = self._truncated(_tokenize_options(truncation, tokenize_kwargs))
        pre["prompt"] = prompt
        if self.folder is not None:  # the leading tokens its Pooling leaves out: the same for every input
            pre["prompt_length"] = self.folder.prompt_length(self.tokenizer, prompt, self.max_length)
        return pre, {"return_tensors": bool(return_tensors), "normalize": normalize}

    def preprocess(
        self, item: Any, prompt: str | None = None, prompt_length: int = 0, **tokenize_kwargs: Any
    ) -> list[dict[str, Any]]:
        text = check_text(item, f"{self.task} input")
        if self.folder is None:
            return super().preprocess((prompt or "") + text, **tokenize_kwargs)
        ids = self.tokenizer(self.folder.text_for(text, prompt), **tokenize_kwargs)["input_ids"]
        return [{"input_ids": list(ids), "prompt_length": prompt_length}]

    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        return_tensors: bool = False,
        normalize: bool = True,
    ) -> Any:
        hidden = outputs[0]["features"]  # (tokens, hidden)
        if self.folder is None:
            vector = mean_pool(hidden.unsqueeze(0), torch.ones(1, hidden.shape[0]))[0]
        else:
            vector = sentence_vector(hidden, self.folder, features[0]["prompt_length"])
        if normalize:
            vector = l2_normalize(vector)
        return vector if return_tensors else vector.tolist()

    def render(self, result: Any) -> str:
        return " ".join(f"{v:.6f}" for v in result)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average `hidden` (batch, tokens, dim) over the tokens where `attention_mask` (batch, tokens) is 1."""
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)

"""feature-extraction (the reference's `FeatureExtractionPipeline`) and sentence-embedding (mean pooling, or
what a sentence-transformers folder asks for)."""

from __future__ import annotations

from typing import Any

import torch

from .base import Pipeline, check_text, to_json, tokenizer_options
from .embedding_vectors import Embedder, truncate_and_normalize
from .quantize import check_precision, check_truncate_dim, quantize
from .sentence_folder import SentenceFolder, read_sentence_folder
from .windows import EMBED_AGGREGATES, Window, check_fits, parse_window, split

_TOKENIZE_OPTIONS = {"truncation", "max_length", "add_special_tokens"}
OUTPUT_VALUES = ("sentence_embedding", "token_embeddings")


def _tokenize_options(
    truncation: bool | None, tokenize_kwargs: dict[str, Any] | None, max_length: int
) -> dict[str, Any]:
    options = tokenizer_options(truncation, tokenize_kwargs, max_length=max_length)
    if set(options) - _TOKENIZE_OPTIONS:
        raise TypeError(f"tokenize_kwargs supports only {sorted(_TOKENIZE_OPTIONS)}, got {sorted(options)}")
    return options


class FeatureExtractionPipeline(Pipeline):
    """The model's first output (the last hidden state for `RobertaModel`) for each token of each input.

    Call options: `return_tensors` (False: nested lists shaped [1][tokens][hidden], as the reference;
    True: a float tensor of shape (1, tokens, hidden)), `truncation` (True cuts an input longer than the model
    reads; by default such an input is an error naming its length, never cut silently), `tokenize_kwargs`.
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
        options = _tokenize_options(truncation, tokenize_kwargs, self.max_length)
        return options, {"return_tensors": bool(return_tensors)}

    def preprocess(self, item: Any, **tokenize_kwargs: Any) -> list[dict[str, Any]]:
        text = check_text(item, f"{self.task} input")
        ids = list(self.tokenizer(text, **tokenize_kwargs)["input_ids"])
        check_fits(len(ids), self.max_length, windows=False)
        return [{"input_ids": ids}]

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return {"features": out[0]}

    # Kept repeat: Pipeline.postprocess's hook (item, its features, their outputs), then this task's options.
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

    Call options, as `encode` takes them where it has them:
        normalize: None (True for a plain checkpoint, the folder's own modules for a sentence-transformers
            folder); True: L2-normalise the result (after `truncate_dim`); False: add no normalisation, as
            `encode(normalize_embeddings=False)` (a folder's Normalize module still applies).
        truncate_dim: keep the first N dimensions (Matryoshka), before `normalize`.
        prompt_name / prompt: one of the folder's prompts (default: its `default_prompt_name`), or a text put
            before the input (wins over `prompt_name`).
        precision: "float32", "int8", "uint8", "binary", "ubinary" (`quantize.py`: sentence-transformers'
            semantics; int8 / uint8 ranges from `quantization_ranges` (2, dim) or `calibration_embeddings`
            when given, else from the call's own embeddings).
        output_value: "sentence_embedding" (default) or "token_embeddings" (each token's state, (tokens, dim)).
        window: `(length, stride)` or `{"length", "stride", "aggregate": "mean" | "late"}` for documents
            longer than the model (`windows.py`); "late" gives one vector per span.
        return_tensors (False: lists; True: tensors), truncation (True: inputs longer than the model, or the
            folder's `max_seq_length`, are cut, as `encode` always does; by default they are an error naming
            their length and the way out: truncation=True or window), tokenize_kwargs.
    """

    task = "sentence-embedding"
    reads_model_dir = True

    def __init__(self, model: Any, tokenizer: Any, *, model_dir: Any = None, **kwargs: Any) -> None:
        #: the sentence-transformers folder the model was loaded from, or None (a plain checkpoint)
        self.folder: SentenceFolder | None = None if model_dir is None else read_sentence_folder(model_dir)
        if self.folder is not None:
            self.folder.output_size(model.config.hidden_size)  # the modules' widths must chain
        self.embedder = Embedder(self.folder)
        super().__init__(model, tokenizer, **kwargs)

    @property
    def max_length(self) -> int:
        """The model's limit, or the folder's `max_seq_length` where that is lower."""
        limit = super().max_length
        wanted = self.folder.max_seq_length if self.folder is not None else None
        return min(limit, wanted) if wanted else limit

    @property
    def embedding_size(self) -> int:
        """The width of the vectors (before `truncate_dim`)."""
        size = self.model.config.hidden_size
        return size if self.folder is None else self.folder.output_size(size)

    def _sanitize(
        self,
        return_tensors: bool = False,
        normalize: bool | None = None,
        truncation: bool | None = None,
        tokenize_kwargs: dict[str, Any] | None = None,
        prompt_name: str | None = None,
        prompt: str | None = None,
        truncate_dim: int | None = None,
        precision: str = "float32",
        quantization_ranges: Any = None,
        calibration_embeddings: Any = None,
        output_value: str = "sentence_embedding",
        window: Any = None,
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
        if output_value not in OUTPUT_VALUES:
            raise ValueError(f"output_value must be one of {OUTPUT_VALUES}, got {output_value!r}")
        check_precision(precision)
        tokens = output_value == "token_embeddings"
        if tokens and (truncate_dim is not None or precision != "float32" or normalize):
            raise ValueError("truncate_dim, precision and normalize apply to sentence embeddings, not token_embeddings")
        post = {
            "return_tensors": bool(return_tensors),
            "normalize": self.folder is None if normalize is None else normalize,
            "truncate_dim": check_truncate_dim(truncate_dim, self.embedding_size),
            "output_value": output_value,
            "window": parse_window(window, max_length=self.max_length, aggregates=EMBED_AGGREGATES),
        }
        pre = _tokenize_options(truncation, tokenize_kwargs, self.max_length)
        if post["window"] is not None and pre.get("truncation"):
            raise ValueError("truncation=True and window exclude each other: a document is cut, or windowed")
        pre["window"], pre["prompt"] = post["window"], prompt
        if self.folder is not None:  # the leading tokens its Pooling leaves out: the same for every input
            pre["prompt_length"] = self.folder.prompt_length(self.tokenizer, prompt, self.max_length)
        return pre, post

    def preprocess(
        self,
        item: Any,
        prompt: str | None = None,
        prompt_length: int = 0,
        window: Window | None = None,
        **tokenize_kwargs: Any,
    ) -> list[dict[str, Any]]:
        text = check_text(item, f"{self.task} input")
        text = (prompt or "") + text if self.folder is None else self.folder.text_for(text, prompt)
        ids = list(self.tokenizer(text, **tokenize_kwargs)["input_ids"])
        if window is None:
            check_fits(len(ids), self.max_length)
            return [{"input_ids": ids, "prompt_length": prompt_length}]
        return [
            {"input_ids": w, "prompt_length": prompt_length if i == 0 else 0} for i, w in enumerate(split(ids, window))
        ]

    # Kept repeat: Pipeline.postprocess's hook (item, its features, their outputs), then this task's options.
    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        return_tensors: bool = False,
        normalize: bool = True,
        truncate_dim: int | None = None,
        output_value: str = "sentence_embedding",
        window: Window | None = None,
    ) -> Any:
        if output_value == "token_embeddings":
            states = self.embedder.tokens(features, outputs, window)
            return states if return_tensors else states.tolist()
        vectors = truncate_and_normalize(self.embedder.embed(features, outputs, window), truncate_dim, normalize)
        vectors = vectors if window is not None and window.aggregate == "late" else vectors[0]
        return vectors if return_tensors else vectors.tolist()

    def _run(self, single: bool, items: list[Any], kwargs: dict[str, Any]) -> Any:
        """The pipeline's run, then `precision` over the call's embeddings together (as `encode`)."""
        options = {**self._defaults, **kwargs}
        precision = options.get("precision", "float32")
        if precision == "float32":
            return super()._run(single, items, kwargs)
        results = super()._run(False, items, {**kwargs, "return_tensors": True})
        coded = quantize_results(
            results, precision, options.get("quantization_ranges"), options.get("calibration_embeddings")
        )
        if not options.get("return_tensors"):
            coded = [c.tolist() for c in coded]
        return coded[0] if single else coded

    def render(self, result: Any) -> str:
        if result and isinstance(result[0], list):  # token embeddings, or late chunking's span vectors
            return to_json(result)
        return " ".join(f"{v:.6f}" if isinstance(v, float) else str(v) for v in result)


def quantize_results(results: list[torch.Tensor], precision: str, ranges: Any, calibration: Any) -> list[torch.Tensor]:
    """Each input's vector(s) (a (dim,) or, late-chunked, a (spans, dim) tensor) at `precision`, the ranges
    taken over every vector of the call together (no inputs: no vectors)."""
    if not results:
        return []
    rows = [r.reshape(-1, r.shape[-1]) for r in results]
    coded = torch.from_numpy(quantize(torch.cat(rows).numpy(), precision, ranges, calibration))
    out, at = [], 0
    for r, block in zip(results, rows):
        out.append(coded[at : at + len(block)].reshape(*r.shape[:-1], -1))
        at += len(block)
    return out


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average `hidden` (batch, tokens, dim) over the tokens where `attention_mask` (batch, tokens) is 1."""
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)

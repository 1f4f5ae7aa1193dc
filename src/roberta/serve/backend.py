"""The model side of the server: each served model's pipelines, loaded once, and padded batches run through
them on the library's default path (real tokens packed, no work on padding).

A model serves two kinds of forward pass, each one batching key: "task" (its pipeline's head: what `POST /`,
`/predict` and `/rerank` need) and "hidden" (the trunk's last hidden state: `/embed`, `/embed_all`,
`/v1/embeddings`). The hidden kind runs a feature-extraction pipeline over the head's own trunk, so the
weights are held once. Both kinds reuse the pipelines' batching halves: `pad_features` (the batcher's
prepare step) and `run_padded` (its run step).

A sentence-transformers folder (one with `modules.json`) sets what the pooled embedding routes compute, as the
sentence-embedding pipeline reads it (`pipelines/sentence_folder.py`): its pooling, Dense and Normalize
modules, its default prompt, and its `max_seq_length` as the default input limit.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

from .. import registry
from .._io import read_json
from ..pipelines.rerank import is_cross_encoder, read_cross_encoder
from ..pipelines.sentence_folder import read_sentence_folder
from ..pipelines.windows import Window, split
from .errors import ServeError

logger = logging.getLogger("roberta.serve")

TASK, HIDDEN = "task", "hidden"
UNLIMITED = 1 << 30  # the pipelines' own batch_size: the batcher, not the pipeline, sizes batches

# config.json "architectures" -> the pipeline task `POST /` serves: the task of each head the registry serves
ARCHITECTURE_TASKS: dict[str, str] = {
    registry.class_name(row, fam): row.task for fam in registry.FAMILIES for row in registry.HEADS if row.served
}
UNSERVED_TASKS = {"text-generation": "it decodes token by token outside the batched forward pass"}


def task_of(path: Path) -> str:
    """The task `POST /` serves for a checkpoint: from its config's architecture (feature-extraction if none)."""
    config = read_json(path / "config.json")  # bad JSON: a ValueError naming the file
    if not isinstance(config, dict):
        raise ValueError(f"{path / 'config.json'} must hold a JSON object, not a JSON {type(config).__name__}")
    architectures = config.get("architectures") or ["RobertaModel"]
    task = ARCHITECTURE_TASKS.get(architectures[0])
    if task is None:
        raise ValueError(
            f"{path} holds a {architectures[0]}, which no pipeline serves; pass --task "
            f"(one of {sorted(set(ARCHITECTURE_TASKS.values()))})"
        )
    return task


class ModelBackend:
    """One served model: its task pipeline, a hidden-state pipeline over the same trunk, its tokenizer and
    its input limit. `prepare` / `run` are the batcher's two steps for this model's keys."""

    def __init__(
        self,
        *,
        name: str,
        path: Path,
        task: str | None,
        dtype: str | None,
        int8: bool,
        device: str | None,
        max_input_tokens: int | None,
        pooling: str = "mean",
    ) -> None:
        from ..inference import quantize_int8
        from ..modeling import RobertaModel
        from ..pipelines import pipeline, resolve_task

        if not (path / "config.json").is_file():
            raise ValueError(f"model {name!r}: {path} is not a model directory (no config.json)")
        self.name, self.path, self.pooling = name, path, pooling
        self.task = resolve_task(task or task_of(path))
        if self.task in UNSERVED_TASKS:
            raise ValueError(f"model {name!r}: the {self.task} task is not served ({UNSERVED_TASKS[self.task]})")
        if int8 and dtype not in (None, "float32", "fp32", "float"):
            raise ValueError(f"--int8 quantizes float32 weights; drop --dtype {dtype}")
        self.task_pipe = pipeline(self.task, model=str(path), device=device, dtype=dtype, batch_size=UNLIMITED)
        model = self.task_pipe.model
        if int8:
            quantize_int8(model)
        self.tokenizer = self.task_pipe.tokenizer  # thread-safe: its encoders are never reconfigured in place
        # /embed's truncation_direction "left": the same tokenizer but its truncation side (a shallow copy, so
        # no thread ever sees the side change)
        self.left_tokenizer = copy.copy(self.tokenizer)
        self.left_tokenizer.truncation_side = "left"
        trunk = model if isinstance(model, RobertaModel) else model.roberta
        if trunk is model:
            self.hidden_pipe = self.task_pipe
        else:
            self.hidden_pipe = pipeline(
                "feature-extraction", model=trunk, tokenizer=self.tokenizer, batch_size=UNLIMITED
            )
        self.pipes = {TASK: self.task_pipe, HIDDEN: self.hidden_pipe}
        self.config = model.config
        self.dtype = str(self.task_pipe.dtype).replace("torch.", "") + (" (int8 linears)" if int8 else "")
        #: the sentence-transformers folder the model was saved as, or None (`pooling` then pools)
        self.sentence = None if is_cross_encoder(path) else read_sentence_folder(path)
        limit = self.task_pipe.max_length  # the model's usable positions, or the tokenizer's limit if lower
        if self.sentence is not None and self.sentence.max_seq_length:  # a folder saved before 5.x says it here
            limit = min(limit, self.sentence.max_seq_length)
        if max_input_tokens is not None and max_input_tokens > limit:
            raise ValueError(
                f"model {name!r} takes at most {limit} tokens per input; --max-input-tokens {max_input_tokens} is more"
            )
        self.max_input_tokens = max_input_tokens or limit
        #: the activation /rerank applies (a cross-encoder folder's, else CrossEncoder's default for its labels)
        self.cross_encoder = read_cross_encoder(path, self.config.num_labels)
        self.embedding_size = self.config.hidden_size
        self.prompt, self.prompt_length = None, 0  # the folder's default prompt; its tokens the Pooling leaves out
        if self.sentence is not None:
            self.embedding_size = self.sentence.output_size(self.config.hidden_size)
            self.prompt = self.sentence.choose_prompt()
            self.prompt_length = self.sentence.prompt_length(self.tokenizer, self.prompt, self.max_input_tokens)
            if pooling != "mean":
                logger.warning(
                    "model %r: --pooling %s is not used: its sentence-transformers folder pools with %s",
                    name,
                    pooling,
                    self.sentence.pooling.name,
                )
            self.pooling = self.sentence.pooling.name

    # ------------------------------------------------------------------ batching
    def key(self, kind: str) -> tuple[str, str]:
        """The batching key of a forward kind (a feature-extraction model runs one pass for both)."""
        return (self.name, HIDDEN if self.pipes[kind] is self.hidden_pipe else kind)

    def prepare(self, kind: str, features: list[dict[str, Any]]) -> dict[str, Any]:
        return self.pipes[kind].pad_features(features)

    def run(self, kind: str, prepared: dict[str, Any]) -> list[dict[str, Any]]:
        return self.pipes[kind].run_padded(prepared)

    def warm_up(self) -> None:
        """Run each forward kind once on one and on two rows (the padded and the packed paths)."""
        ids = list(self.tokenizer("Hello world, warming up.")["input_ids"])
        features = [{"input_ids": ids}, {"input_ids": ids[:3]}]
        for kind in {self.key(TASK)[1], HIDDEN}:
            for rows in (features[:1], features):
                self.run(kind, self.prepare(kind, rows))

    # ------------------------------------------------------------------ what routes need
    def encode(
        self,
        text: str | list[str],
        pair: str | list[str] | None = None,
        *,
        truncate: bool,
        side: str = "right",
        window: Window | None = None,
    ) -> list[int]:
        """Token ids of one input (with special tokens); longer than the limit is an error unless `truncate`
        (then it is cut on `side`). With a `window` (see `windows`) nothing is cut: callers split the ids.
        `[text], [pair]` tokenizes the pair as a batch of one (as CrossEncoder does)."""
        if truncate and window is None:
            tok = self.left_tokenizer if side == "left" else self.tokenizer
            ids = tok(text, pair, truncation=True, max_length=self.max_input_tokens)["input_ids"]
        else:
            ids = self.tokenizer(text, pair)["input_ids"]
        ids = ids[0] if isinstance(text, list) else ids
        if window is None:
            self.check_length(len(ids))
        return list(ids)

    def windows(
        self, text: str, *, truncate: bool, side: str = "right", window: Window | None = None
    ) -> list[dict[str, Any]]:
        """One input as features: one, or one per window of a `window`."""
        ids = self.encode(text, truncate=truncate, side=side, window=window)
        return [{"input_ids": w} for w in (split(ids, window) if window is not None else [ids])]

    def embedding_input(
        self,
        text: str,
        *,
        truncate: bool,
        side: str = "right",
        window: Window | None = None,
        prompt: tuple[str | None, int] | None = None,
    ) -> list[dict[str, Any]]:
        """One input of the pooled embedding routes as features (one, or one per window): for a
        sentence-transformers folder, the text as it prepares it (`prompt`, (text, tokens its Pooling leaves
        out), default: the folder's default prompt, put first; lower-cased if it says so), and in
        `prompt_length` (the first feature's) the leading tokens its Pooling leaves out."""
        text_prompt, length = prompt or (self.prompt, self.prompt_length)
        if self.sentence is None:
            text, length = (text_prompt or "") + text, 0
        else:
            text = self.sentence.text_for(text, text_prompt)
        features = self.windows(text, truncate=truncate, side=side, window=window)
        for i, f in enumerate(features):
            f["prompt_length"] = length if i == 0 else 0
        return features

    def request_prompt(self, prompt_name: str | None, prompt: str | None) -> tuple[str | None, int] | None:
        """A request's prompt (`prompt` wins over `prompt_name`, as in `encode`) and the tokens the folder's
        Pooling leaves out of it; None for neither (the folder's default prompt then applies)."""
        if prompt_name is None and prompt is None:
            return None
        if self.sentence is None:
            if prompt_name is not None:
                raise ServeError(
                    "invalid_request", f"model {self.name!r} has no prompts (no sentence-transformers folder)"
                )
            return prompt, 0
        try:
            chosen = self.sentence.choose_prompt(prompt_name, prompt)
        except ValueError as e:
            raise ServeError("invalid_request", str(e)) from None
        return chosen, self.sentence.prompt_length(self.tokenizer, chosen, self.max_input_tokens)

    def check_length(self, n: int) -> None:
        if n > self.max_input_tokens:
            raise ServeError(
                "validation",
                f"an input holds {n} tokens; model {self.name!r} takes at most {self.max_input_tokens}: "
                f'ask for truncation ("truncate": true) or, on /embed, /predict and /v1/embeddings, for windows '
                f'("window": {{"length": N, "stride": S}})',
            )

    def require(self, task: str, route: str) -> None:
        if self.task != task:
            raise ServeError("unsupported", f"{route} needs a {task} model; model {self.name!r} serves {self.task}")

    def info(self) -> dict[str, Any]:
        c = self.config
        return {
            "model_id": self.name,
            "model_path": str(self.path),
            "task": self.task,
            "model_dtype": self.dtype,
            "hidden_size": c.hidden_size,
            "num_layers": c.num_hidden_layers,
            "labels": dict(c.id2label) if self.task == "text-classification" else None,
            "max_input_length": self.max_input_tokens,
            "device": str(self.task_pipe.device),
        }

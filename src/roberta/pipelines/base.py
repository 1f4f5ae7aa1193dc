"""Shared pipeline machinery: device / dtype parsing, model + tokenizer loading, and length-sorted batching.

A task pipeline subclasses `Pipeline` and supplies four hooks:

* `_sanitize(**kwargs) -> (preprocess_kwargs, postprocess_kwargs)` validates the call options;
* `preprocess(item, **pre) -> list[dict]` turns one input into one or more *features* (a feature is a dict with
  an `input_ids` list plus whatever postprocessing needs; long inputs may be split into several chunks);
* `_forward(input_ids, attention_mask) -> dict[str, Tensor]` runs the model on a padded batch;
* `postprocess(item, features, outputs, **post)` builds the user-facing result of one input.

`Pipeline.__call__` preprocesses every input, sorts all features by length so that each batch carries little
padding, runs the model `batch_size` features at a time, trims the padding off every output row and hands the
rows back to `postprocess` in input order.
"""

from __future__ import annotations

import copy
import json
import os
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from ..batching import pad_batch


class Pipeline:
    """Base class of every task pipeline: holds the model, the tokenizer, the device, and the batching loop.

    Args:
        model: a loaded roberta model (already on `device`, in eval mode).
        tokenizer: a roberta tokenizer (fast or slow).
        device: the torch device the model runs on.
        batch_size: how many features (inputs, or chunks of long inputs) go through the model at once.
        task: the task name this pipeline was built for.
        **kwargs: default call options (for example `top_k=3`), overridden by the options given to a call.
    """

    task: str = ""
    #: output keys of `_forward` that are (batch, seq, ...) and must be trimmed to each row's length.
    per_token_outputs: tuple[str, ...] = ()
    #: whether the constructor takes `model_dir=` (the folder the model came from, or None), which `pipeline()`
    #: then passes: for tasks that read more of the folder than the model and tokenizer.
    reads_model_dir: bool = False
    #: a lower input limit its owner sets (`roberta serve`'s --max-input-tokens, see `with_model_runner`)
    input_limit: int | None = None

    def __init__(
        self, model: Any, tokenizer: Any, *, device: torch.device, batch_size: int = 8, task: str = "", **kwargs: Any
    ) -> None:
        positive_int("batch_size", batch_size)
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size
        self.task = task or self.task
        self._defaults: dict[str, Any] = dict(kwargs)
        self._sanitize(**self._defaults)  # fail at construction for bad defaults

    # ------------------------------------------------------------------ hooks
    def _sanitize(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected option(s) {sorted(kwargs)}")
        return {}, {}

    def preprocess(self, item: Any, **kwargs: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """The head's logits (the tasks whose model answers `.logits`; others override this)."""
        return {"logits": self.model(input_ids=input_ids, attention_mask=attention_mask).logits}

    def postprocess(
        self, item: Any, features: list[dict[str, Any]], outputs: list[dict[str, torch.Tensor]], **kwargs: Any
    ) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------------------ driver
    @property
    def max_length(self) -> int:
        """Tokens one input (or one window of a long input) may hold: the model's usable positions, or the
        tokenizer's `model_max_length` (or `input_limit`) where that is lower. A longer input is an error
        unless truncation (cut to it) or a window (windows of at most it) is asked for."""
        limit = self.model.config.usable_positions
        for lower in (getattr(self.tokenizer, "model_max_length", None), self.input_limit):
            if isinstance(lower, int) and lower > 0:
                limit = min(limit, lower)
        return limit

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the model's parameters."""
        return next(self.model.parameters()).dtype

    def _split_inputs(self, inputs: Any) -> tuple[bool, list[Any]]:
        """(is_single, items): a list or tuple is a batch of inputs, anything else one input."""
        if isinstance(inputs, (list, tuple)):
            return False, list(inputs)
        return True, [inputs]

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Run the pipeline on one input or a list of inputs (returned in input order); a generator or a torch
        `Dataset` of inputs gives an iterator of results (see `stream`). Options are the task's, plus
        `batch_size`, which overrides the pipeline's for this call."""
        if is_stream(inputs):
            return self.stream(inputs, **kwargs)
        single, items = self._split_inputs(inputs)
        return self._run(single, items, kwargs)

    def stream(self, inputs: Iterable[Any], **kwargs: Any) -> Iterator[Any]:
        """An iterator of results, one per input of `inputs` (a generator, a torch `Dataset` such as
        `KeyDataset`, any iterable), in input order. It is lazy, as the reference's: it reads `batch_size`
        inputs, runs them, hands their results out, then reads on. Bad options fail at once, not at the first
        result."""
        kwargs = dict(kwargs)
        batch_size = self.call_batch_size(kwargs)
        self._sanitize(**{**self._defaults, **kwargs})
        return self._stream(_dataset_items(inputs), batch_size, kwargs)

    def _stream(self, items: Iterator[Any], batch_size: int, kwargs: dict[str, Any]) -> Iterator[Any]:
        chunk: list[Any] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == batch_size:
                yield from self.run_batch(chunk, batch_size=batch_size, **kwargs)
                chunk = []
        if chunk:
            yield from self.run_batch(chunk, batch_size=batch_size, **kwargs)

    def run_batch(self, items: Sequence[Any], **kwargs: Any) -> list[Any]:
        """Run a list of inputs and always return one result per input (no single-input unwrapping)."""
        return self._run(False, list(items), kwargs)

    def _run(self, single: bool, items: list[Any], kwargs: dict[str, Any]) -> Any:
        """Preprocess every input, then post-process each one as soon as its last feature leaves the model,
        so model outputs (full-vocabulary logits, for instance) are held for one batch, not for every input."""
        kwargs = dict(kwargs)
        batch_size = self.call_batch_size(kwargs)
        pre, post = self._sanitize(**{**self._defaults, **kwargs})
        features = [self.preprocess(item, **pre) for item in items]
        owner = [i for i, group in enumerate(features) for _ in group]
        first = [0] * len(items)
        for i in range(1, len(items)):
            first[i] = first[i - 1] + len(features[i - 1])
        outputs: list[list[Any]] = [[None] * len(group) for group in features]
        pending = [len(group) for group in features]
        results: list[Any] = [None] * len(items)
        for i, group in enumerate(features):
            if not group:  # nothing to run (the task allows empty inputs)
                results[i] = self.postprocess(items[i], group, [], **post)
        for index, out in self.iter_model([f for group in features for f in group], batch_size):
            i = owner[index]
            pending[i] -= 1
            # an output that waits for the input's other features is copied out of its batch's tensor,
            # which would otherwise stay alive with it
            outputs[i][index - first[i]] = out if pending[i] == 0 else {k: v.clone() for k, v in out.items()}
            if pending[i] == 0:
                results[i] = self.postprocess(items[i], features[i], outputs[i], **post)
                outputs[i] = []  # its outputs are no longer needed
        return results[0] if single else results

    def call_batch_size(self, kwargs: dict[str, Any]) -> int:
        """Take a call's `batch_size` option out of `kwargs` (as the reference's pipelines accept it) and return
        the batch size the call runs with."""
        batch_size = kwargs.pop("batch_size", None)
        return self.batch_size if batch_size is None else positive_int("batch_size", batch_size)

    def iter_model(
        self, features: Sequence[dict[str, Any]], batch_size: int | None = None
    ) -> Iterator[tuple[int, dict[str, torch.Tensor]]]:
        """Run the model over features, `batch_size` (default: the pipeline's) at a time, longest first; yield
        `(index, outputs)` per feature as its batch finishes: on the CPU, in float32, padding trimmed off the
        per-token outputs."""
        size = batch_size or self.batch_size
        order = sorted(range(len(features)), key=lambda i: -len(features[i]["input_ids"]))
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            yield from zip(batch, self.run_padded(self.pad_features([features[i] for i in batch])))

    def pad_features(self, features: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """One model batch of `features`: right-padded `input_ids` and `attention_mask` (CPU tensors) and the
        `lengths` of the rows."""
        pad_id = self.tokenizer.pad_token_id
        batch: dict[str, Any] = pad_batch([f["input_ids"] for f in features], 1 if pad_id is None else pad_id)
        batch["lengths"] = [len(f["input_ids"]) for f in features]
        return batch

    def run_padded(self, batch: dict[str, Any]) -> list[dict[str, torch.Tensor]]:
        """One forward pass over a `pad_features` batch: one output dict per row, on the CPU, in float32, with
        the per-token outputs trimmed to the row's length."""
        with torch.inference_mode():
            out = self._forward(batch["input_ids"].to(self.device), batch["attention_mask"].to(self.device))
        out = {k: v.detach().to("cpu", torch.float32) for k, v in out.items()}
        return [
            {k: (v[row, :n] if k in self.per_token_outputs else v[row]) for k, v in out.items()}
            for row, n in enumerate(batch["lengths"])
        ]

    def with_model_runner(
        self,
        runner: Callable[[list[dict[str, Any]]], list[dict[str, torch.Tensor]]],
        *,
        max_length: int | None = None,
    ) -> Pipeline:
        """A shallow copy of this pipeline whose model step is `runner(features)`, which answers with one
        output per feature, in order; options, tokenization and post-processing stay this pipeline's, and
        `max_length`, when given, lowers the input limit. `roberta serve` sends each call's features through its
        shared batching queue this way, within its --max-input-tokens."""
        clone = copy.copy(self)
        if max_length is not None:
            clone.input_limit = positive_int("max_length", max_length)
        clone.iter_model = lambda features, batch_size=None: enumerate(runner(list(features)))  # type: ignore[method-assign]
        return clone

    # ------------------------------------------------------------------ saving
    def save_pretrained(
        self, save_directory: str | os.PathLike, safe_serialization: bool = True, **kwargs: Any
    ) -> None:
        """Write the model and the tokenizer into `save_directory` (created if needed), in the reference's files,
        so that `pipeline(task, model=save_directory)` (here or in transformers) builds this pipeline again.
        Keywords go to the model's `save_pretrained` (e.g. `max_shard_size`)."""
        if kwargs.pop("push_to_hub", False):
            raise ValueError("push_to_hub=True: roberta never uploads; save here, then upload with huggingface-cli")
        if os.path.isfile(save_directory):
            raise ValueError(f"save_directory {os.fspath(save_directory)!r} is a file, not a directory")
        if not hasattr(self.model, "save_pretrained"):
            raise TypeError(
                f"this pipeline runs a {getattr(self.model, 'model_class', type(self.model).__name__)} of another "
                f"framework, which it cannot save; save the checkpoint it was loaded from instead"
            )
        os.makedirs(save_directory, exist_ok=True)
        self.model.save_pretrained(save_directory, safe_serialization=safe_serialization, **kwargs)
        self.tokenizer.save_pretrained(save_directory)

    # ------------------------------------------------------------------ the command line (`roberta run`)
    def parse_line(self, text: str) -> Any:
        """The input that one line of `roberta run` stands for; ValueError with a short reason for a bad line."""
        if not text.strip():
            raise ValueError("empty line")
        return text

    def render(self, result: Any) -> str:
        """One input's result for people to read (`roberta run --format text`); JSON where nothing reads better."""
        return to_json(result)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(task={self.task!r}, model={type(self.model).__name__}, "
            f"device={self.device}, dtype={self.dtype}, batch_size={self.batch_size})"
        )


def is_stream(inputs: Any) -> bool:
    """Whether the reference answers `inputs` with an iterator of results: a generator or a torch `Dataset`
    (`KeyDataset` and the like). Lists and tuples are batches answered with a list."""
    from torch.utils.data import Dataset

    return isinstance(inputs, (types.GeneratorType, Dataset))


def _dataset_items(inputs: Iterable[Any]) -> Iterator[Any]:
    """The inputs of an iterable, one by one; a map-style torch Dataset with a length by index, 0 to len - 1."""
    from torch.utils.data import IterableDataset

    if hasattr(inputs, "__getitem__") and hasattr(inputs, "__len__") and not isinstance(inputs, IterableDataset):
        return (inputs[i] for i in range(len(inputs)))  # type: ignore[index]
    return iter(inputs)


def to_json(value: Any) -> str:
    """One line of JSON (numpy scalars and tensors become numbers / lists)."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    return json.dumps(value, ensure_ascii=False, default=default)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The one softmax of the pipelines' post-processing (NumPy, stable)."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def check_text(item: Any, what: str = "input") -> str:
    """Raise a clear TypeError unless `item` is a string."""
    if not isinstance(item, str):
        raise TypeError(f"each {what} must be a str, got {type(item).__name__}: {item!r:.60}")
    return item


def tokenizer_options(
    truncation: Any, options: dict[str, Any] | None, *, max_length: int, name: str = "tokenize_kwargs"
) -> dict[str, Any]:
    """One call's tokenizer options: `options` (a pipeline's `tokenize_kwargs` / `tokenizer_kwargs`) with the
    `truncation` option in (given twice is an error, as in the reference). Nothing is cut unless truncation is
    asked for, and then at `max_length` (what the model reads) unless the options name another length; an
    input too long for the model is then the pipeline's error (`windows.check_fits`), never a silent cut."""
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"{name} must be a dict, got {type(options).__name__}")
    options = dict(options or {})
    if truncation is not None:
        if "truncation" in options:
            raise ValueError(f"truncation parameter defined twice (given as keyword argument as well as in {name})")
        options["truncation"] = truncation
    if options.get("truncation"):
        options.setdefault("max_length", max_length)
    return options


def positive_int(name: str, value: Any, *, allow_none: bool = False) -> int | None:
    """Validate an option that must be an int >= 1 (or None when allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value

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

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

DeviceLike = str | int | torch.device | None
DtypeLike = str | torch.dtype | None

_DTYPE_NAMES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float64": torch.float64,
    "fp64": torch.float64,
    "double": torch.float64,
}


def resolve_device(device: DeviceLike) -> torch.device:
    """Parse a pipeline `device`: None / -1 / "cpu" -> CPU; an int N >= 0 or "cuda[:N]" -> that GPU.

    Asking for a GPU that torch does not see is an error (there is no silent fall-back to the CPU).
    """
    if device is None:
        return torch.device("cpu")
    if isinstance(device, bool):
        raise TypeError(f"device must be None, an int, a string or a torch.device, not {device!r}")
    if isinstance(device, int):
        if device < -1:
            raise ValueError(f"device={device} is not valid: use -1 for the CPU or a GPU index >= 0")
        dev = torch.device("cpu") if device == -1 else torch.device("cuda", device)
    elif isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        text = device.strip().lower()
        if text.lstrip("-").isdigit():
            return resolve_device(int(text))
        try:
            dev = torch.device(text)
        except RuntimeError:
            raise ValueError(
                f"device={device!r} is not a device: use 'cpu', 'cuda', 'cuda:N', an int index or -1"
            ) from None
    else:
        raise TypeError(f"device must be None, an int, a string or a torch.device, not {type(device).__name__}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} asks for a CUDA GPU, but torch sees none "
                f"(torch.cuda.is_available() is False); use device='cpu' or -1"
            )
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"device={device!r} asks for GPU {dev.index}, but torch sees only {count} GPU(s)")
    elif dev.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise ValueError(f"device={device!r} asks for an Apple MPS device, but torch sees none")
    elif dev.type != "cpu":
        raise ValueError(f"device={device!r} is not supported: use 'cpu', 'cuda', 'cuda:N', an int index or -1")
    return dev


def resolve_dtype(dtype: DtypeLike) -> torch.dtype | None:
    """Parse a pipeline `dtype`: a floating torch dtype, its name ("float16", "torch.bfloat16", "fp16", ...),
    or None / "auto" (keep the checkpoint's dtype)."""
    if dtype is None:
        return None
    if isinstance(dtype, torch.dtype):
        if not dtype.is_floating_point:
            raise ValueError(f"dtype={dtype} is not a floating-point dtype")
        return dtype
    if isinstance(dtype, str):
        name = dtype.strip().lower().replace("torch.", "")
        if name == "auto":
            return None
        if name in _DTYPE_NAMES:
            return _DTYPE_NAMES[name]
        raise ValueError(
            f"dtype={dtype!r} is not understood; use a torch dtype or one of {sorted(_DTYPE_NAMES)} or 'auto'"
        )
    raise TypeError(f"dtype must be a torch.dtype or a string, not {type(dtype).__name__}")


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

    def __init__(
        self, model: Any, tokenizer: Any, *, device: torch.device, batch_size: int = 8, task: str = "", **kwargs: Any
    ) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
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
        raise NotImplementedError

    def postprocess(
        self, item: Any, features: list[dict[str, Any]], outputs: list[dict[str, torch.Tensor]], **kwargs: Any
    ) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------------------ driver
    @property
    def max_length(self) -> int:
        """Tokens one input (or one window of a long input) may hold: the model's usable positions, or the
        tokenizer's `model_max_length` where that is lower. Inputs are truncated (or windowed) to it."""
        limit = self.model.config.usable_positions
        tok = getattr(self.tokenizer, "model_max_length", None)
        return min(limit, tok) if isinstance(tok, int) and tok > 0 else limit

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
        """Run the pipeline on one input or a list of inputs (returned in input order)."""
        single, items = self._split_inputs(inputs)
        return self._run(single, items, kwargs)

    def run_batch(self, items: Sequence[Any], **kwargs: Any) -> list[Any]:
        """Run a list of inputs and always return one result per input (no single-input unwrapping)."""
        return self._run(False, list(items), kwargs)

    def _run(self, single: bool, items: list[Any], kwargs: dict[str, Any]) -> Any:
        """Preprocess every input, then post-process each one as soon as its last feature leaves the model,
        so model outputs (full-vocabulary logits, for instance) are held for one batch, not for every input."""
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
        for index, out in self.iter_model([f for group in features for f in group]):
            i = owner[index]
            pending[i] -= 1
            # an output that waits for the input's other features is copied out of its batch's tensor,
            # which would otherwise stay alive with it
            outputs[i][index - first[i]] = out if pending[i] == 0 else {k: v.clone() for k, v in out.items()}
            if pending[i] == 0:
                results[i] = self.postprocess(items[i], features[i], outputs[i], **post)
                outputs[i] = []  # its outputs are no longer needed
        return results[0] if single else results

    def iter_model(self, features: Sequence[dict[str, Any]]) -> Iterator[tuple[int, dict[str, torch.Tensor]]]:
        """Run the model over features, `batch_size` at a time, longest first; yield `(index, outputs)` per
        feature as its batch finishes: on the CPU, in float32, padding trimmed off the per-token outputs."""
        order = sorted(range(len(features)), key=lambda i: -len(features[i]["input_ids"]))
        pad_id = self.tokenizer.pad_token_id
        pad_id = 1 if pad_id is None else pad_id
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            lengths = [len(features[i]["input_ids"]) for i in batch]
            width = max(lengths)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (i, n) in enumerate(zip(batch, lengths)):
                ids[row, :n] = torch.tensor(features[i]["input_ids"], dtype=torch.long)
                mask[row, :n] = 1
            with torch.inference_mode():
                out = self._forward(ids.to(self.device), mask.to(self.device))
            out = {k: v.detach().to("cpu", torch.float32) for k, v in out.items()}
            for row, (i, n) in enumerate(zip(batch, lengths)):
                yield i, {k: (v[row, :n] if k in self.per_token_outputs else v[row]) for k, v in out.items()}

    def run_model(self, features: Sequence[dict[str, Any]]) -> list[dict[str, torch.Tensor]]:
        """`iter_model`'s outputs as a list in feature order."""
        results: list[dict[str, torch.Tensor] | None] = [None] * len(features)
        for i, out in self.iter_model(features):
            results[i] = out
        return results  # type: ignore[return-value]

    def encode(self, text: Any, text_pair: Any = None, **kwargs: Any) -> Any:
        """Tokenize one input with the pipeline's tokenizer (lists, no tensors)."""
        return self.tokenizer(text, text_pair, **kwargs)

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


def to_json(value: Any) -> str:
    """One line of JSON (numpy scalars and tensors become numbers / lists)."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    return json.dumps(value, ensure_ascii=False, default=default)


def check_text(item: Any, what: str = "input") -> str:
    """Raise a clear TypeError unless `item` is a string."""
    if not isinstance(item, str):
        raise TypeError(f"each {what} must be a str, got {type(item).__name__}: {item!r:.60}")
    return item


def positive_int(name: str, value: Any, *, allow_none: bool = False) -> int | None:
    """Validate an option that must be an int >= 1 (or None when allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


ProgressCallback = Callable[[int], None]

"""`pipeline(task, model=...)`: ready-to-use inference for every RoBERTa head, as in the reference.

Nothing heavy happens at import time: task modules are imported when a pipeline of that task is built.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import registry

__all__ = ["SUPPORTED_TASKS", "TASK_ALIASES", "default_model_dir", "pipeline", "resolve_task"]


@dataclass(frozen=True)
class TaskSpec:
    """Where a task's pipeline class lives and which model class it loads."""

    module: str
    pipeline_class: str
    model_class: str
    description: str
    # keywords of the model class's from_pretrained: these tasks read the token states alone, so their model is
    # loaded without the pooler (a checkpoint of a masked LM has none, which would be "newly initialised")
    model_kwargs: dict[str, Any] = field(default_factory=dict)


def _task_specs() -> dict[str, TaskSpec]:
    specs = {}
    for row in registry.HEADS:
        for p in row.pipelines:
            model_class = registry.class_name(row)
            specs[p.task] = TaskSpec(p.module_name, p.class_name, model_class, p.description, dict(p.model_kwargs))
    return specs


# task -> its pipeline, from the registry's heads (names by formula: "fill-mask" -> fill_mask.FillMaskPipeline)
SUPPORTED_TASKS: dict[str, TaskSpec] = _task_specs()
# alias -> task: the reference's (sentiment-analysis, ner) and the names roberta used before (qa, causal-lm, ...)
TASK_ALIASES: dict[str, str] = {a: t for a, t in registry.TASK_ALIASES.items() if t in SUPPORTED_TASKS}


def resolve_task(task: str) -> str:
    """The canonical task name of `task` (an alias resolves to its task); ValueError listing the tasks."""
    return registry.resolve_task(task, SUPPORTED_TASKS, unknown="Unknown task")


def default_model_dir() -> Path:
    """The model bundled with the package (`roberta/data/default-model`); FileNotFoundError if missing."""
    import roberta

    path = Path(roberta.__file__).parent / "data" / "default-model"
    if not path.is_dir():
        raise FileNotFoundError(
            f"no model was given and the bundled default model is missing (expected the "
            f"directory {path}); pass one (model=DIR in Python, --model DIR on the command line)"
        )
    return path


def pipeline(
    task: str,
    model: Any = None,
    tokenizer: Any = None,
    device: Any = None,
    dtype: Any = None,
    batch_size: int = 8,
    *,
    torch_dtype: Any = None,
    framework: str | None = None,
    config: Any = None,
    revision: str | None = None,
    use_fast: bool = True,
    device_map: Any = None,
    model_kwargs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Build the pipeline for `task`.

    Args:
        task: one of `SUPPORTED_TASKS` (fill-mask, text-classification, token-classification,
            question-answering, feature-extraction, sentence-embedding, text-generation, zero-shot-classification),
            or an alias of one (`TASK_ALIASES`: sentiment-analysis, ner, ...).
        model: a checkpoint directory, or a loaded roberta model (whose class must fit the task); None uses
            `default_model_dir()`.
        tokenizer: a tokenizer, or a directory to load one from; None loads the fast tokenizer from the model
            directory (for a model instance: from its `config.name_or_path`, if that is a directory).
        device: "cpu", "cuda", "cuda:N", an int GPU index, -1 (CPU) or a torch.device; None keeps a model
            instance where it is and puts a loaded model on the CPU. A GPU torch does not see is an error.
        dtype: a torch dtype or its name ("float16", "bf16", ...) or "auto"; `torch_dtype` is an alias.
        batch_size: how many inputs (or chunks of long inputs) the model sees at once; lists of inputs are
            sorted by length before batching and returned in input order.
        framework: "pt" (PyTorch, the default), "tf", "flax" or "onnx": which framework runs a model loaded
            from a directory (see `backends.py`). A model instance runs in its own framework.
        config: a `RobertaConfig` or a folder / hub id holding one. As in the reference, it is checked but does
            not change the model (which keeps its own config.json; a warning says so when they differ): to
            change config fields, pass them in `model_kwargs`.
        revision: the revision of a hub id's cached snapshot (a local folder has none).
        use_fast: False loads the pure-Python `RobertaTokenizer` instead of `RobertaTokenizerFast`.
        device_map: passed to the model's `from_pretrained` (a model is not split over devices: "auto", one
            device, or a dict naming one); not together with `device`.
        model_kwargs: keywords for the model's `from_pretrained` (config fields such as `num_labels`,
            `attn_implementation`, `subfolder`, ...); `dtype` and `device_map` may be given here or above, not
            both.
        **kwargs: default options of every call (for example `top_k=3`, `aggregation_strategy="simple"`).
    """

    import torch

    from .. import modeling
    from .._auto_base import auto_class_of
    from ..devices import parse_device, parse_dtype
    from ..hub import resolve_model_dir
    from ..tokenizer import load_tokenizer
    from . import backends
    from .loading import load_options

    name = resolve_task(task)
    spec = SUPPORTED_TASKS[name]
    opts = load_options(
        dtype=dtype,
        torch_dtype=torch_dtype,
        device=device,
        device_map=device_map,
        model_kwargs=model_kwargs,
        revision=revision,
        config=config,
        use_fast=use_fast,
    )
    torch_dt = parse_dtype(opts.dtype)
    model_class = getattr(modeling, spec.model_class)
    framework = backends.check_framework(framework)
    if model is None:
        model = _bundled_model_for(name, spec)
    if isinstance(model, (str, os.PathLike)):
        opts.check_framework(framework)
        path = Path(resolve_model_dir(model, what="model", **opts.hub))
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{str(path)!r} is not a model directory (no config.json)")
        model_dir: Path | None = path
        dev = parse_device(device)
        # A head the checkpoint lacks is initialised from a fixed seed, so an untrained head at least gives the
        # same answer every time (loading warns about it); the caller's random state is left as it was.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            if framework == backends.NATIVE:
                auto = auto_class_of(spec.model_class, backends.NATIVE)  # the checkpoint's family's class
                model = auto.from_pretrained(str(path), dtype=torch_dt, **{**spec.model_kwargs, **opts.model_kwargs})
            else:
                _cpu_only(framework, dev)
                model = backends.load_model(framework, str(path), spec.model_class, torch_dt)
        opts.check_config(model.config)
        if opts.device_map is not None:  # the map placed it: stay there
            dev = next(model.parameters()).device
    else:
        opts.warn_for_instance()
        own = backends.framework_of(model)
        if own is None:
            raise TypeError(f"model must be a directory path or a roberta model, got {type(model).__name__}")
        if framework not in (backends.NATIVE, own):
            raise ValueError(f"framework={framework!r} does not match the model given, a {own!r} model")
        model_dir = None
        config_path = getattr(model.config, "name_or_path", None) or getattr(model.config, "_name_or_path", None)
        if config_path and Path(str(config_path)).is_dir():
            model_dir = Path(str(config_path))
        if own == backends.NATIVE:
            if not isinstance(model, model_class):
                raise TypeError(f"the {name} pipeline needs a {spec.model_class}, got {type(model).__name__}")
            dev = parse_device(device) if device is not None else next(model.parameters()).device
            if torch_dt is not None:
                model = model.to(torch_dt)
        else:
            dev = parse_device(device)
            _cpu_only(own, dev)
            model = backends.wrap_model(own, model, spec.model_class)
    model = model.to(dev).eval()
    if tokenizer is None:
        if model_dir is None:
            raise ValueError("the tokenizer cannot be found from a model instance: pass tokenizer=")
        tokenizer = load_tokenizer(model_dir, use_fast=opts.use_fast)
    else:
        tokenizer = load_tokenizer(tokenizer, use_fast=opts.use_fast, **opts.hub)
    module = importlib.import_module(f"{__name__}.{spec.module}")
    cls = getattr(module, spec.pipeline_class)
    if cls.reads_model_dir:
        kwargs = {**kwargs, "model_dir": model_dir}
    return cls(model, tokenizer, device=dev, batch_size=batch_size, task=name, **kwargs)


# The bundled model is a masked LM: these are the tasks it can answer without a fine-tuned head.
_BUNDLED_TASKS = ("fill-mask", "feature-extraction", "sentence-embedding")


def _bundled_model_for(task: str, spec: TaskSpec) -> Path:
    if task not in _BUNDLED_TASKS:
        command = registry.head_of_task(task).task  # the fine-tuning task of the head it needs
        raise ValueError(
            f"{task} needs a model fine-tuned for it ({spec.model_class}) and none was given; the bundled model "
            f"answers only {', '.join(_BUNDLED_TASKS)}. Pass a fine-tuned checkpoint (model=DIR in Python, "
            f"--model DIR on the command line), or make one: roberta finetune {command} --model BASE_MODEL "
            f"--train-file DATA -o DIR"
        )
    return default_model_dir()


def _cpu_only(framework: str, device: Any) -> None:
    if device.type != "cpu":
        raise ValueError(f"framework={framework!r} runs on the CPU here; device={device} is for PyTorch models")


def __getattr__(name: str) -> Any:  # lazy access to the pipeline classes: roberta.pipelines.FillMaskPipeline
    for spec in SUPPORTED_TASKS.values():
        if spec.pipeline_class == name:
            return getattr(importlib.import_module(f"{__name__}.{spec.module}"), name)
    if name == "Pipeline":
        return importlib.import_module(f"{__name__}.base").Pipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

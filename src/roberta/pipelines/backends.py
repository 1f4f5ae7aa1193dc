"""Models of other frameworks inside the pipelines: TensorFlow, Flax and ONNX Runtime.

The pipelines speak PyTorch (padded `torch.long` batches in, named tensors out). A model of another framework
joins them through a *runner*: a callable `runner(input_ids, attention_mask) -> dict[str, np.ndarray]` over
int64 NumPy arrays (B, T), with a `config` (a `RobertaConfig`) and `model_class` (the name of the head it
runs, e.g. "TFRobertaForMaskedLM"). `ArrayModel` wraps a runner as a module the pipelines call like ours.

Each framework is one row of `FRAMEWORKS`: the module that builds its runners, imported only when used.
That module defines `load(path, model_class, dtype) -> runner` (model_class: the PyTorch head's name, e.g.
"RobertaForMaskedLM": the head; the checkpoint's model_type picks the family, through the framework's Auto
class) and `wrap(model) -> runner` for a model instance of that framework.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import registry


class Framework:
    """Where a framework's runners come from, and which model classes belong to it."""

    def __init__(
        self, runner_module: str, model_module: str | None, requires: tuple[str, ...] = (), name: str = ""
    ) -> None:
        self.runner_module = runner_module
        self.model_module = model_module  # the package of its model classes (None: no instances, paths only)
        self.requires, self.name = requires, name  # the modules it needs (an extra installs them)

    def runners(self) -> Any:
        """The runner module; `MissingExtra` (naming the extra to install) when the framework is not installed."""
        from ..extras import require

        require(*self.requires, feature=f"framework={self.name!r}")
        return importlib.import_module(self.runner_module)


FRAMEWORKS: dict[str, Framework] = {
    "tf": Framework("roberta.modeling_tf.runner", "roberta.modeling_tf", ("tensorflow", "tf_keras"), "tf"),
    "flax": Framework("roberta.modeling_flax.runner", "roberta.modeling_flax", ("jax", "flax"), "flax"),
    "onnx": Framework("roberta.onnx.runner", None, ("onnxruntime",), "onnx"),
}
NATIVE = "pt"


def check_framework(name: str | None) -> str:
    """A valid framework name ("pt" for None) or a ValueError listing the valid ones."""
    name = NATIVE if name is None else name
    if name != NATIVE and name not in FRAMEWORKS:
        raise ValueError(f"unknown framework {name!r}; choose one of {[NATIVE, *FRAMEWORKS]}")
    return name


def framework_of(model: Any) -> str | None:
    """The framework of a model instance: "pt", a row of FRAMEWORKS, or None when it is none of ours."""
    if isinstance(model, nn.Module):
        return NATIVE
    module = type(model).__module__
    for name, fw in FRAMEWORKS.items():
        if fw.model_module and (module == fw.model_module or module.startswith(fw.model_module + ".")):
            return name
    return None


class ArrayOutput(dict):
    """Named outputs of a runner as torch tensors: by key, by attribute, or by position (like ModelOutput)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)


class ArrayModel(nn.Module):
    """A runner as a module: the pipelines call it with torch tensors and read named torch outputs."""

    def __init__(self, runner: Any) -> None:
        super().__init__()
        self.runner = runner
        self.config = runner.config
        # No weights live here; this empty float32 parameter tells the pipeline which dtype results come in.
        self._dtype_probe = nn.Parameter(torch.empty(0), requires_grad=False)

    @property
    def model_class(self) -> str:
        return self.runner.model_class

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kwargs: Any) -> ArrayOutput:
        if kwargs:
            raise TypeError(f"{self.model_class} runs in the pipelines with input_ids and attention_mask only")
        out = self.runner(input_ids.cpu().numpy().astype(np.int64), attention_mask.cpu().numpy().astype(np.int64))
        return ArrayOutput({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in out.items()})


def load_model(framework: str, path: str, model_class: str, dtype: Any) -> ArrayModel:
    """Load the checkpoint at `path` for the task's head `model_class` with another framework."""
    return ArrayModel(FRAMEWORKS[framework].runners().load(path, model_class, dtype))


def wrap_model(framework: str, model: Any, model_class: str) -> ArrayModel:
    """Wrap an instance of another framework's model; its head must be the task's `model_class`."""
    runner = FRAMEWORKS[framework].runners().wrap(model)
    if not runner.model_class.endswith(registry.head_of_class(model_class).stem):  # the head, of any family
        raise TypeError(f"this pipeline needs a {model_class} (of any framework), got {runner.model_class}")
    return ArrayModel(runner)

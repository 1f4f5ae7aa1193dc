"""ONNX Runtime in the pipelines: `load(path, model_class, dtype)` runs the `model.onnx` of a directory written by
`export_onnx` (see `pipelines/backends.py` for the runner protocol).

    pipe = roberta.pipeline("fill-mask", model="roberta-onnx/", framework="onnx")
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from .. import registry
from ..auto import AutoConfig
from ..config import RobertaConfig
from . import tasks


class OnnxRunner:
    """An onnxruntime session over int64 (B, T) arrays, returning the head's named outputs as arrays."""

    def __init__(self, session: Any, config: RobertaConfig, model_class: str) -> None:
        self.session, self.config, self.model_class = session, config, model_class
        self.outputs = list(tasks.OUTPUTS[model_class].names)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> dict[str, np.ndarray]:
        values = self.session.run(self.outputs, {"input_ids": input_ids, "attention_mask": attention_mask})
        return dict(zip(self.outputs, values))


def open_session(model_file: str, threads: int | None = None, spinning: bool = True) -> Any:
    """An onnxruntime session on the CPU that logs errors only; `threads`: its intra-op threads (default: ORT's).
    `spinning=False` stops its threads busy-waiting for work after each run, which would take the cores from
    other work of the process (PyTorch) in between."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(model_file, options, providers=["CPUExecutionProvider"])


def load(path: str, model_class: str, dtype: Any) -> OnnxRunner:
    """The runner of `path`/model.onnx, which must have been exported for `model_class`'s task."""
    if dtype is not None and dtype != torch.float32:
        raise ValueError(
            f"dtype={dtype} does not apply to an ONNX model: it runs as exported (float32 outputs; export with "
            f"--fp16 or --int8 for lighter weights)"
        )
    model_file = os.path.join(path, tasks.MODEL_FILE)
    if not os.path.isfile(model_file):
        raise FileNotFoundError(
            f"{path} has no {tasks.MODEL_FILE}: write one with `roberta export onnx MODEL_DIR -o {path} --task TASK`"
        )
    config = AutoConfig.from_pretrained(path)  # the checkpoint's family's config (XLMRobertaConfig, ...)
    exported = (config.architectures or ["an unknown head"])[0]
    wanted = " or ".join(tasks.tasks_of(model_class)) or model_class
    head = registry.head_of_class(model_class)
    if head is registry.head("ForCausalLM"):
        raise ValueError("text-generation needs a key/value cache, which the ONNX export has not; use framework='pt'")
    if exported not in tasks.OUTPUTS or registry.head_of_class(exported) != head:  # the head, of any family
        raise ValueError(f"{model_file} runs a {exported}; this pipeline needs a {model_class}: export --task {wanted}")
    session = open_session(model_file)
    names = {o.name for o in session.get_outputs()}
    missing = [n for n in tasks.OUTPUTS[exported].names if n not in names]
    if missing:
        raise ValueError(f"{model_file} has no output {', '.join(missing)} (it has {', '.join(sorted(names))})")
    return OnnxRunner(session, config, exported)


def wrap(model: Any) -> OnnxRunner:
    raise TypeError("an ONNX model is loaded from its directory: pipeline(task, model=DIR, framework='onnx')")

"""`export_onnx`: a model directory -> a directory with `model.onnx` beside config.json and the tokenizer files
(the layout onnxruntime users, Triton and TEI's ONNX backend read), checked against our PyTorch model.

- Exporter: torch's TorchScript-based exporter (`dynamo=False`). It needs torch alone; the torch.export-based
  exporter (torch's default since 2.9) also needs the onnxscript package.
- Attention: the model is traced with `attn_implementation="sdpa"`, the padded path: an additive mask bias and
  one fused attention per layer, which the exporter writes as MatMul / Softmax over whatever batch and sequence
  size the graph is given. The default "unpadded" path plans which tokens to keep from the attention mask with
  Python integers, so a trace would freeze one batch's plan into the graph.
- Variants: `int8` quantizes the weights of the products with onnxruntime's dynamic quantization (activations
  are quantized per batch at run time); `fp16` converts weights and arithmetic to float16 with onnxruntime's
  converter, keeping float32 inputs and outputs. `model.onnx` is the variant asked for.
- Check: the float32 graph, run by onnxruntime on inputs of another shape than the trace's (batch 3, uneven
  padding), must match our PyTorch model within `tolerance` on every real position; a variant's difference and
  argmax agreement are reported. Everything is written into a staging directory that becomes the output in
  one rename, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import modeling, registry
from .._auto_base import _check_model_type
from .._io import atomic_new_directory
from ..tokenizer import load_tokenizer
from . import tasks
from .runner import open_session

DEFAULT_OPSET = 17  # LayerNormalization is one op from 17; onnxruntime >= 1.14 runs it
TOLERANCE = 1e-4  # max |onnxruntime - PyTorch| of the float32 graph
_TRACE_SHAPE = (2, 8)  # (batch, sequence) of the trace inputs; the check uses others
_CHECK_LENGTHS = (16, 11, 5)


@dataclass
class Check:
    """onnxruntime against PyTorch on the check inputs."""

    variant: str  # "float32", "int8" or "float16"
    max_abs_diff: float
    argmax_agreement: float  # share of rows whose top output matches
    bound: float | None  # the float32 graph must stay within it; variants are reported only


@dataclass
class ExportResult:
    output_dir: str
    task: str
    model_class: str
    variant: str
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Graph(nn.Module):
    """The head as a function of (input_ids, attention_mask), returning its named outputs in order."""

    def __init__(self, model: nn.Module, outputs: tuple[str, ...]) -> None:
        super().__init__()
        self.model, self.outputs = model, outputs

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
        return tuple(getattr(out, name) for name in self.outputs)


def _load(model_dir: str, model_class: str, task: str) -> nn.Module:
    cls = getattr(modeling, model_class)
    kwargs = {"add_pooling_layer": False} if registry.head_of_class(model_class).is_base else {}
    model, info = cls.from_pretrained(model_dir, dtype=torch.float32, output_loading_info=True, **kwargs)
    missing = info["missing_keys"]
    if missing:
        saved = ", ".join(model.config.architectures or ["an unknown head"])
        raise ValueError(
            f"{model_dir} holds no weights for the {task} head ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}): it is a {saved} checkpoint; export the task it was trained for"
        )
    return model.eval()


def sample_inputs(config: Any, choices: int, lengths: tuple[int, ...], seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Right-padded rows of the given lengths: <s> random tokens </s>, then padding; (B, T) int64, or
    (B, choices, T) when `choices` > 0 (each example's choices are the rows rolled)."""
    lengths = tuple(max(2, min(n, config.usable_positions)) for n in lengths)
    g = torch.Generator().manual_seed(seed)
    ids = torch.full((len(lengths), max(lengths)), config.pad_token_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    low = max(config.bos_token_id or 0, config.eos_token_id or 0, config.pad_token_id) + 1
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(low, config.vocab_size, (n,), generator=g)
        ids[row, 0], ids[row, n - 1] = config.bos_token_id or 0, config.eos_token_id or 2
        mask[row, :n] = 1
    if choices:
        ids, mask = (torch.stack([t.roll(c, dims=0) for c in range(choices)], dim=1) for t in (ids, mask))
    return ids, mask


@contextlib.contextmanager
def _quiet_export() -> Any:
    """The trace warns where the model reads a tensor as a Python number: input checks that raise on bad ids or
    over-long inputs, which change no value of the graph (the check below runs other shapes to prove it);
    torch also warns that this exporter is the older one, and about TF32 when oneDNN is switched off."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        warnings.filterwarnings("ignore", message=".*The feature will be removed.*", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*TF32 acceleration on top of oneDNN.*")  # mkldnn.flags() below
        yield


def _export(model: nn.Module, model_class: str, path: str, opset: int) -> None:
    outputs = tasks.OUTPUTS[model_class]
    choices = model_class in tasks.CHOICES_INPUT
    batch_axes = {0: "batch", 1: "choices", 2: "sequence"} if choices else {0: "batch", 1: "sequence"}
    if outputs.per_token:
        out_axes = {0: "batch", 1: "sequence"}
    else:
        out_axes = {0: "batch", 1: "choices"} if choices else {0: "batch"}
    axes = {**dict.fromkeys(tasks.INPUTS, batch_axes), **dict.fromkeys(outputs.names, out_axes)}
    graph = _Graph(model, outputs.names).eval()
    b, t = _TRACE_SHAPE
    example = sample_inputs(model.config, 2 if choices else 0, tuple(t - 3 * i for i in range(b)), seed=1)
    previous = model.config._attn_implementation
    model.config._attn_implementation = "sdpa"
    try:
        # oneDNN's linear op has no ONNX form: the products trace as MatMul + Add with it switched off.
        with _quiet_export(), torch.backends.mkldnn.flags(enabled=False):
            torch.onnx.export(
                graph,
                example,
                path,
                dynamo=False,
                input_names=list(tasks.INPUTS),
                output_names=list(outputs.names),
                dynamic_axes=axes,
                opset_version=opset,
                do_constant_folding=True,
            )
    finally:
        model.config._attn_implementation = previous
        model.eval()


def _compare(model_class: str, got: list[np.ndarray], want: list[np.ndarray], mask: np.ndarray) -> tuple[float, float]:
    """(max |got - want| over real positions, share of predictions with the same argmax)."""
    per_token = tasks.OUTPUTS[model_class].per_token
    keep = mask.astype(bool)
    diff, same = 0.0, []
    for g, w in zip(got, want):
        if g.shape != w.shape:
            raise ValueError(f"onnxruntime gave an output of shape {g.shape}, PyTorch {w.shape}")
        g, w = g.astype(np.float32), w.astype(np.float32)
        if per_token and g.ndim == keep.ndim:  # one score per token (QA): compare the best real position
            g, w = np.where(keep, g, -np.inf), np.where(keep, w, -np.inf)
            values = (g[keep], w[keep])
        elif per_token:  # a vector per token: real positions only
            g, w = g[keep], w[keep]
            values = (g, w)
        else:
            values = (g, w)
        if not np.isfinite(values[0]).all():
            return float("inf"), 0.0
        diff = max(diff, float(np.abs(values[0] - values[1]).max()) if values[0].size else 0.0)
        same.append((g.argmax(-1) == w.argmax(-1)).ravel())
    return diff, float(np.concatenate(same).mean())


def _check(variant: str, path: str, model_class: str, inputs, want, bound: float | None) -> Check:
    ids, mask = (t.numpy() for t in inputs)
    got = open_session(path).run(list(tasks.OUTPUTS[model_class].names), {"input_ids": ids, "attention_mask": mask})
    diff, agreement = _compare(model_class, got, want, mask)
    check = Check(variant, diff, agreement, bound)
    if bound is not None and not diff <= bound:
        raise ValueError(
            f"the exported {variant} graph differs from the PyTorch model by {diff:.2e} (allowed {bound:.0e}); "
            f"nothing was written"
        )
    if not np.isfinite(diff):
        raise ValueError(f"the {variant} graph gives non-finite outputs; nothing was written")
    return check


def _quantize_int8(source: str, target: str) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process first is logged on the root logger
    try:
        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def _convert_fp16(source: str, target: str) -> None:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    onnx.save(convert_float_to_float16(onnx.load(source), keep_io_types=True), target)


_VARIANTS = {"int8": _quantize_int8, "float16": _convert_fp16}


def export_onnx(
    model_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    task: str,
    int8: bool = False,
    fp16: bool = False,
    opset: int = DEFAULT_OPSET,
    tolerance: float = TOLERANCE,
) -> ExportResult:
    """Export the `task` head of the checkpoint in `model_dir` to a new directory `output_dir` (must not exist).

    Writes model.onnx (inputs input_ids and attention_mask, dynamic batch and sequence axes; outputs named as the
    head's), config.json and the tokenizer files. The float32 graph is checked against PyTorch (max difference
    <= `tolerance` on real positions) before anything is written; `int8` / `fp16` then replace it with that
    variant, whose difference is reported in the result.
    """
    output_dir, model_dir = os.fspath(output_dir), os.fspath(model_dir)
    task, model_class = tasks.resolve(task)
    if int8 and fp16:
        raise ValueError("choose int8 or fp16, not both")
    if os.path.lexists(output_dir):
        raise FileExistsError(f"the output path {output_dir} already exists; give a new directory")
    if not os.path.isdir(model_dir):
        raise FileNotFoundError(f"model directory {model_dir} does not exist")
    # the head's class of the checkpoint's family (XLMRobertaForMaskedLM for an XLM-RoBERTa folder)
    model_class = registry.class_name(registry.head_of_class(model_class), _check_model_type(model_dir))
    model = _load(model_dir, model_class, task)
    inputs = sample_inputs(model.config, 3 if model_class in tasks.CHOICES_INPUT else 0, _CHECK_LENGTHS)
    with torch.inference_mode():
        out = model(input_ids=inputs[0], attention_mask=inputs[1], return_dict=True)
    want = [getattr(out, name).float().numpy() for name in tasks.OUTPUTS[model_class].names]
    variant = "int8" if int8 else "float16" if fp16 else "float32"
    result = ExportResult(output_dir, task, model_class, variant)
    with atomic_new_directory(output_dir) as stage:
        path = os.path.join(stage, tasks.MODEL_FILE)
        _export(model, model_class, path, opset)
        result.checks.append(_check("float32", path, model_class, inputs, want, tolerance))
        if variant != "float32":
            converted = os.path.join(stage, f"model_{variant}.onnx")
            _VARIANTS[variant](path, converted)
            result.checks.append(_check(variant, converted, model_class, inputs, want, None))
            os.replace(converted, path)
        config = model.config
        config.architectures = [model_class]
        config.save_pretrained(stage)
        try:
            tokenizer = load_tokenizer(model_dir)  # the family's fast tokenizer
        except (OSError, ValueError):
            result.notes.append(f"{model_dir} has no tokenizer files: none were written (pipelines and TEI need them)")
        else:
            tokenizer.save_pretrained(stage)
    return result

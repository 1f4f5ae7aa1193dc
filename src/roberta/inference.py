"""Opt-in inference modes: dynamic int8 quantization, prepacked linear weights and `torch.compile`.

None changes the default path; each returns the model it was given, changed in place. The module tree and
the state dict stay the reference's in every mode.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from .modeling.linear import Derived, can_prepack, is_plain, packed_of, prepacked


def quantize_int8(model: nn.Module) -> nn.Module:
    """Dynamic int8 quantization of every linear layer (weights int8, activations quantized per batch), for
    CPU inference. The tied vocabulary projection stays in float (it shares its weight with the embeddings).
    The quantized modules replace the `nn.Linear`s under the same names, and the model calls them as they are.
    Accuracy drift is measured in benchmarks/ and written down in docs/performance.md."""
    from torch.ao.nn.quantized import dynamic as nnqd
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    if next(model.parameters()).device.type != "cpu":
        raise ValueError("int8 dynamic quantization runs on the CPU; move the model with .cpu() first")
    names = {
        name: default_dynamic_qconfig
        for name, m in model.named_modules()
        if isinstance(m, nn.Linear) and not name.endswith("lm_head.decoder")
    }
    model.eval()
    refresh_derived(model)
    with warnings.catch_warnings():  # torch marks the eager quantization API deprecated; it still works
        warnings.simplefilter("ignore")
        quantize_dynamic(model, qconfig_spec=names, dtype=torch.qint8, mapping={nn.Linear: nnqd.Linear}, inplace=True)
    return model


def _plain_linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if is_plain(m)]


def prepack_linears(model: nn.Module) -> nn.Module:
    """Copy every plain linear weight once into oneDNN's blocked layout, used in inference (no gradients), so
    products stop re-laying the weight out on every call (gains: docs/performance.md). The price is a second
    copy of the linear weights in memory. Outputs equal the default path up to fp32 summation order. The state
    dict and `save_pretrained` are unchanged; a weight that is later changed in place, reloaded or moved is
    packed again on its next use. `unpack_linears` undoes it."""
    if not can_prepack():
        raise RuntimeError("prepacking needs PyTorch built with oneDNN (torch.backends.mkldnn.is_available())")
    linears = _plain_linears(model)
    for m in linears:  # every weight first: an error leaves nothing half-done
        w = m.weight
        if w.device.type != "cpu" or w.dtype != torch.float32:
            raise ValueError(f"prepacking needs fp32 weights on the CPU, got {w.dtype} on {w.device}")
    for m in linears:
        packed = Derived()
        packed.get((m.weight,), lambda m=m: prepacked(m.weight))
        m.__dict__["_roberta_packed"] = packed
    return model


def unpack_linears(model: nn.Module) -> nn.Module:
    for m in model.modules():
        m.__dict__.pop("_roberta_packed", None)
    refresh_derived(model)
    return model


def is_prepacked(model: nn.Module) -> bool:
    return any(packed_of(m) is not None for m in model.modules())


def refresh_derived(model: nn.Module) -> nn.Module:
    """Drop every derived weight (prepacked copies), to be made again on the next call. Needed only after
    edits that bypass version counters (`param.data = ...`, `param.data.copy_(...)`)."""
    for m in model.modules():
        packed = packed_of(m)
        if packed is not None:
            packed.clear()
    return model


def compile_model(
    model: nn.Module, *, dynamic: bool = True, mode: str | None = None, prepack: bool | None = None
) -> nn.Module:
    """Compile the model's forward with `torch.compile` (inductor). The first call of each new input shape
    pays the compile cost (docs/performance.md gives what it costs); later calls are faster.

    `prepack` (default: when the model is fp32 on a CPU with oneDNN) first applies `prepack_linears`, whose
    oneDNN products the compiled graph calls as opaque ops (the packed copies are then frozen into the graph:
    compile again after changing weights); pass False to keep one copy of the weights."""
    model.eval()
    if prepack is None:
        linears = _plain_linears(model)
        prepack = (
            can_prepack()
            and bool(linears)
            and all(m.weight.device.type == "cpu" and m.weight.dtype == torch.float32 for m in linears)
        )
    if prepack:
        prepack_linears(model)
    model.forward = torch.compile(model.forward, dynamic=dynamic, mode=mode)
    return model

"""Opt-in inference modes: dynamic int8 quantization and `torch.compile`.

Neither changes the default path; both return the model they were given, changed in place.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from .modeling.linear import Linear


def quantize_int8(model: nn.Module) -> nn.Module:
    """Dynamic int8 quantization of every linear layer (weights int8, activations quantized per batch), for
    CPU inference. The tied vocabulary projection stays in float (it shares its weight with the embeddings).
    Accuracy drift is measured in benchmarks/ and written down in docs/performance.md."""
    from torch.ao.nn.quantized import dynamic as nnqd
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    if next(model.parameters()).device.type != "cpu":
        raise ValueError("int8 dynamic quantization runs on the CPU; move the model with .cpu() first")
    names = {name: default_dynamic_qconfig for name, m in model.named_modules()
             if isinstance(m, nn.Linear) and not name.endswith("lm_head.decoder")}
    model.eval()
    for m in model.modules():  # quantize_dynamic only accepts exact nn.Linear; ours differs in forward only
        if type(m) is Linear:
            m.__class__ = nn.Linear
    with warnings.catch_warnings():  # torch marks the eager quantization API deprecated; it still works
        warnings.simplefilter("ignore")
        quantize_dynamic(model, qconfig_spec=names, dtype=torch.qint8,
                         mapping={nn.Linear: nnqd.Linear}, inplace=True)
    return model


def compile_model(model: nn.Module, *, dynamic: bool = True, mode: str | None = None) -> nn.Module:
    """Compile the model's forward with `torch.compile` (inductor). The first call of each new input shape
    pays the compile cost (tens of seconds on a CPU; see docs/performance.md); later calls are faster."""
    model.eval()
    model.forward = torch.compile(model.forward, dynamic=dynamic, mode=mode)
    return model

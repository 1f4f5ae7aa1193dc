"""The bf16 mode: `from_pretrained(..., dtype=torch.bfloat16)` (or `torch_dtype=`).

What is bf16 and what stays fp32, and why:
- Weights of the products and the embedding tables are bf16: half the memory, and the products (nearly all of
  a forward's arithmetic) run on bf16 kernels: oneDNN's, with fp32 accumulation, on CPUs that have bf16
  instructions (AVX512-BF16, AMX).
- LayerNorm weights stay fp32 (a few thousand numbers; the reference's `_keep_in_fp32_modules` idea).
- On the CPU the residual stream between products stays fp32: each product rounds its input to bf16 (bf16 keeps
  8 bits of mantissa, a relative error of at most 2^-9), multiplies with fp32 accumulation and returns fp32, so
  the residual adds, LayerNorm, GELU and attention's softmax see fp32 numbers. Rounding the whole stream to
  bf16 after every op, as `model.to(torch.bfloat16)` does, adds an error of the same size at every one of them.
- Outputs (hidden states, logits) come back in the model's dtype, bf16, as the reference's do.

`model.to(torch.bfloat16)` keeps its meaning: everything bf16, the stream too (the reference's numbers).
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from .linear import bf16_kernels

logger = logging.getLogger(__name__)

LOW = (torch.bfloat16, torch.float16)  # weight dtypes whose products may take an fp32 stream
_said: list[str] = []  # the kernel sentence, once per process


def keep_norms_fp32(model: nn.Module) -> nn.Module:
    """Every LayerNorm's weight and bias back to fp32 (the bf16 mode's fp32 stream needs fp32 norms)."""
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            m.float()
    return model


def stream_dtype(norm: nn.Module, x: torch.Tensor) -> torch.dtype:
    """The dtype of the residual stream for embeddings `x` normalised by `norm` (the embeddings' LayerNorm):
    fp32 on the CPU when the weights are bf16/fp16 and the norms fp32 (the bf16 mode), else `x`'s."""
    w = getattr(norm, "weight", None)
    if x.dtype in LOW and x.device.type == "cpu" and isinstance(w, torch.Tensor) and w.dtype == torch.float32:
        return torch.float32
    return x.dtype


def kernel_family() -> str:
    """One sentence: which kernels the bf16 products take on this CPU, and what the CPU offers."""
    capability = torch.backends.cpu.get_cpu_capability()
    if bf16_kernels():
        return f"bf16 products run on oneDNN's bf16 kernels, fp32 accumulation (CPU capability {capability})"
    return (
        f"this CPU has no bf16 kernels in oneDNN (CPU capability {capability}): bf16 products run on PyTorch's "
        f"generic bf16 GEMM, slower than fp32 here; dtype=torch.float32 is the fast choice on this machine"
    )


def announce(model: nn.Module) -> None:
    """Say once per process, when a bf16 model is loaded on the CPU, which kernel family its products take."""
    if _said or model.dtype != torch.bfloat16 or model.device.type != "cpu":
        return
    _said.append(kernel_family())
    logger.info(_said[0])

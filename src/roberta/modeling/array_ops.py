"""PyTorch's `ArrayOps` (`model_facts/ops.py`): the operations the shared model facts compute with."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


class TorchOps:
    gelu = staticmethod(F.gelu)
    gelu_tanh = staticmethod(_gelu_tanh)
    relu = staticmethod(F.relu)
    silu = staticmethod(F.silu)
    tanh = staticmethod(torch.tanh)
    sigmoid = staticmethod(torch.sigmoid)

    @staticmethod
    def as_int(x: torch.Tensor) -> torch.Tensor:
        return x.int()

    @staticmethod
    def cumsum(x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=-1, dtype=x.dtype)

    @staticmethod
    def kth_largest(x: torch.Tensor, k: int) -> torch.Tensor:
        return torch.topk(x, min(max(k, 1), x.shape[-1])).values[..., -1:]

    @staticmethod
    def sort(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        values, order = torch.sort(x, descending=False)
        return values, order

    @staticmethod
    def unsort(values: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
        return values.scatter(-1, order, values)

    @staticmethod
    def softmax(x: torch.Tensor) -> torch.Tensor:
        return x.softmax(dim=-1)

    @staticmethod
    def index(x: torch.Tensor) -> torch.Tensor:
        return torch.arange(x.shape[-1], device=x.device)

    @staticmethod
    def drop(x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return x.masked_fill(cond, float("-inf"))

    @staticmethod
    def where(cond, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.where(cond, x, y)

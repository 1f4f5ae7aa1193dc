"""`Linear`: nn.Linear with faster paths for few tokens on the CPU.

- By default, with a handful of rows (a single short sentence), (W x^T)^T with addmm is faster on CPU BLAS
  than x W^T, whose tall-skinny shape the kernels handle poorly.
- Opt-in (`roberta.inference.prepack_linears`, also done by `compile_model`): the weight is copied once
  into oneDNN's blocked layout, so few-row products stream it from memory without repacking it on every
  call; about twice as fast again for a 16-token roberta-base forward, at the cost of a second copy of the
  linear weights. Same arithmetic up to summation order (fp32).

Same parameters and state-dict names as nn.Linear in every case.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

SMALL_ROWS = (12, 128)  # row counts for which the transposed product measured faster (benchmarks/)
PACKED_ROWS = 128  # the prepacked weight is used up to this many rows; BLAS is as fast above it


@torch.library.custom_op("roberta::packed_linear", mutates_args=())
def packed_linear(x: torch.Tensor, packed: torch.Tensor, bias: Optional[torch.Tensor], out_features: int
                  ) -> torch.Tensor:
    """x W^T + b with W prepacked by oneDNN; an opaque op to `torch.compile`, which calls it as is."""
    return torch.ops.mkldnn._linear_pointwise(x.contiguous(), packed, bias, "none", [], "")


@packed_linear.register_fake
def _packed_linear_shape(x, packed, bias, out_features):
    return x.new_empty(*x.shape[:-1], out_features)


def can_prepack() -> bool:
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")


class Linear(nn.Linear):
    packed: Optional[torch.Tensor] = None  # oneDNN copy of the weight, set by prepack(); not in the state dict
    _packed_from: tuple = ()  # (data_ptr, version) of the weight it was made from

    def prepack(self, rows_hint: int = 16) -> None:
        w = self.weight
        if w.device.type != "cpu" or w.dtype != torch.float32:
            raise ValueError(f"prepacking needs fp32 weights on the CPU, got {w.dtype} on {w.device}")
        self.packed = torch.ops.mkldnn._reorder_linear_weight(w.detach(), rows_hint)
        self._packed_from = (w.data_ptr(), w._version)

    def unpack(self) -> None:
        self.packed, self._packed_from = None, ()

    def _use_packed(self, x: torch.Tensor, rows: int) -> bool:
        if self.packed is None or rows > PACKED_ROWS or x.dtype != torch.float32 or x.device.type != "cpu":
            return False
        if torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad):
            return False  # the oneDNN op has no backward: training and gradients use the parameter
        if not torch.compiler.is_compiling() and self._packed_from != (self.weight.data_ptr(),
                                                                        self.weight._version):
            self.prepack()  # the weight was changed in place, reloaded or moved since: pack it again
        return True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // self.in_features
        if self._use_packed(x, rows):
            if torch.compiler.is_compiling():
                return packed_linear(x, self.packed, self.bias, self.out_features)
            return torch.ops.mkldnn._linear_pointwise(x.contiguous(), self.packed, self.bias, "none", [], "")
        if (SMALL_ROWS[0] <= rows <= SMALL_ROWS[1] and x.device.type == "cpu" and self.bias is not None
                and not torch.is_grad_enabled() and x.dtype == torch.float32):
            flat = x.reshape(rows, self.in_features)
            out = torch.addmm(self.bias.unsqueeze(1), self.weight, flat.t()).t()  # (rows, out)
            return out.reshape(*x.shape[:-1], self.out_features)
        return F.linear(x, self.weight, self.bias)

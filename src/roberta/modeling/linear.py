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
ROWS_HINT = 16  # the row count oneDNN lays the packed weight out for (any count stays correct)


def can_prepack() -> bool:
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")


def _onednn_linear(x: torch.Tensor, packed: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
    return torch.ops.mkldnn._linear_pointwise(x.contiguous(), packed, bias, "none", [], "")


_compilable_onednn_linear = None  # `_onednn_linear` as a custom op, registered by the first prepack()


def _register_compilable_op() -> None:
    """`torch.compile` calls the custom op as is (inductor cannot lower the oneDNN op with a packed weight).
    Registered on first use, not at import; eager calls skip its dispatch cost and call `_onednn_linear`."""
    global _compilable_onednn_linear
    if _compilable_onednn_linear is not None:
        return

    @torch.library.custom_op("roberta::packed_linear", mutates_args=())
    def packed_linear(x: torch.Tensor, packed: torch.Tensor, bias: Optional[torch.Tensor], out_features: int
                      ) -> torch.Tensor:
        return _onednn_linear(x, packed, bias)

    @packed_linear.register_fake
    def _(x, packed, bias, out_features):
        return x.new_empty(*x.shape[:-1], out_features)

    _compilable_onednn_linear = packed_linear


class Linear(nn.Linear):
    packed: Optional[torch.Tensor] = None  # oneDNN copy of the weight, set by prepack(); not in the state dict
    _packed_from: tuple = ()  # (data_ptr, version) of the weight it was made from

    def check_prepackable(self) -> None:
        w = self.weight
        if w.device.type != "cpu" or w.dtype != torch.float32:
            raise ValueError(f"prepacking needs fp32 weights on the CPU, got {w.dtype} on {w.device}")

    def prepack(self) -> None:
        self.check_prepackable()
        _register_compilable_op()
        self.packed = torch.ops.mkldnn._reorder_linear_weight(self.weight.detach(), ROWS_HINT)
        self._packed_from = (self.weight.data_ptr(), self.weight._version)

    def unpack(self) -> None:
        self.packed, self._packed_from = None, ()

    def _packed_forward(self, x: torch.Tensor, rows: int) -> Optional[torch.Tensor]:
        """The prepacked product, or None where it does not apply."""
        if rows > PACKED_ROWS or x.dtype != torch.float32 or x.device.type != "cpu":
            return None
        if torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad):
            return None  # the oneDNN op has no backward: training and gradients use the parameter
        if torch.compiler.is_compiling():
            return _compilable_onednn_linear(x, self.packed, self.bias, self.out_features)
        if self._packed_from != (self.weight.data_ptr(), self.weight._version):
            self.prepack()  # the weight was changed in place, reloaded or moved since: pack it again
        return _onednn_linear(x, self.packed, self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // self.in_features
        if self.packed is not None:
            out = self._packed_forward(x, rows)
            if out is not None:
                return out
        if (SMALL_ROWS[0] <= rows <= SMALL_ROWS[1] and x.device.type == "cpu" and self.bias is not None
                and not torch.is_grad_enabled() and x.dtype == torch.float32):
            flat = x.reshape(rows, self.in_features)
            out = torch.addmm(self.bias.unsqueeze(1), self.weight, flat.t()).t()  # (rows, out)
            return out.reshape(*x.shape[:-1], self.out_features)
        return F.linear(x, self.weight, self.bias)

"""`Linear`: nn.Linear with faster inference paths on the CPU.

- By default, in fp32 inference (no gradients) on the CPU, the product runs through oneDNN's matmul on the
  plain weight, faster than F.linear's CPU BLAS at every row count (oneDNN builds a kernel per shape once,
  then all layers reuse it). Its output is contiguous, so attention gets SDPA's fused kernel. Training
  (gradients) keeps F.linear.
- Opt-in (`roberta.inference.prepack_linears`, also done by `compile_model`): the weight is copied once
  into oneDNN's blocked layout, so products stop laying it out again on every call, at the cost of a second
  copy of the linear weights. Same arithmetic up to summation order (fp32).

Measured gains: docs/performance.md.

Same parameters and state-dict names as nn.Linear in every case.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ROWS_HINT = 16  # the row count oneDNN lays the packed weight out for (any count stays correct)


_ONEDNN = torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


def can_prepack() -> bool:
    return _ONEDNN and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")


try:
    torch.is_autocast_enabled("cpu")
    _cpu_autocast = lambda: torch.is_autocast_enabled("cpu")  # noqa: E731
except TypeError:  # torch < 2.4
    _cpu_autocast = torch.is_autocast_cpu_enabled


def _onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """x W^T + b by oneDNN; `weight` is the plain (out, in) weight or its prepacked copy."""
    return torch.ops.mkldnn._linear_pointwise(x.contiguous(), weight, bias, "none", [], "")


_compilable_onednn_linear = None  # `_onednn_linear` as a custom op, registered by the first prepack()


def _register_compilable_op() -> None:
    """`torch.compile` calls the custom op as is (inductor cannot lower the oneDNN op with a packed weight).
    Registered on first use, not at import; eager calls skip its dispatch cost and call `_onednn_linear`."""
    global _compilable_onednn_linear
    if _compilable_onednn_linear is not None:
        return

    @torch.library.custom_op("roberta::packed_linear", mutates_args=())
    def packed_linear(
        x: torch.Tensor, packed: torch.Tensor, bias: torch.Tensor | None, out_features: int
    ) -> torch.Tensor:
        return _onednn_linear(x, packed, bias)

    @packed_linear.register_fake
    def _(x, packed, bias, out_features):
        return x.new_empty(*x.shape[:-1], out_features)

    _compilable_onednn_linear = packed_linear


class Linear(nn.Linear):
    packed: torch.Tensor | None = None  # oneDNN copy of the weight, set by prepack(); not in the state dict
    _packed_from: tuple = ()  # (data_ptr, version) of the weight it was made from

    @property
    def prepackable(self) -> bool:
        return self.weight.device.type == "cpu" and self.weight.dtype == torch.float32

    def check_prepackable(self) -> None:
        if not self.prepackable:
            w = self.weight
            raise ValueError(f"prepacking needs fp32 weights on the CPU, got {w.dtype} on {w.device}")

    def prepack(self) -> None:
        self.check_prepackable()
        _register_compilable_op()
        self.packed = torch.ops.mkldnn._reorder_linear_weight(self.weight.detach(), ROWS_HINT)
        self._packed_from = (self.weight.data_ptr(), self.weight._version)

    def unpack(self) -> None:
        self.packed, self._packed_from = None, ()

    def _onednn_applies(self, x: torch.Tensor) -> bool:
        """fp32 on the CPU, nothing needing a gradient (the oneDNN op has no backward), no autocast (which
        would run the product in lower precision), oneDNN not switched off by the user."""
        w = self.weight
        return (
            _ONEDNN
            and x.dtype == torch.float32
            and w.dtype == torch.float32
            and x.device.type == "cpu"
            and x.dim() > 0
            and x.size(-1) == self.in_features
            and not (torch.is_grad_enabled() and (x.requires_grad or w.requires_grad))
            and not _cpu_autocast()
            and torch.backends.mkldnn.enabled
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._onednn_applies(x):
            return F.linear(x, self.weight, self.bias)  # training, other dtypes and devices; shape errors
        if self.packed is not None:
            if torch.compiler.is_compiling():
                return _compilable_onednn_linear(x, self.packed, self.bias, self.out_features)
            if self._packed_from != (self.weight.data_ptr(), self.weight._version):
                self.prepack()  # the weight was changed in place, reloaded or moved since: pack it again
            return _onednn_linear(x, self.packed, self.bias)
        if torch.compiler.is_compiling():
            return F.linear(x, self.weight, self.bias)  # inductor lowers and fuses this itself
        return _onednn_linear(x, self.weight, self.bias)

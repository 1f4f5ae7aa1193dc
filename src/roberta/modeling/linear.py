"""How the model's plain `nn.Linear` modules are multiplied: the same numbers, faster in CPU inference.

The module tree holds plain `nn.Linear` modules under the reference's names, so peft, accelerate, quantization
and users' scripts can address, wrap or replace them. Their parents call `linear(module, x)` instead of
`module(x)`: for a plain, unhooked `nn.Linear` in fp32 inference on the CPU (no gradient needed) the product runs
on oneDNN's matmul, faster than F.linear's CPU BLAS at every row count; any other module (a LoRA layer, a
quantized linear, a module with hooks, accelerate's wrapped forward) is simply called, and training keeps
F.linear.

bf16 weights (the bf16 mode of `from_pretrained(..., dtype=torch.bfloat16)`, modeling/precision.py): an fp32
input is rounded to bf16, multiplied on oneDNN's bf16 kernels (fp32 accumulation) where the CPU has them, else by
F.linear, and returned in fp32, so the residual stream around the products stays fp32.

Query, key and value stay three products: a fused copy of their weights would be a cache that no check can
keep current (fused optimizers and `tensor.data` edits, peft's merge among them, change a weight without
touching its version counter), and measured on this CPU it gains little (docs/performance.md).

The one derived weight is opt-in: oneDNN's prepacked copy (`roberta.inference.prepack_linears`), keyed on the
weight's storage pointer, version counter, dtype and shape and on a count of optimizer steps, so an in-place
edit under `torch.no_grad()`, `load_state_dict`, any torch.optim step or a move packs again on the next call.
Edits through `tensor.data` bypass all of these: call `roberta.inference.refresh_derived(model)` after those.

Measured gains: docs/performance.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules import module as _module

ROWS_HINT = 16  # the row count oneDNN lays a prepacked weight out for (any count stays correct)

_ONEDNN = torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")

try:
    torch.is_autocast_enabled("cpu")
    _cpu_autocast = lambda: torch.is_autocast_enabled("cpu")  # noqa: E731
except TypeError:  # torch < 2.4
    _cpu_autocast = torch.is_autocast_cpu_enabled


def can_prepack() -> bool:
    return _ONEDNN and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")


def tracing() -> bool:
    """Under torch.jit.trace, torch.compile or torch.export: graphs see plain modules and plain F.linear."""
    if torch.jit.is_tracing() or torch.compiler.is_compiling():
        return True
    exporting = getattr(torch.compiler, "is_exporting", None)
    return bool(exporting and exporting())


def is_plain(m: nn.Module) -> bool:
    """An exact nn.Linear that nothing observes or wraps: its product may be computed without calling it."""
    return (
        type(m) is nn.Linear
        and not m._forward_hooks
        and not m._forward_pre_hooks
        and "forward" not in m.__dict__  # accelerate's hooks replace the instance's forward
        and not _module._global_forward_hooks
        and not _module._global_forward_pre_hooks
    )


class Derived:
    """One tensor derived from some source tensors, made again when any source changes (its storage pointer,
    version counter, dtype, device or shape)."""

    __slots__ = ("key", "value")

    def __init__(self) -> None:
        self.key: tuple = ()
        self.value: torch.Tensor | None = None

    def get(self, sources: Sequence, make: Callable[[], torch.Tensor]) -> torch.Tensor:
        key = tuple(_stamp(t) for t in sources)
        if key != self.key or self.value is None:
            self.value, self.key = None, ()  # the stale copy goes before the new one is made
            self.value, self.key = make(), key
        return self.value

    def clear(self) -> None:
        self.key, self.value = (), None

    def __reduce__(self):  # copies and pickles start empty: a cache is made again from the copied sources
        return (Derived, ())


def _stamp(t: torch.Tensor | None) -> tuple | None:
    if t is None:
        return None
    return (t.data_ptr(), t._version, t.dtype, t.device, tuple(t.shape), _optimizer_steps())


_steps = [0]  # torch.optim steps taken in this process, counted once a derived weight exists
_hooked = False


def _optimizer_steps() -> int:
    """Fused optimizers (AdamW(fused=True), the Trainer's default) update weights without bumping their
    version counters; a global post-step hook counts every torch.optim step instead."""
    global _hooked
    if not _hooked:
        from torch.optim.optimizer import register_optimizer_step_post_hook

        def count(optimizer, args, kwargs) -> None:
            _steps[0] += 1

        register_optimizer_step_post_hook(count)
        _hooked = True
    return _steps[0]


def _onednn_applies(x: torch.Tensor, w: torch.Tensor) -> bool:
    """fp32 on the CPU, nothing needing a gradient (the oneDNN op has no backward), no autocast (which would
    run the product in lower precision), oneDNN not switched off by the user."""
    return (
        _ONEDNN
        and x.dtype == torch.float32
        and w.dtype == torch.float32
        and x.device.type == "cpu"
        and w.device.type == "cpu"
        and x.dim() > 0
        and x.size(-1) == w.size(-1)
        and not (torch.is_grad_enabled() and (x.requires_grad or w.requires_grad))
        and not _cpu_autocast()
        and torch.backends.mkldnn.enabled
    )


def _onednn(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """x W^T + b by oneDNN; `weight` is a plain (out, in) weight or its prepacked copy."""
    return torch.ops.mkldnn._linear_pointwise(x.contiguous(), weight, bias, "none", [], "")


def product(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, packed: Derived | None = None) -> torch.Tensor:
    """x W^T + b, on oneDNN where it applies; `packed` holds W's prepacked copy (made from W on first use)."""
    if not _onednn_applies(x, w):
        return F.linear(x, w, b)
    if packed is not None:
        return _onednn(x, packed.get((w,), lambda: prepacked(w)), b)
    return _onednn(x, w, b)


def prepacked(w: torch.Tensor) -> torch.Tensor:
    """oneDNN's blocked layout of a (out, in) fp32 CPU weight."""
    return torch.ops.mkldnn._reorder_linear_weight(w.detach(), ROWS_HINT)


def packed_of(m: nn.Module) -> Derived | None:
    return m.__dict__.get("_roberta_packed")


def onednn_pass(x: torch.Tensor) -> bool:
    """Whether the products of a forward pass whose hidden states are `x` may run on oneDNN: decided once per
    pass (no gradients, fp32 on the CPU, no autocast, oneDNN on, nothing traced), so each product checks
    only its own module and weight."""
    return (
        _ONEDNN
        and not torch.is_grad_enabled()
        and x.dtype == torch.float32
        and x.device.type == "cpu"
        and not _cpu_autocast()
        and torch.backends.mkldnn.enabled
        and not tracing()
    )


def linear(m: nn.Module, x: torch.Tensor, fast: bool = False) -> torch.Tensor:
    """`m(x)`, computed on the fast path when `m` is a plain nn.Linear (see the module docstring). `fast`: the
    pass's `onednn_pass` decision, so only the module and its weight are checked here."""
    if not is_plain(m):
        return _called(m, x)
    w = m.weight
    if _low_weight(x, w):  # the bf16 mode's fp32 stream (modeling/precision.py)
        return low_product(x.to(w.dtype), w, m.bias).to(x.dtype)
    if fast and w.dtype == torch.float32 and w.device.type == "cpu" and x.dim() > 0 and x.size(-1) == w.size(1):
        packed = packed_of(m)
        return _onednn(x, w if packed is None else packed.get((w,), lambda: prepacked(w)), m.bias)
    if tracing():
        packed = packed_of(m)
        if packed is not None and packed.value is not None and torch.compiler.is_compiling():
            return _compilable_op()(x, packed.value, m.bias, m.out_features)
        return F.linear(x, w, m.bias)
    if w.dtype == torch.bfloat16 and x.dtype == torch.bfloat16:
        return low_product(x, w, m.bias)
    return product(x, w, m.bias, packed_of(m))


def _low_weight(x: torch.Tensor, w: object) -> bool:
    """An fp32 stream meeting a bf16/fp16 weight: the product runs in the weight's dtype."""
    return x.dtype == torch.float32 and isinstance(w, torch.Tensor) and w.dtype in (torch.bfloat16, torch.float16)


def _called(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A replaced or hooked module, called as it is (in its weight's dtype if the stream is fp32 and it is not)."""
    w = getattr(m, "weight", None)
    if _low_weight(x, w):
        return m(x.to(w.dtype)).to(x.dtype)
    return m(x)


def low_product(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """x W^T + b in bf16: on oneDNN's bf16 kernels (fp32 accumulation) where this CPU has them, in inference."""
    if (
        x.dtype == torch.bfloat16
        and w.dtype == torch.bfloat16
        and x.device.type == "cpu"
        and w.device.type == "cpu"
        and not (torch.is_grad_enabled() and (x.requires_grad or w.requires_grad))
        and not _cpu_autocast()
        and not tracing()
        and bf16_kernels()
    ):
        return _onednn(x, w, b if b is None or b.dtype == w.dtype else b.to(w.dtype))
    return F.linear(x, w, b)


@functools.cache
def _bf16_cpu() -> bool:
    """Whether this CPU has oneDNN bf16 kernels (asked once)."""
    return _ONEDNN and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def bf16_kernels() -> bool:
    """Whether bf16 products may run on oneDNN's bf16 kernels here (AVX512-BF16 / AMX CPUs), oneDNN on."""
    return _bf16_cpu() and torch.backends.mkldnn.enabled


_compiled_op = None  # the prepacked product as a custom op, registered on first use under torch.compile


def _compilable_op():
    """`torch.compile` calls the custom op as is (inductor cannot lower the oneDNN op with a packed weight)."""
    global _compiled_op
    if _compiled_op is None:

        @torch.library.custom_op("roberta::packed_linear", mutates_args=())
        def packed_linear(
            x: torch.Tensor, packed: torch.Tensor, bias: torch.Tensor | None, out_features: int
        ) -> torch.Tensor:
            return _onednn(x, packed, bias)

        @packed_linear.register_fake
        def _(x, packed, bias, out_features):
            return x.new_empty(*x.shape[:-1], out_features)

        _compiled_op = packed_linear
    return _compiled_op

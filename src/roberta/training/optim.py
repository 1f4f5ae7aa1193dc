"""AdamW with RoBERTa's settings and the linear warmup / linear decay schedule."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two groups: weight decay on matrices, none on biases and LayerNorm weights."""
    norm_params = {id(p) for m in model.modules() if isinstance(m, nn.LayerNorm) for p in m.parameters()}
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if name.endswith("bias") or id(p) in norm_params else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(
    model: nn.Module,
    lr: float,
    *,
    weight_decay: float = 0.01,
    betas: tuple[float, float] = (0.9, 0.98),
    eps: float = 1e-6,
    implementation: str = "auto",
) -> torch.optim.AdamW:
    """AdamW over `param_groups(model)`; `implementation` is "fused", "foreach", "plain" or "auto".

    "auto" takes torch's fused kernel where the parameters' device supports it, else the foreach one.
    """
    groups = param_groups(model, weight_decay)
    kwargs: dict[str, Any] = dict(lr=lr, betas=betas, eps=eps)
    if implementation not in ("auto", "fused", "foreach", "plain"):
        raise ValueError(f"unknown optimizer implementation {implementation!r}")
    if implementation in ("auto", "fused"):
        try:
            return torch.optim.AdamW(groups, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            if implementation == "fused":
                raise
    if implementation in ("auto", "foreach"):
        return torch.optim.AdamW(groups, foreach=True, **kwargs)
    return torch.optim.AdamW(groups, foreach=False, **kwargs)


class LinearSchedule:
    """lr multiplier: 0 -> 1 over `warmup_steps`, then 1 -> 0 at `total_steps` (a picklable callable)."""

    def __init__(self, warmup_steps: int, total_steps: int) -> None:
        if total_steps <= 0:
            raise ValueError(f"total_steps must be positive, got {total_steps}")
        self.warmup, self.total = max(0, int(warmup_steps)), int(total_steps)

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / (self.warmup + 1)
        return max(0.0, (self.total - step) / max(1, self.total - self.warmup))


def make_scheduler(
    optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int, *, lr: float, done_steps: int = 0
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warmup then linear decay to zero at `total_steps`, peaking at `lr`, positioned after `done_steps`
    optimizer steps (the schedule is a function of the step, so a resumed run needs no saved scheduler)."""
    for group in optimizer.param_groups:
        group["initial_lr"] = lr
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, LinearSchedule(warmup_steps, total_steps), last_epoch=done_steps - 1
    )


def apply_hyperparameters(
    optimizer: torch.optim.Optimizer, *, lr: float, weight_decay: float, betas: tuple[float, float], eps: float
) -> None:
    """Set this run's settings on an optimizer whose state was restored from a checkpoint (the decayed group
    is the first one, as `param_groups` builds them)."""
    for i, group in enumerate(optimizer.param_groups):
        group.update(lr=lr, betas=tuple(betas), eps=eps)
        if i == 0:
            group["weight_decay"] = weight_decay

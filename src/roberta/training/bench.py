"""`train_steps`: time-able optimizer steps of a model on one fixed batch (for benchmarks)."""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from .optim import make_optimizer


def train_steps(
    model: nn.Module,
    batch: dict[str, torch.Tensor],
    steps: int,
    *,
    lr: float = 1e-4,
    optimizer: torch.optim.Optimizer | None = None,
    implementation: str = "auto",
    max_grad_norm: float | None = 1.0,
) -> dict[str, Any]:
    """Run `steps` forward/backward/AdamW steps of `model(**batch).loss` (e.g. RobertaForMaskedLM with labels).

    Works for our models and the reference's alike. Returns `{"losses": [...], "seconds": total,
    "seconds_per_step": ...}`; CUDA work is synchronised before the clock stops.
    """
    model.train()
    opt = optimizer or make_optimizer(model, lr, implementation=implementation)
    losses = []
    sync = torch.cuda.synchronize if any(p.is_cuda for p in model.parameters()) else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = model(**batch).loss
        loss.backward()
        if max_grad_norm:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.detach())
    sync()
    seconds = time.perf_counter() - t0
    return {"losses": [float(x) for x in losses], "seconds": seconds, "seconds_per_step": seconds / max(1, steps)}

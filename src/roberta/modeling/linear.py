"""`Linear`: nn.Linear with a faster path for few tokens on the CPU.

With a handful of rows (a single short sentence), computing (W x^T)^T with addmm is faster on CPU BLAS than
x W^T, whose tall-skinny shape the kernels handle poorly. Same parameters and state-dict names as nn.Linear.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

SMALL_ROWS = (12, 128)  # row counts for which the transposed product measured faster (benchmarks/)


class Linear(nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // self.in_features
        if (SMALL_ROWS[0] <= rows <= SMALL_ROWS[1] and x.device.type == "cpu" and self.bias is not None
                and not torch.is_grad_enabled() and x.dtype == torch.float32):
            flat = x.reshape(rows, self.in_features)
            out = torch.addmm(self.bias.unsqueeze(1), self.weight, flat.t()).t()  # (rows, out)
            return out.reshape(*x.shape[:-1], self.out_features)
        return F.linear(x, self.weight, self.bias)

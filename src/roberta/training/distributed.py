"""torch.distributed helpers: set-up from torchrun's environment, reductions, rank-0-only work."""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from ..devices import parse_device


@dataclass
class DistInfo:
    """Where this process stands: its rank, the world size, and the device it trains on."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    timeout: float = 900.0  # seconds a collective waits for the other ranks

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def setup(device: str = "auto", timeout: float = 900.0) -> DistInfo:
    """Initialise the process group when launched by torchrun (WORLD_SIZE > 1); pick the device.

    gloo on CPU, nccl on CUDA. A single process needs no process group. A collective operation that waits
    longer than `timeout` seconds for another rank fails (see `DistributedTimeout`) instead of hanging.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    dev = parse_device(device, auto=True)
    use_cuda = dev.type == "cuda"
    if use_cuda:
        dev = torch.device("cuda", local if world > 1 else (dev.index or torch.cuda.current_device()))
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", timeout=datetime.timedelta(seconds=timeout))
    return DistInfo(rank, world, local, dev, timeout)


class DistributedTimeout(RuntimeError):
    """Another rank did not answer within the timeout: it is hung (e.g. stopped) or dead."""


_PEER_FAILURES = ("timed out", "timeout", "connection closed", "connection reset", "broken pipe")


@contextlib.contextmanager
def peer_failures(info: DistInfo) -> Iterator[None]:
    """Turn a collective that failed for want of another rank into a `DistributedTimeout` naming the ranks."""
    try:
        yield
    except RuntimeError as e:
        text = str(e).lower()
        if not info.enabled or isinstance(e, DistributedTimeout) or not any(m in text for m in _PEER_FAILURES):
            raise
        others = [r for r in range(info.world_size) if r != info.rank]
        who = f"rank {others[0]}" if len(others) == 1 else f"one of ranks {', '.join(map(str, others))}"
        raise DistributedTimeout(
            f"rank {info.rank} gave up after waiting up to {info.timeout:g} s for {who}, which is hung or dead "
            f"(see its log); if it is only slow, raise --dist-timeout. ({str(e).strip()[-200:]})"
        ) from None


def all_reduce_sum(value: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Sum a tensor over all ranks (identity for one process)."""
    if info.enabled:
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def gather_objects(obj: Any, info: DistInfo) -> list[Any]:
    """Every rank's `obj`, in rank order (on every rank)."""
    if not info.enabled:
        return [obj]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any, info: DistInfo) -> Any:
    """Rank 0's `obj` on every rank."""
    if not info.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def cleanup(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()

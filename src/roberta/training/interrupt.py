"""Stopping a run cleanly: Ctrl-C or SIGTERM asks the loop to finish its step and write a checkpoint.

A second Ctrl-C quits at once (KeyboardInterrupt). Under torchrun every rank learns of a request on any rank,
so all ranks stop after the same step.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

import torch

from .distributed import DistInfo, all_reduce_sum


class StopRequest:
    def __init__(self) -> None:
        self.signum: int | None = None

    def agreed(self, info: DistInfo) -> bool:
        """Whether any rank was asked to stop (a collective call under torchrun: every rank must ask)."""
        asked = torch.tensor(0.0 if self.signum is None else 1.0)
        return bool(all_reduce_sum(asked, info).item() > 0)


@contextlib.contextmanager
def stop_requests(log: Callable[[str], None]) -> Iterator[StopRequest]:
    """Install SIGINT / SIGTERM handlers for the duration (main thread only; elsewhere nothing is caught)."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum: int, frame: object) -> None:
        if request.signum is not None and signum == signal.SIGINT:  # asked twice: quit now
            raise KeyboardInterrupt("stopped at once by a second Ctrl-C, without a checkpoint of this step")
        request.signum = signum
        log(f"{signal.Signals(signum).name}: finishing this step and writing a checkpoint (Ctrl-C again quits now)")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

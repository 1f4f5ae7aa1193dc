"""The one exception type for bad training input."""

from __future__ import annotations

import os


class DataError(ValueError):
    """Bad training data; the message names the file (and line when known)."""

    def __init__(self, path: str | os.PathLike, message: str, line: int | None = None) -> None:
        where = f"{os.fspath(path)}:{line}" if line is not None else os.fspath(path)
        super().__init__(f"{where}: {message}")
        self.path, self.line = os.fspath(path), line


class TrainingInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM after writing a checkpoint; the CLI exits with 128 + the signal."""

    def __init__(self, signum: int, step: int, checkpoint: str | None) -> None:
        super().__init__(f"interrupted at step {step}; checkpoint {checkpoint} written: continue with --resume")
        self.exit_code = 128 + int(signum)


class TrainingDiverged(FloatingPointError, ValueError):
    """The loss became nan or infinite: the settings (learning rate, warmup) or the data (a nan label) are bad,
    so the command line reports it as bad input, in one line (exit status 2)."""

    def __init__(self, loss: float, step: int) -> None:
        super().__init__(
            f"the loss became {loss} at step {step}: training diverged; try a lower --lr, a longer --warmup or "
            f"--max-grad-norm clipping, and check the data for nan or infinite labels"
        )
        self.loss, self.step = loss, step

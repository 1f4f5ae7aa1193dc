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

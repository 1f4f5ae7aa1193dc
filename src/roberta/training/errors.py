"""The one exception type for bad training input."""

from __future__ import annotations

import os


class DataError(ValueError):
    """Bad training data; the message names the file (and line when known)."""

    def __init__(self, path: str | os.PathLike, message: str, line: int | None = None) -> None:
        where = f"{os.fspath(path)}:{line}" if line is not None else os.fspath(path)
        super().__init__(f"{where}: {message}")
        self.path, self.line = os.fspath(path), line

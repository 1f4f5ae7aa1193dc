"""The one progress bar: tqdm when it is installed (the `train` extra), else a plain line on stderr."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether `stream` (default: stderr) is a terminal, where a bar redrawn in place belongs; a log file or a
    pipe gets log lines instead."""
    try:
        return bool((stream or sys.stderr).isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """`update(n, **postfix)` after each unit of work; silent when `enabled` is False or there is nothing to do.
    `total=None`: a count of unknown end (a stream)."""

    def __init__(
        self,
        total: int | None,
        *,
        initial: int = 0,
        enabled: bool = True,
        desc: str = "",
        stream: TextIO | None = None,
    ) -> None:
        self.total, self.n, self.desc = total, initial, desc
        self.enabled = enabled and (total is None or total > 0)
        self.stream = stream or sys.stderr
        self._bar: Any = None
        self._last = 0.0
        if self.enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, initial=initial, desc=desc or None, file=self.stream, dynamic_ncols=True)

    def update(self, n: int = 1, **postfix: Any) -> None:
        self.n += n
        if not self.enabled:
            return
        text = {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in postfix.items()}
        if self._bar is not None:
            if text:
                self._bar.set_postfix(text, refresh=False)
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last > 0.5 or (self.total is not None and self.n >= self.total):
            self._last = now
            extra = " ".join(f"{k}={v}" for k, v in text.items())
            label = f"{self.desc} " if self.desc else ""
            if self.total is None:
                line = f"{label}{self.n} {extra}"
            else:
                width = 30
                done = int(width * min(self.n, self.total) / self.total)
                line = f"{label}[{'#' * done}{'.' * (width - done)}] {self.n}/{self.total} {extra}"
            self.stream.write("\r" + line.rstrip())
            self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            self.stream.write("\n")
            self.stream.flush()

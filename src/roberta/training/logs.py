"""Run logging: a JSON-lines metrics file, a progress bar on stderr, and a PNG of loss / lr curves."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import Any

from .._io import atomic_write_text


class MetricsLog:
    """Appends one JSON object a line to `path` (rank 0 only; a disabled log writes nothing)."""

    def __init__(self, path: str | os.PathLike, enabled: bool = True) -> None:
        self.path, self.enabled = os.fspath(path), enabled

    def truncate_after(self, step: int) -> None:
        """Drop records past `step` (logged after the checkpoint a resumed run starts from)."""
        if not self.enabled or not os.path.isfile(self.path):
            return
        kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= step]
        atomic_write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()


def read_metrics(path: str | os.PathLike) -> list[dict[str, Any]]:
    """All records of a metrics file (a torn last line from a killed run is skipped)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


class Progress:
    """A progress bar: tqdm when installed, else a plain stderr line; silent when disabled."""

    def __init__(self, total: int, initial: int = 0, enabled: bool = True, desc: str = "train") -> None:
        self.total, self.n, self.enabled, self.desc = total, initial, enabled, desc
        self._bar = None
        self._last = 0.0
        if enabled:
            try:
                from tqdm.auto import tqdm

                self._bar = tqdm(total=total, initial=initial, desc=desc, file=sys.stderr, dynamic_ncols=True)
            except ImportError:
                self._bar = None

    def update(self, **postfix: Any) -> None:
        self.n += 1
        if not self.enabled:
            return
        text = {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in postfix.items()}
        if self._bar is not None:
            self._bar.set_postfix(text, refresh=False)
            self._bar.update(1)
            return
        now = time.monotonic()
        if now - self._last > 0.5 or self.n == self.total:
            self._last = now
            width = 30
            done = int(width * self.n / max(1, self.total))
            extra = " ".join(f"{k}={v}" for k, v in text.items())
            print(
                f"\r{self.desc} [{'#' * done}{'.' * (width - done)}] {self.n}/{self.total} {extra}",
                end="\n" if self.n == self.total else "",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def plot_metrics(metrics_path: str | os.PathLike, png_path: str | os.PathLike) -> str | None:
    """Plot training loss, learning rate and evaluation metrics to a PNG; None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    records = read_metrics(metrics_path)
    train = [r for r in records if "loss" in r]
    evals = [r for r in records if any(k.startswith("eval_") for k in r)]
    eval_keys = sorted({k for r in evals for k in r if k.startswith("eval_")})
    panels = 2 + (1 if eval_keys else 0)
    fig, axes = plt.subplots(panels, 1, figsize=(7, 2.6 * panels), sharex=True)
    axes[0].plot([r["step"] for r in train], [r["loss"] for r in train], lw=1)
    axes[0].set_ylabel("loss")
    axes[1].plot([r["step"] for r in train], [r["lr"] for r in train], lw=1, color="tab:orange")
    axes[1].set_ylabel("learning rate")
    if eval_keys:
        for k in eval_keys:
            pts = [
                (r["step"], r[k]) for r in evals if k in r and isinstance(r[k], (int, float)) and math.isfinite(r[k])
            ]
            if pts:
                axes[2].plot(*zip(*pts), marker="o", lw=1, label=k)
        axes[2].legend(fontsize="small")
        axes[2].set_ylabel("eval")
    axes[-1].set_xlabel("step")
    fig.tight_layout()
    from .._io import atomic_path

    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return os.fspath(png_path)

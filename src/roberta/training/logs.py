"""Run logging: a JSON-lines metrics file and a PNG of the loss, learning-rate and evaluation curves."""

from __future__ import annotations

import json
import math
import os
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


def step_line(record: dict[str, Any], max_steps: int) -> str:
    """One log line for a training record: `step 10/100: loss 2.345, lr 0.0006, grad_norm 0.91, 1,234 tokens/s`."""
    parts = [f"loss {record['loss']:.4g}", f"lr {record['lr']:.3g}"]
    if record.get("grad_norm") is not None:
        parts.append(f"grad_norm {record['grad_norm']:.3g}")
    parts.append(f"{record['tokens_per_s']:,.0f} tokens/s")
    return f"step {record['step']}/{max_steps}: " + ", ".join(parts)


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
    eval_keys = [k for k in eval_keys if any(isinstance(r.get(k), (int, float)) for r in evals)]
    # one panel per evaluation metric: eval loss and perplexity differ by orders of magnitude
    panels = 2 + len(eval_keys)
    fig, axes = plt.subplots(panels, 1, figsize=(7, 2.2 * panels), sharex=True)
    axes[0].plot([r["step"] for r in train], [r["loss"] for r in train], lw=1)
    axes[0].set_ylabel("loss")
    axes[1].plot([r["step"] for r in train], [r["lr"] for r in train], lw=1, color="tab:orange")
    axes[1].set_ylabel("learning rate")
    for ax, k in zip(axes[2:], eval_keys):
        pts = [(r["step"], r[k]) for r in evals if isinstance(r.get(k), (int, float)) and math.isfinite(r[k])]
        if pts:
            ax.plot(*zip(*pts), marker="o", lw=1, color="tab:green")
        ax.set_ylabel(k.removeprefix("eval_").replace("_", " "))
        if k.endswith("perplexity"):
            ax.set_yscale("log")
    axes[-1].set_xlabel("step")
    fig.tight_layout()
    from .._io import atomic_path

    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return os.fspath(png_path)

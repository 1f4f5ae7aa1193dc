"""The rules for an output folder: starting a run in it, overwriting one, and resuming one.

* `-o DIR` where DIR already holds a run is an error unless `--resume` (continue it) or `--overwrite` (replace
  it) is given, so a typo never wipes a finished run.
* `--resume` of a finished run says so (and how to train on) instead of starting again.
* `--resume` with settings that differ from the saved run's lists every difference and refuses unless
  `--force`. A new `--max-steps` is always welcome: the schedule is recomputed for it from the current step.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from .checkpoint import checkpoints_dir

RUN_FILES = ("metrics.jsonl", "metrics.png", "train_results.json")
# Settings that may change on resume without changing what is trained (max_steps is applied to the schedule).
FREE_ON_RESUME = frozenset(
    {
        "output_dir",
        "max_steps",
        "resume",
        "overwrite",
        "force",
        "stop_at_step",
        "progress",
        "log_steps",
        "eval_steps",
        "save_steps",
        "keep_checkpoints",
        "batch_size",  # per process: the global batch is compared instead
        "grad_accum",
    }
)


def holds_run(output_dir: str) -> bool:
    """Whether `output_dir` holds the files of a training run (checkpoints, metrics or results)."""
    if any(os.path.isfile(os.path.join(output_dir, name)) for name in RUN_FILES):
        return True
    root = checkpoints_dir(output_dir)
    return os.path.isdir(root) and any(n.startswith("step-") for n in os.listdir(root))


def check_output_dir(output_dir: str, *, resume: bool, overwrite: bool) -> None:
    """Refuse to start a fresh run over an earlier one unless told to resume or overwrite it."""
    if resume and overwrite:
        raise ValueError("give --resume (continue the run in the output folder) or --overwrite (replace it), not both")
    if not resume and not overwrite and holds_run(output_dir):
        raise ValueError(
            f"{output_dir} already holds a training run; pass --resume to continue it, --overwrite to replace "
            f"it, or choose another --output-dir"
        )


def clear_run(output_dir: str) -> None:
    """Remove the run files of an earlier run (for --overwrite); the model files are replaced by the next save."""
    shutil.rmtree(checkpoints_dir(output_dir), ignore_errors=True)
    for name in RUN_FILES:
        path = os.path.join(output_dir, name)
        if os.path.isfile(path):
            os.remove(path)


def finished_message(output_dir: str, step: int) -> str:
    return (
        f"the run in {output_dir} already finished at step {step}; to train on, resume with a larger --max-steps "
        f"(the learning-rate schedule is recomputed for it)"
    )


def resume_differences(saved: dict[str, Any], now: dict[str, Any], saved_world: int, world: int) -> list[str]:
    """Human-readable differences between the saved run's settings and the resumed one's."""
    out = []
    for key in sorted(set(saved) | set(now)):
        if key in FREE_ON_RESUME or key == "extra":
            continue
        if _norm(saved.get(key)) != _norm(now.get(key)):
            out.append(f"{key}: {saved.get(key)!r} -> {now.get(key)!r}")
    for key in sorted(set(saved.get("extra", {})) | set(now.get("extra", {}))):
        a, b = saved.get("extra", {}).get(key), now.get("extra", {}).get(key)
        if _norm(a) != _norm(b):
            out.append(f"{key}: {a!r} -> {b!r}")
    before = saved.get("batch_size", 0) * saved.get("grad_accum", 1) * saved_world
    after = now.get("batch_size", 0) * now.get("grad_accum", 1) * world
    if before != after:
        out.append(f"global batch (batch size x grad accum x processes): {before} -> {after}")
    return out


def _norm(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value

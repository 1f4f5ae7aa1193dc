"""The rules for an output folder: starting a run in it, overwriting one, and resuming one.

* `-o DIR` where DIR already holds a run is an error unless `--resume` (continue it) or `--overwrite` (replace
  it) is given, so a typo never wipes a finished run.
* `--resume` of a finished run says so (and how to train on) instead of starting again.
* `--resume` with settings that differ from the saved run's lists every difference and refuses unless
  `--force`. A new `--max-steps` is always welcome: the schedule is recomputed for it from the current step,
  and what derives from it (the warmup steps of a fractional `--warmup`) follows it.

`check_run` applies these rules; the recipes call it before they read or write any data, so a refused run
changes nothing in the output folder.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from ..registry import TASK_ALIASES
from .checkpoint import checkpoints_dir, latest_checkpoint, load_state_summary

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
        "data_dir",  # where the token shards are cached, not what they hold
    }
)
# Derived from other settings, compared through them: warmup_steps is `warmup` (a count or a fraction) applied
# to max_steps. A run saved before `warmup` was recorded compares warmup_steps instead.
DERIVED = {"warmup_steps": "warmup"}


# Training options a resumed run takes from the saved run when they are not given again (the others, such as
# progress and stop_at_step, belong to each invocation).
RESTORED = (
    "max_steps",
    "batch_size",
    "grad_accum",
    "lr",
    "weight_decay",
    "betas",
    "eps",
    "max_grad_norm",
    "seed",
    "shuffle",
    "save_steps",
    "keep_checkpoints",
    "log_steps",
    "eval_steps",
    "optimizer",
    "bf16",
)


def saved_settings(output_dir: str) -> dict[str, Any]:
    """The recipe keywords of the run saved in `output_dir` (its newest checkpoint), so that a resume needs only
    the folder: the training options above, `warmup` as it was asked, the recipe's settings (data files, model,
    sequence length, task options) and `tokenizer`, the checkpoint's own copy. Empty without a checkpoint."""
    ckpt = latest_checkpoint(output_dir)
    if ckpt is None:
        return {}
    args = load_state_summary(ckpt)["args"]
    out = {key: args[key] for key in RESTORED if key in args}
    out["warmup"] = args["warmup"] if args.get("warmup") is not None else args.get("warmup_steps", 0)
    extra = dict(args.get("extra", {}))
    if extra.get("data_dir") == os.path.join(args.get("output_dir", ""), "data"):
        del extra["data_dir"]  # the default follows the folder, wherever it is now
    return {**out, **extra, "tokenizer": ckpt}


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


def check_run(args: dict[str, Any], world_size: int, *, steps_known: bool = True) -> tuple[str | None, list[str]]:
    """Apply the output folder's rules to a run's settings (`asdict(TrainArgs)`), reading but writing nothing.

    Returns the checkpoint to resume from (None: start afresh) and the differences from the saved run's
    settings that `force` accepted. `steps_known=False` (max_steps still to be derived from the data's size)
    skips the check that the run has not already reached max_steps (`train` makes it)."""
    output_dir = args["output_dir"]
    check_output_dir(output_dir, resume=args["resume"], overwrite=args["overwrite"])
    ckpt = latest_checkpoint(output_dir) if args["resume"] else None
    if ckpt is None:
        if args["resume"] and os.path.isfile(os.path.join(output_dir, "train_results.json")):
            raise ValueError(finished_message(output_dir, args["max_steps"]))
        return None, []
    saved = load_state_summary(ckpt)
    if steps_known and saved["step"] >= args["max_steps"]:
        raise ValueError(finished_message(output_dir, saved["step"]))
    diffs = resume_differences(saved["args"], args, saved["world_size"], world_size)
    if diffs and not args["force"]:
        raise ValueError(
            "--resume with settings that differ from the saved run's: " + "; ".join(diffs) + ". Pass --force "
            "to continue with the new settings, or resume with the old ones"
        )
    return ckpt, diffs


def resume_differences(saved: dict[str, Any], now: dict[str, Any], saved_world: int, world: int) -> list[str]:
    """Human-readable differences between the saved run's settings and the resumed one's."""
    out = []
    for key in sorted(set(saved) | set(now)):
        if key in FREE_ON_RESUME or key == "extra":
            continue
        if key in DERIVED and saved.get(DERIVED[key]) is not None:
            continue  # compared through what it derives from
        if key in DERIVED.values() and saved.get(key) is None:
            continue  # not recorded: compared through what derives from it
        if _norm(saved.get(key)) != _norm(now.get(key)):
            out.append(f"{key}: {saved.get(key)!r} -> {now.get(key)!r}")
    for key in sorted(set(saved.get("extra", {})) | set(now.get("extra", {}))):
        if key in FREE_ON_RESUME:
            continue
        a, b = saved.get("extra", {}).get(key), now.get("extra", {}).get(key)
        if key == "task" and isinstance(a, str):  # a run saved under a task's older name (causal-lm)
            a = TASK_ALIASES.get(a, a)
        if _norm(a) != _norm(b):
            out.append(f"{key}: {a!r} -> {b!r}")
    before = saved.get("batch_size", 0) * saved.get("grad_accum", 1) * saved_world
    after = now.get("batch_size", 0) * now.get("grad_accum", 1) * world
    if before != after:
        out.append(f"global batch (batch size x grad accum x processes): {before} -> {after}")
    return out


def _norm(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value

"""Atomic training checkpoints: model, optimizer, scheduler, RNG states and data position.

A checkpoint is written in a hidden temporary directory and renamed into place, then the `latest` pointer is
replaced atomically, so a run killed at any moment leaves the previous checkpoint usable.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from typing import Any

import numpy as np
import torch

from .._io import atomic_write_text

STATE_FILE = "training_state.pt"
LATEST = "latest"


def capture_rng() -> dict[str, Any]:
    """The python, numpy and torch (and CUDA) random states of this process."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Undo `capture_rng`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoints_dir(output_dir: str | os.PathLike) -> str:
    return os.path.join(os.fspath(output_dir), "checkpoints")


def save_checkpoint(
    output_dir: str | os.PathLike,
    step: int,
    model: Any,
    state: dict[str, Any],
    extra_files: Any | None = None,
    keep: int = 2,
) -> str:
    """Write `checkpoints/step-NNNNNNNN` (model via save_pretrained + `training_state.pt`) atomically.

    `extra_files(directory)` may add files (e.g. the tokenizer). Keeps the newest `keep` checkpoints.
    """
    root = checkpoints_dir(output_dir)
    os.makedirs(root, exist_ok=True)
    name = f"step-{step:08d}"
    final = os.path.join(root, name)
    tmp = tempfile.mkdtemp(prefix=f".{name}-", dir=root)
    try:
        model.save_pretrained(tmp)
        if extra_files is not None:
            extra_files(tmp)
        torch.save(state, os.path.join(tmp, STATE_FILE))
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(os.path.join(root, LATEST), name + "\n")
    done = sorted(d for d in os.listdir(root) if d.startswith("step-"))
    for old in done[: -max(1, keep)]:
        shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    return final


def latest_checkpoint(output_dir: str | os.PathLike) -> str | None:
    """The directory the `latest` pointer names, or None when there is no complete checkpoint."""
    root = checkpoints_dir(output_dir)
    pointer = os.path.join(root, LATEST)
    if not os.path.isfile(pointer):
        return None
    with open(pointer, encoding="utf-8") as f:
        path = os.path.join(root, f.read().strip())
    return path if os.path.isfile(os.path.join(path, STATE_FILE)) else None


def load_state(checkpoint: str) -> dict[str, Any]:
    """The training state saved in a checkpoint directory."""
    return torch.load(os.path.join(checkpoint, STATE_FILE), map_location="cpu", weights_only=False)

"""Training checkpoints: model, optimizer, RNG states and data position, atomic and free of pickles.

`checkpoints/step-NNNNNNNN` is written in a hidden temporary folder and renamed into place, so every `step-*`
folder is complete; the newest one is the checkpoint to resume from (`latest` is a pointer for people to read).
The training state is JSON for the structure and safetensors for its tensors and arrays: nothing in a checkpoint
is ever unpickled. What killed writes leave behind (`.step-*` folders, temporary files) is removed by the next
checkpoint.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .._io import atomic_write_text, new_directory, read_json
from ..checkpoint.records import remove_temporaries
from ..modeling.checkpoint_files import read_safetensors, write_safetensors

STATE_JSON = "training_state.json"
STATE_TENSORS = "training_state.safetensors"
LEGACY_STATE = "training_state.pt"  # written by roberta before 0.2 (a pickle): never read
LATEST = "latest"
_STEP = re.compile(r"^step-(\d{8})$")


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


# ---------------------------------------------------------------------- state files
def _encode(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """A JSON-able tree; tensors and arrays go to `tensors` and are referenced by key."""
    if isinstance(obj, torch.Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = obj.detach().cpu().contiguous()
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        key = f"t{len(tensors)}"
        tensors[key] = torch.from_numpy(obj.astype(np.int64) if obj.dtype.kind == "u" else obj.copy())
        return {"__ndarray__": key, "dtype": obj.dtype.str}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(x, tensors) for x in obj]}
    if isinstance(obj, list):
        return [_encode(x, tensors) for x in obj]
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, tensors), _encode(v, tensors)] for k, v in obj.items()]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"training state holds a {type(obj).__name__}, which checkpoints cannot store")


def _decode(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, list):
        return [_decode(x, tensors) for x in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        return tensors[obj["__tensor__"]]
    if "__ndarray__" in obj:
        return tensors[obj["__ndarray__"]].numpy().astype(np.dtype(obj["dtype"]))
    if "__tuple__" in obj:
        return tuple(_decode(x, tensors) for x in obj["__tuple__"])
    return {_decode(k, tensors): _decode(v, tensors) for k, v in obj["__dict__"]}


def write_state(state: dict[str, Any], directory: str) -> None:
    """Write a training state as `training_state.json` + `training_state.safetensors` (flushed)."""
    tensors: dict[str, torch.Tensor] = {}
    tree = _encode(state, tensors)
    write_safetensors(tensors, os.path.join(directory, STATE_TENSORS))
    with open(os.path.join(directory, STATE_JSON), "w", encoding="utf-8") as f:
        json.dump(tree, f)
        f.flush()
        os.fsync(f.fileno())


def load_state(checkpoint: str) -> dict[str, Any]:
    """The training state saved in a checkpoint directory."""
    path = os.path.join(checkpoint, STATE_JSON)
    if not os.path.isfile(path):
        if os.path.isfile(os.path.join(checkpoint, LEGACY_STATE)):
            raise ValueError(
                f"{checkpoint} holds {LEGACY_STATE}, a pickle written by an older roberta; it is not read (a "
                f"pickle can run code). Start the run again, or continue from its model with --model"
            )
        raise FileNotFoundError(f"{checkpoint} holds no {STATE_JSON}")
    try:
        return _decode(read_json(path), read_safetensors(os.path.join(checkpoint, STATE_TENSORS)))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{checkpoint} holds a corrupt training state: {type(e).__name__}: {e}") from None


SUMMARY_KEYS = ("step", "samples_seen", "world_size", "args")


def load_state_summary(checkpoint: str) -> dict[str, Any]:
    """The step, samples seen, world size and settings of a checkpoint's training state, read from its JSON
    alone (the optimizer's tensors are not loaded): enough to decide whether and how a run resumes."""
    path = os.path.join(checkpoint, STATE_JSON)
    if not os.path.isfile(path):
        return load_state(checkpoint)  # the same errors as a full load: a legacy pickle, or nothing
    tree = read_json(path)
    try:
        pairs = [(_decode(k, {}), v) for k, v in tree["__dict__"]]
        summary = {k: _decode(v, {}) for k, v in pairs if k in SUMMARY_KEYS}
        missing = set(SUMMARY_KEYS) - set(summary)
        if missing:
            raise KeyError(", ".join(sorted(missing)))
        return summary
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{checkpoint} holds a corrupt training state: {type(e).__name__}: {e}") from None


# ---------------------------------------------------------------------- checkpoint folders
def checkpoints_dir(output_dir: str | os.PathLike) -> str:
    return os.path.join(os.fspath(output_dir), "checkpoints")


def _steps(root: str) -> list[str]:
    """Complete checkpoint folders, oldest first (an older roberta's too: reading it says what to do)."""
    if not os.path.isdir(root):
        return []
    found = [
        n
        for n in os.listdir(root)
        if _STEP.match(n) and any(os.path.isfile(os.path.join(root, n, f)) for f in (STATE_JSON, LEGACY_STATE))
    ]
    return sorted(found)


def _discard(path: str) -> None:
    """Remove a folder so that a kill midway leaves nothing that looks like a checkpoint: rename, then delete."""
    trash = tempfile.mkdtemp(prefix=".trash-", dir=os.path.dirname(path))
    os.replace(path, os.path.join(trash, "x"))
    shutil.rmtree(trash, ignore_errors=True)


def remove_leftovers(root: str) -> None:
    """What killed checkpoint writes left: `.step-*` / `.trash-*` folders and temporary files."""
    if not os.path.isdir(root):
        return
    remove_temporaries(root)
    for name in os.listdir(root):
        if name.startswith((".step-", ".trash-")):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def save_checkpoint(
    output_dir: str | os.PathLike,
    step: int,
    model: Any,
    state: dict[str, Any],
    extra_files: Callable[[str], None] | None = None,
    keep: int = 2,
) -> str:
    """Write `checkpoints/step-NNNNNNNN` (model via save_pretrained + the training state) atomically.

    `extra_files(directory)` may add files (e.g. the tokenizer). Keeps the newest `keep` checkpoints.
    """
    root = checkpoints_dir(output_dir)
    os.makedirs(root, exist_ok=True)
    remove_leftovers(root)
    name = f"step-{step:08d}"
    final = os.path.join(root, name)
    tmp = new_directory(root, f".{name}-")
    try:
        model.save_pretrained(tmp)
        if extra_files is not None:
            extra_files(tmp)
        write_state(state, tmp)
        if os.path.exists(final):  # the same step again (a resumed run): the new one replaces it whole
            _discard(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(os.path.join(root, LATEST), name + "\n")
    for old in _steps(root)[: -max(1, keep)]:
        _discard(os.path.join(root, old))
    return final


def latest_checkpoint(output_dir: str | os.PathLike) -> str | None:
    """The newest complete checkpoint folder, or None when there is none."""
    root = checkpoints_dir(output_dir)
    done = _steps(root)
    return os.path.join(root, done[-1]) if done else None

"""Find and read the weights of a checkpoint for the Flax classes, and Flax weights for the PyTorch classes.

Every reader returns NumPy arrays keyed by Flax paths (tuples); nothing here imports JAX, and only
`pytorch_model.bin` (read with `from_pt=True`) imports torch. PyTorch safetensors are read with
safetensors' NumPy API and renamed by `names.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..weight_arrays import BIN_INDEX, BIN_WEIGHTS, SAFE_INDEX, SAFE_WEIGHTS, safetensors_format
from ..weight_arrays import read_bin as _read_bin
from ..weight_arrays import read_safetensors as _read_safetensors
from ..weight_arrays import resolve_files as _resolve
from ..weight_arrays import to_torch as _to_torch
from .msgpack_format import read_msgpack
from .names import Path, disk_state_to_flax, flatten, flax_state_to_disk

FLAX_WEIGHTS = "flax_model.msgpack"
FLAX_INDEX = "flax_model.msgpack.index.json"


@dataclass(frozen=True)
class WeightFiles:
    kind: str  # "flax" (msgpack or Flax-tagged safetensors) or "pt" (PyTorch names)
    paths: tuple[str, ...]


def find_weights(path: str, *, from_pt: bool = False, **hub) -> WeightFiles:
    """The weight files the Flax classes read, in the reference's order: `flax_model.msgpack` (or its shards),
    then `model.safetensors` (Flax- or PyTorch-tagged), then with `from_pt=True` `pytorch_model.bin`."""
    found = _resolve(path, FLAX_WEIGHTS, FLAX_INDEX, hub)
    if found is not None:
        return WeightFiles("flax", found)
    found = _resolve(path, SAFE_WEIGHTS, SAFE_INDEX, hub)
    if found is not None:
        return WeightFiles("flax" if safetensors_format(found[0]) == "flax" else "pt", found)
    found = _resolve(path, BIN_WEIGHTS, BIN_INDEX, hub)
    if found is not None:
        if not from_pt:
            raise FileNotFoundError(
                f"{path} holds PyTorch weights ({BIN_WEIGHTS}) only: pass from_pt=True to convert them"
            )
        return WeightFiles("pt", found)
    raise FileNotFoundError(f"{path} holds no weights ({FLAX_WEIGHTS}, {SAFE_WEIGHTS} or {BIN_WEIGHTS})")


def read_flat(files: WeightFiles) -> dict[Path, np.ndarray]:
    """Flat Flax parameters {path: array} of a checkpoint, whatever its format."""
    flat: dict[Path, np.ndarray] = {}
    for path in files.paths:
        if path.endswith(".msgpack"):
            flat.update(flatten(read_msgpack(path)))
        elif files.kind == "flax":
            flat.update({tuple(k.split(".")): v for k, v in _read_safetensors(path).items()})
        else:
            state = _read_safetensors(path) if path.endswith(".safetensors") else _read_bin(path)
            flat.update(disk_state_to_flax(state))
    return flat


def read_flax_for_pytorch(path: str, *, from_flax: bool, **hub) -> dict | None:
    """For the PyTorch classes: the Flax weights of a checkpoint as the reference's PyTorch disk names (torch
    tensors), or None when `from_flax` is False and its `model.safetensors` is not Flax-tagged."""
    if from_flax:
        files = _resolve(path, FLAX_WEIGHTS, FLAX_INDEX, hub)
        if files is None:
            files = _resolve(path, SAFE_WEIGHTS, SAFE_INDEX, hub)
            if files is None or safetensors_format(files[0]) != "flax":
                raise FileNotFoundError(f"{path} holds no Flax weights ({FLAX_WEIGHTS} or Flax-tagged {SAFE_WEIGHTS})")
    else:
        try:
            files = _resolve(path, SAFE_WEIGHTS, SAFE_INDEX, hub)
            if files is None or safetensors_format(files[0]) != "flax":
                return None
        except (ValueError, OSError):
            return None  # a corrupt or missing file: the PyTorch reader says what is wrong
    disk = flax_state_to_disk(read_flat(WeightFiles("flax", files)))
    return {name: _to_torch(array) for name, array in disk.items()}

"""Weight files as NumPy arrays, for the TF classes and for PyTorch's `from_tf=True`; imports neither framework.

Reads `tf_model.h5` (the Keras 2 layout the reference writes: one HDF5 group per top-level layer, holding the
variables under their full names), a TF- or PyTorch-tagged `model.safetensors` (one file or shards with an
index) and `pytorch_model.bin` (the only format that needs torch, imported for it alone and read weights-only).
Writes `tf_model.h5` in the reference's layout and TF-tagged `model.safetensors`.

The file names are those of `roberta.modeling.checkpoint_files`, repeated here so that reading them needs no
torch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from ..hub import resolve_file
from .names import is_tf_naming

TF_WEIGHTS = "tf_model.h5"
SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
BIN_WEIGHTS = "pytorch_model.bin"
BIN_INDEX = "pytorch_model.bin.index.json"

# (file name, is a shard index) in the order they are looked for
TF_FILES = [(TF_WEIGHTS, False), (SAFE_WEIGHTS, False), (SAFE_INDEX, True)]
PT_FILES = [(SAFE_WEIGHTS, False), (SAFE_INDEX, True), (BIN_WEIGHTS, False), (BIN_INDEX, True)]

_KERAS_VERSION = "2.21.0"  # recorded in the .h5 header as Keras does; readers do not check it


def find_files(name_or_path: str, candidates: Sequence[tuple[str, bool]], **hub) -> list[str]:
    """The weight files of a checkpoint: the first candidate present (all shards of an index)."""
    for filename, is_index in candidates:
        path = resolve_file(name_or_path, filename, required=False, **hub)
        if path is None:
            continue
        if not is_index:
            return [path]
        try:
            with open(path, encoding="utf-8") as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"{path} is not a valid shard index: {e}") from None
        return [resolve_file(name_or_path, shard, **hub) for shard in shards]
    wanted = ", ".join(dict.fromkeys(f for f, _ in candidates))
    raise FileNotFoundError(f"{name_or_path} holds no model weights (looked for {wanted})")


def read_files(paths: list[str]) -> dict[str, np.ndarray]:
    """Every tensor of the given weight files, by the names the files use."""
    state: dict[str, np.ndarray] = {}
    for path in paths:
        if path.endswith(".h5"):
            state.update(read_h5(path))
        elif path.endswith(".safetensors"):
            state.update(read_safetensors(path))
        else:
            state.update(_read_bin(path))
    return state


def read_checkpoint(name_or_path: str, candidates: Sequence[tuple[str, bool]], **hub) -> tuple[dict, bool, str]:
    """(tensors by the names on disk, whether those are TF names, the first file read)."""
    paths = find_files(name_or_path, candidates, **hub)
    state = read_files(paths)
    return state, is_tf_naming(list(state)), paths[0]


# ---------------------------------------------------------------------- HDF5 (Keras 2 layout)
def read_h5(path: str) -> dict[str, np.ndarray]:
    """Variables of a Keras 2 `save_weights` file by name, without the model's own name (`roberta/...`)."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path} could not be read as an HDF5 weights file: {e}") from None
    with f:
        if "layer_names" not in f.attrs:
            raise ValueError(f"{path} is not a Keras weights file (its header has no layer_names)")
        state: dict[str, np.ndarray] = {}
        for layer in _strings(f.attrs["layer_names"]):
            group = f[layer]
            for weight in _strings(group.attrs.get("weight_names", [])):
                name = weight.split("/", 1)[1] if "/" in weight else weight  # drop the model's name
                state.setdefault(name.removesuffix(":0"), np.asarray(group[weight]))
    return state


def write_h5(state: dict[str, np.ndarray], path: str, *, model_name: str, groups: dict[str, list[str]]) -> None:
    """Write TF-named variables as Keras 2's `save_weights` does, so the reference's TF classes load them.

    `groups` maps each top-level layer, in order, to the variables it holds (a variable may sit in two groups,
    as the word embeddings do in the reference's LM heads)."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = _KERAS_VERSION
        f.attrs["layer_names"] = _names_attr(list(groups))
        for layer, names in groups.items():
            group = f.create_group(layer)
            group.attrs["weight_names"] = _names_attr([f"{model_name}/{n}:0" for n in names])
            for n in names:
                group.create_dataset(f"{model_name}/{n}:0", data=state[n])
        f.create_group("top_level_model_weights").attrs["weight_names"] = _names_attr([])


def _names_attr(names: Sequence[str]) -> np.ndarray:
    """A list of names as Keras stores it in an HDF5 attribute (bytes; an empty list as an empty float array)."""
    return np.array([n.encode() for n in names], dtype=object) if names else np.array([])


def _strings(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


# ---------------------------------------------------------------------- safetensors
def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file as NumPy arrays (TF names lose their `:0`)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="np") as f:
            return {k.removesuffix(":0"): f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, TypeError) as e:
        raise ValueError(f"{path} could not be read as a safetensors file: {e}") from None


def write_safetensors(state: dict[str, np.ndarray], path: str) -> None:
    """TF-named variables as a TF-tagged safetensors file (names end in `:0`, as the reference writes)."""
    from safetensors.numpy import save_file

    save_file({f"{k}:0": np.ascontiguousarray(v) for k, v in sorted(state.items())}, path, metadata={"format": "tf"})


# ---------------------------------------------------------------------- pytorch_model.bin
def _read_bin(path: str) -> dict[str, np.ndarray]:
    """`pytorch_model.bin` needs torch's reader (weights only: plain tensors, nothing else is unpickled)."""
    import torch

    from ..modeling.checkpoint_files import _read_bin as read_bin

    state = read_bin(path)
    return {k: (v.float() if v.dtype == torch.bfloat16 else v).numpy() for k, v in state.items()}

"""Weight files for the TF classes and TF weights for the PyTorch classes, as NumPy arrays; imports neither
framework (shared readers in `roberta.weight_arrays`).

The TF classes read, in the reference's order, `tf_model.h5` (the Keras 2 layout the reference writes: one HDF5
group per top-level layer holding the variables under their full names), then `model.safetensors` (TF- or
PyTorch-tagged; one file or shards with an index), then `pytorch_model.bin`; with `from_pt=True` the PyTorch
files come first. They write `tf_model.h5` in the reference's layout or a TF-tagged `model.safetensors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..hub import resolve_file
from ..weight_arrays import (
    BIN_INDEX,
    BIN_WEIGHTS,
    SAFE_INDEX,
    SAFE_WEIGHTS,
    read_bin,
    read_safetensors,
    resolve_files,
    safetensors_format,
)

TF_WEIGHTS = "tf_model.h5"
_KERAS_VERSION = "2.21.0"  # recorded in the .h5 header as Keras does; readers do not check it


@dataclass(frozen=True)
class WeightFiles:
    tf_names: bool  # TF variable names (tf_model.h5, TF-tagged safetensors), else the reference's PyTorch names
    paths: tuple[str, ...]


def find_weights(path: str, *, from_pt: bool = False, use_safetensors: bool | None = None, **hub) -> WeightFiles:
    """The weight files the TF classes read (see the module docstring for the order)."""
    order = ("safetensors", "bin", "h5") if from_pt else ("h5", "safetensors", "bin")
    for kind in order:
        if kind == "h5":
            found = resolve_file(path, TF_WEIGHTS, required=False, **hub)
            if found is not None:
                return WeightFiles(True, (found,))
        elif kind == "safetensors" and use_safetensors is not False:
            found = resolve_files(path, SAFE_WEIGHTS, SAFE_INDEX, hub)
            if found is not None:
                return WeightFiles(safetensors_format(found[0]) == "tf", found)
        elif kind == "bin" and use_safetensors is not True:
            found = resolve_files(path, BIN_WEIGHTS, BIN_INDEX, hub)
            if found is not None:
                return WeightFiles(False, found)
    raise FileNotFoundError(f"{path} holds no model weights (looked for {TF_WEIGHTS}, {SAFE_WEIGHTS}, {BIN_WEIGHTS})")


def find_tf_weights(path: str, **hub) -> tuple[str, ...] | None:
    """The TF weights of a checkpoint (`tf_model.h5`, else a TF-tagged `model.safetensors`), or None."""
    found = resolve_file(path, TF_WEIGHTS, required=False, **hub)
    if found is not None:
        return (found,)
    found = resolve_files(path, SAFE_WEIGHTS, SAFE_INDEX, hub)
    return found if found is not None and safetensors_format(found[0]) == "tf" else None


def read_weights(paths: Sequence[str]) -> dict[str, np.ndarray]:
    """Every tensor of the given files, by the names they use (TF names lose their `:0`)."""
    state: dict[str, np.ndarray] = {}
    for path in paths:
        if path.endswith(".h5"):
            state.update(read_h5(path))
        elif path.endswith(".safetensors"):
            state.update({k.removesuffix(":0"): v for k, v in read_safetensors(path).items()})
        else:
            state.update(read_bin(path))
    return state


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
def write_safetensors(state: dict[str, np.ndarray], path: str) -> None:
    """TF-named variables as a TF-tagged safetensors file (names end in `:0`, as the reference writes)."""
    from safetensors.numpy import save_file

    save_file({f"{k}:0": np.ascontiguousarray(v) for k, v in sorted(state.items())}, path, metadata={"format": "tf"})

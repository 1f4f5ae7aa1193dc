"""`tf_model.h5` with h5py (no TensorFlow), in the two layouts the reference's TF classes write and read.

* A single file is Keras 2's `save_weights` layout: the root's `layer_names` lists the top-level layers, each a
  group whose `weight_names` lists its variables under their full names (`tf_roberta_model/roberta/.../kernel:0`);
  a variable may be listed by two layers (the reference's LM heads list the word embeddings again).
* A shard (`tf_model-00001-of-00002.h5`) holds one dataset per variable under its name without the model's
  (`roberta/.../kernel:0`), all listed by the root's `layer_names`.

Keras splits an attribute over 64 KB into `name0`, `name1`, ...; both are read and written. Names are returned
without the model's name and the `:0` suffix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .files import SAVE_KEY, CorruptCheckpointError, parse_record

_KERAS_VERSION = "2.21.0"  # recorded in the header as Keras does; readers do not check it
_ATTR_LIMIT = 64512  # HDF5's object header limit, past which Keras chunks a list attribute


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading or writing tf_model.h5 needs h5py: pip install 'roberta[tf]'") from None
    return h5py


def _open(path: str, mode: str = "r"):
    h5py = _h5py()
    try:
        return h5py.File(path, mode)
    except OSError as e:
        raise CorruptCheckpointError(f"{path} could not be read as an HDF5 weights file: {e}") from None


def _strings(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _read_list(attrs, name: str) -> list[str] | None:
    if name in attrs:
        return _strings(attrs[name])
    if f"{name}0" not in attrs:
        return None
    out, k = [], 0
    while f"{name}{k}" in attrs:
        out += _strings(attrs[f"{name}{k}"])
        k += 1
    return out


def _write_list(attrs, name: str, values: Sequence[str]) -> None:
    data = np.array([v.encode() for v in values], dtype=object) if values else np.array([])
    nbytes = sum(len(v.encode()) + 1 for v in values)
    if nbytes <= _ATTR_LIMIT:
        attrs[name] = data
        return
    chunks = -(-nbytes // _ATTR_LIMIT) + 1
    for k, part in enumerate(np.array_split(data, chunks)):
        attrs[f"{name}{k}"] = part


def _plain(name: str) -> str:
    return name.removesuffix(":0")


def read_h5(path: str) -> dict[str, np.ndarray]:
    """Variables of a Keras weights file (either layout) by name, without the model's name."""
    with _open(path) as f:
        layers = _read_list(f.attrs, "layer_names")
        if layers is None:
            raise CorruptCheckpointError(f"{path} is not a Keras weights file (its header has no layer_names)")
        state: dict[str, np.ndarray] = {}
        try:
            for layer in layers:
                node = f[layer]
                if not hasattr(node, "keys"):  # a shard: the layer names are the variables
                    state[_plain(layer)] = np.asarray(node)
                    continue
                for weight in _read_list(node.attrs, "weight_names") or []:
                    name = weight.split("/", 1)[1] if "/" in weight else weight  # drop the model's name
                    state.setdefault(_plain(name), np.asarray(node[weight]))
        except (KeyError, OSError, TypeError, ValueError) as e:
            raise CorruptCheckpointError(f"{path} is a corrupt Keras weights file: {type(e).__name__}: {e}") from None
    return state


def h5_record(path: str) -> Any:
    """The save record stored in the file's attributes (None: another tool wrote it)."""
    with _open(path) as f:
        text = f.attrs.get(SAVE_KEY)
    if text is None:
        return None
    return parse_record(text.decode() if isinstance(text, bytes) else str(text), path)


def write_h5(
    arrays: Mapping[str, np.ndarray],
    path: str,
    *,
    model_name: str,
    groups: Mapping[str, list[str]] | None,
    record: dict | None = None,
) -> None:
    """Write TF-named variables (no `:0`) as the reference does: with `groups` (each top-level layer, in order,
    and the variables it lists) a single `save_weights` file, without them a shard."""
    h5py = _h5py()
    with h5py.File(path, "w") as f:
        if groups is None:
            for name in arrays:
                f.create_dataset(f"{name}:0", data=arrays[name])
            _write_list(f.attrs, "layer_names", [f"{n}:0" for n in arrays])
        else:
            f.attrs["backend"] = "tensorflow"
            f.attrs["keras_version"] = _KERAS_VERSION
            _write_list(f.attrs, "layer_names", list(groups))
            for layer, names in groups.items():
                group = f.create_group(layer)
                _write_list(group.attrs, "weight_names", [f"{model_name}/{n}:0" for n in names])
                for n in names:
                    group.create_dataset(f"{model_name}/{n}:0", data=arrays[n])
            _write_list(f.create_group("top_level_model_weights").attrs, "weight_names", [])
        if record is not None:
            f.attrs[SAVE_KEY] = json.dumps(record)
        f.flush()

"""Flax parameter paths <-> the reference's PyTorch names on disk: one derivation rule, both ways.

The Flax tree nests the PyTorch module path (`roberta.encoder.layer.0.attention.self.query.weight` ->
`("roberta", "encoder", "layer", "0", "attention", "self", "query", "kernel")`), and only the leaf changes:
a Linear `weight` is a transposed `kernel`, an Embedding `weight` an `embedding`, a LayerNorm `weight` a
`scale`. These are the names that `roberta.modeling.weights.RENAME_TABLE` maps our PyTorch modules to, so the
PyTorch and Flax classes read and write the same files. Everything here is NumPy: no torch, no JAX.
"""

from __future__ import annotations

import numpy as np

# Facts about the reference's files (see weight_arrays.py): buffers saved by old checkpoints, the LM head's bias
# saved a second time under the decoder's name, TF-era LayerNorm leaves.
from ..weight_arrays import BIAS_ALIAS as _BIAS_ALIAS
from ..weight_arrays import BUFFERS as _BUFFERS
from ..weight_arrays import LEGACY_LEAVES as _LEGACY_LEAVES

Path = tuple[str, ...]


def _is_embedding(module: str) -> bool:
    return module.endswith(("embeddings", "embedding"))  # word/position/token_type embeddings, distance_embedding


def disk_to_flax(name: str, array: np.ndarray) -> tuple[Path, np.ndarray]:
    """One PyTorch disk entry -> its Flax path and array (transposed for a Linear weight)."""
    module, _, leaf = name.rpartition(".")
    leaf = _LEGACY_LEAVES.get(leaf, leaf)
    path = tuple(module.split(".")) if module else ()
    if leaf != "weight":
        return path + (leaf,), array
    if array.ndim == 1:
        return path + ("scale",), array  # LayerNorm
    if _is_embedding(module):
        return path + ("embedding",), array
    return path + ("kernel",), np.ascontiguousarray(array.T)  # Linear: (out, in) -> (in, out)


def flax_to_disk(path: Path, array: np.ndarray) -> tuple[str, np.ndarray]:
    """One Flax parameter -> its PyTorch disk name and array."""
    *module, leaf = path
    if leaf == "kernel":
        return ".".join([*module, "weight"]), np.ascontiguousarray(array.T)
    if leaf in ("scale", "embedding"):
        return ".".join([*module, "weight"]), array
    return ".".join(path), array


def disk_state_to_flax(state: dict[str, np.ndarray]) -> dict[Path, np.ndarray]:
    """A PyTorch checkpoint's entries -> flat Flax parameters, without buffers and the aliased LM bias."""
    out: dict[Path, np.ndarray] = {}
    for name, array in state.items():
        if _BUFFERS.search(name):
            continue
        alias, target = _BIAS_ALIAS
        if name.endswith(alias) and name[: len(name) - len(alias)] + target in state:
            continue
        path, value = disk_to_flax(name, array)
        out[path] = value
    return out


def flax_state_to_disk(flat: dict[Path, np.ndarray]) -> dict[str, np.ndarray]:
    """Flat Flax parameters -> PyTorch disk entries."""
    return dict(flax_to_disk(path, array) for path, array in flat.items())


def flatten(tree: dict, prefix: Path = ()) -> dict[Path, object]:
    """Nested dict -> {path tuple: leaf}."""
    out: dict[Path, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, prefix + (str(key),)))
        else:
            out[prefix + (str(key),)] = value
    return out


def unflatten(flat: dict[Path, object]) -> dict:
    """{path tuple: leaf} -> nested dict."""
    tree: dict = {}
    for path, value in flat.items():
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return tree

"""Read Flax's `flax_model.msgpack` without JAX (the PyTorch classes use it for `from_flax=True`).

The format is flax.serialization's: a msgpack map of maps whose leaves are extension objects holding
`(shape, dtype name, C-order bytes)`; arrays over 1 GiB are split into chunks. Writing stays with
`flax.serialization.msgpack_serialize` (JAX is there when a Flax model saves).
"""

from __future__ import annotations

import numpy as np

_NDARRAY, _COMPLEX, _NPSCALAR = 1, 2, 3


def _dtype(name: bytes) -> np.dtype:
    text = name.decode()
    if text == "bfloat16":
        import ml_dtypes  # installed with JAX; NumPy-only

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(text)


def _array(data: bytes) -> np.ndarray:
    import msgpack

    shape, dtype, buffer = msgpack.unpackb(data, raw=True)
    return np.frombuffer(buffer, dtype=_dtype(dtype)).reshape(shape)


def _ext(code: int, data: bytes):
    import msgpack

    if code == _NDARRAY:
        return _array(data)
    if code == _NPSCALAR:
        return _array(data)[()]
    if code == _COMPLEX:
        real, imag = msgpack.unpackb(data)
        return complex(real, imag)
    raise ValueError(f"unknown msgpack extension type {code}")


def _unchunk(tree):
    if not isinstance(tree, dict):
        return tree
    if tree.get("__msgpack_chunked_array__"):
        shape = tuple(tree["shape"][str(i)] for i in range(len(tree["shape"])))
        chunks = [tree["chunks"][str(i)] for i in range(len(tree["chunks"]))]
        return np.concatenate(chunks).reshape(shape)
    return {k: _unchunk(v) for k, v in tree.items()}


def read_msgpack(path: str) -> dict:
    """The nested dict of NumPy arrays stored in a flax msgpack file; ValueError naming the file if it is
    not one (a git-lfs pointer, a truncated download, another format)."""
    import msgpack

    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"version https://git-lfs"):
        raise ValueError(f"{path} is a git-lfs pointer, not the weights: fetch the file with `git lfs pull`")
    try:
        tree = msgpack.unpackb(data, ext_hook=_ext, raw=False, strict_map_key=False)
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise ValueError(f"{path} cannot be read as Flax msgpack weights: {e}") from None
    if not isinstance(tree, dict):
        raise ValueError(f"{path} does not hold a tree of Flax parameters")
    return _unchunk(tree)

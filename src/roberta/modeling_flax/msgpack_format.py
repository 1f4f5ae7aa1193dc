"""Read Flax's `flax_model.msgpack` without JAX (the PyTorch classes use it for `from_flax=True`).

The format is flax.serialization's: a msgpack map of maps whose leaves are extension objects holding
`(shape, dtype name, C-order bytes)`; arrays over 1 GiB are split into chunks (a map with
`__msgpack_chunked_array__`, `shape` and `chunks`). Writing stays with `flax.serialization.msgpack_serialize`
(JAX is there when a Flax model saves).

Every part of a file is checked as it is read: maps with string keys nested at most `MAX_DEPTH` deep, leaves
that are numeric arrays whose bytes fill their shape, chunk records with their fields. Anything else is a
ValueError naming the file and the path inside it, never a RecursionError or KeyError.
"""

from __future__ import annotations

import numpy as np

_NDARRAY, _COMPLEX, _NPSCALAR = 1, 2, 3
_CHUNKED = "__msgpack_chunked_array__"
MAX_DEPTH = 64  # a Flax parameter tree nests about 8 deep


class _Bad(ValueError):
    """What is wrong, without the file name (read_msgpack adds it)."""


def _dtype(name: object) -> np.dtype:
    if not isinstance(name, bytes):
        raise _Bad(f"an array's dtype is {type(name).__name__}, not a name")
    text = name.decode("ascii", "replace")
    if text == "bfloat16":
        import ml_dtypes  # installed with JAX; NumPy-only

        return np.dtype(ml_dtypes.bfloat16)
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in "biufc" or dtype.names is not None:
        raise _Bad(f"an array's dtype {text!r} is not a number type")
    return dtype


def _array(data: bytes) -> np.ndarray:
    import msgpack

    record = msgpack.unpackb(data, raw=True)
    if not (isinstance(record, (list, tuple)) and len(record) == 3):
        raise _Bad("an array record is not (shape, dtype, bytes)")
    shape, dtype, buffer = record
    dtype = _dtype(dtype)
    if not (isinstance(shape, (list, tuple)) and all(type(s) is int and s >= 0 for s in shape)):
        raise _Bad(f"an array's shape {shape!r:.80} is not a list of sizes")
    if not isinstance(buffer, bytes) or len(buffer) != int(np.prod(shape, dtype=object)) * dtype.itemsize:
        raise _Bad(f"an array of shape {list(shape)} and dtype {dtype} does not have the bytes to fill it")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape)


def _ext(code: int, data: bytes):
    import msgpack

    if code == _NDARRAY:
        return _array(data)
    if code == _NPSCALAR:
        return _array(data)[()]
    if code == _COMPLEX:
        parts = msgpack.unpackb(data)
        if not (isinstance(parts, (list, tuple)) and len(parts) == 2 and all(type(p) is float for p in parts)):
            raise _Bad("a complex number record is not (real, imaginary)")
        return complex(*parts)
    raise _Bad(f"unknown msgpack extension type {code}")


def _unchunk(record: dict, where: str) -> np.ndarray:
    """A chunked array: {'shape': {'0': n, ...}, 'chunks': {'0': array, ...}} -> the array."""
    shape, chunks = record.get("shape"), record.get("chunks")
    if not (isinstance(shape, dict) and isinstance(chunks, dict)):
        raise _Bad(f"{where} is a chunked array record without its 'shape' and 'chunks' maps")
    try:
        dims = [shape[str(i)] for i in range(len(shape))]
        parts = [chunks[str(i)] for i in range(len(chunks))]
    except KeyError as e:
        raise _Bad(f"{where} is a chunked array record whose entries skip {e}") from None
    if not all(type(d) is int and d >= 0 for d in dims) or not all(isinstance(p, np.ndarray) for p in parts):
        raise _Bad(f"{where} is a chunked array record with a malformed shape or chunks")
    if not parts or len({p.dtype for p in parts}) != 1 or sum(p.size for p in parts) != np.prod(dims, dtype=object):
        raise _Bad(f"{where}: the chunks of the array do not fill its shape {dims}")
    return np.concatenate([p.reshape(-1) for p in parts]).reshape(dims)


def _checked_tree(tree: object) -> dict:
    """The parameter tree with chunked arrays joined, checked without recursion: maps of string keys, at most
    MAX_DEPTH deep, whose leaves are arrays."""
    if not isinstance(tree, dict):
        raise _Bad("it does not hold a tree of Flax parameters (a map)")
    root: dict = {}
    todo = [(tree, root, ())]
    while todo:
        node, out, path = todo.pop()
        if len(path) >= MAX_DEPTH:
            raise _Bad(f"its maps nest deeper than {MAX_DEPTH} levels (at {'/'.join(path[:8])}/...)")
        for key, value in node.items():
            where = "/".join((*path, str(key)))
            if not isinstance(key, str):
                raise _Bad(f"the key {key!r:.80} at {where} is not a string")
            if isinstance(value, dict) and value.get(_CHUNKED):
                value = _unchunk(value, where)
            if isinstance(value, dict):
                out[key] = {}
                todo.append((value, out[key], (*path, key)))
            elif isinstance(value, np.ndarray):
                out[key] = value
            else:
                raise _Bad(f"{where} is a {type(value).__name__}, not an array")
    return root


def read_msgpack(path: str) -> dict:
    """The nested dict of NumPy arrays stored in a flax msgpack file; ValueError naming the file if it is
    not one (a git-lfs pointer, a truncated download, another format, a crafted tree)."""
    import msgpack

    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"version https://git-lfs"):
        raise ValueError(f"{path} is a git-lfs pointer, not the weights: fetch the file with `git lfs pull`")
    try:
        return _checked_tree(msgpack.unpackb(data, ext_hook=_ext, raw=False, strict_map_key=False))
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException) as e:
        detail = str(e) or (type(e).__doc__ or type(e).__name__).strip()  # msgpack's StackError: "Too nested"
        raise ValueError(f"{path} cannot be read as Flax msgpack weights: {detail}") from None

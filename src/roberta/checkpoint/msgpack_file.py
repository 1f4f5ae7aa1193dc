"""Flax's `flax_model.msgpack`, read and written as NumPy arrays without JAX.

The format is flax.serialization's: a msgpack map of maps whose leaves are extension objects holding
`(shape, dtype name, C-order bytes)`; arrays over 1 GiB are split into chunks (a map with
`__msgpack_chunked_array__`, `shape` and `chunks`). A save by this library keeps its record (records.py) as the
first entry, `{"roberta_save": {"<record as JSON>": {}}}`: a map of empty maps, which Flax drops when it
flattens the tree, so the reference loads the file as if it were not there.

Every part of a file is checked as it is read: maps with string keys nested at most `MAX_DEPTH` deep, leaves
that are numeric arrays whose bytes fill their shape, chunk records with their fields. Anything else is a
ValueError naming the file and the path inside it, never a RecursionError or KeyError.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .files import SAVE_KEY, CorruptCheckpointError, parse_record

_NDARRAY, _COMPLEX, _NPSCALAR = 1, 2, 3
_CHUNKED = "__msgpack_chunked_array__"
MAX_CHUNK = 2**30  # bytes: flax.serialization's MAX_CHUNK_SIZE
MAX_DEPTH = 64  # a Flax parameter tree nests about 8 deep


def _msgpack():
    try:
        import msgpack
    except ImportError:
        raise ImportError("reading or writing flax_model.msgpack needs msgpack: pip install 'roberta[flax]'") from None
    return msgpack


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
    record = _msgpack().unpackb(data, raw=True)
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
    msgpack = _msgpack()

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
    """The nested dict of NumPy arrays stored in a flax msgpack file (without a save's record);
    CorruptCheckpointError naming the file if it is not one (a git-lfs pointer, a truncated download, another
    format, a crafted tree)."""
    msgpack = _msgpack()
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"version https://git-lfs"):
        raise CorruptCheckpointError(
            f"{path} is a git-lfs pointer, not the weights: fetch the file with `git lfs pull`"
        )
    try:
        tree = msgpack.unpackb(data, ext_hook=_ext, raw=False, strict_map_key=False)
        if isinstance(tree, dict):
            tree.pop(SAVE_KEY, None)
        return _checked_tree(tree)
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException) as e:
        detail = str(e) or (type(e).__doc__ or type(e).__name__).strip()  # msgpack's StackError: "Too nested"
        raise CorruptCheckpointError(f"{path} cannot be read as Flax msgpack weights: {detail}") from None


def _not_an_lfs_pointer(start: bytes, path: str) -> None:
    if start.startswith(b"version https://git-lfs"):
        raise CorruptCheckpointError(
            f"{path} is a git-lfs pointer, not the weights: fetch the file with `git lfs pull`"
        )


def msgpack_record(path: str) -> Any:
    """The save record of a file this library wrote (its first entry; None for another tool's file), read
    without reading the arrays."""
    msgpack = _msgpack()
    try:
        with open(path, "rb") as f:
            _not_an_lfs_pointer(f.read(64), path)
            f.seek(0)
            unpacker = msgpack.Unpacker(f, raw=False, strict_map_key=False, ext_hook=lambda code, data: None)
            if unpacker.read_map_header() == 0 or unpacker.unpack() != SAVE_KEY:
                return None
            value = unpacker.unpack()
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise CorruptCheckpointError(f"{path} cannot be read as Flax msgpack weights: {e}") from None
    if not (isinstance(value, dict) and len(value) == 1):
        raise CorruptCheckpointError(f"{path} holds a malformed {SAVE_KEY} record")
    return parse_record(next(iter(value)), path)


def _pack_array(array: np.ndarray):
    msgpack = _msgpack()
    array = np.asarray(array, order="C")
    payload = msgpack.packb((list(array.shape), array.dtype.name, array.tobytes("C")), use_bin_type=True)
    return msgpack.ExtType(_NDARRAY, payload)


def _leaf(array: np.ndarray) -> Any:
    """An array as flax.serialization stores it: whole, or in chunks of at most MAX_CHUNK bytes."""
    array = np.asarray(array)
    if array.nbytes <= MAX_CHUNK:
        return _pack_array(array)
    flat = array.reshape(-1)
    step = max(1, MAX_CHUNK // array.dtype.itemsize)
    chunks = [flat[i : i + step] for i in range(0, flat.size, step)]
    return {
        _CHUNKED: True,
        "shape": {str(i): d for i, d in enumerate(array.shape)},
        "chunks": {str(i): _pack_array(c) for i, c in enumerate(chunks)},
    }


def write_msgpack(tree: dict, path: str, record: dict | None = None) -> None:
    """Write a nested dict of NumPy arrays as flax.serialization does (with this library's save record first),
    flushed to disk."""
    import os

    msgpack = _msgpack()

    def packed(node: dict) -> dict:
        return {k: packed(v) if isinstance(v, dict) else _leaf(v) for k, v in node.items()}

    out = {SAVE_KEY: {json.dumps(record): {}}} if record is not None else {}
    out.update(packed(tree))
    with open(path, "wb") as f:
        f.write(msgpack.packb(out, use_bin_type=True))
        f.flush()
        os.fsync(f.fileno())

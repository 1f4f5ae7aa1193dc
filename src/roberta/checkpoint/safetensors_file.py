"""The one safetensors reader and writer, on NumPy arrays (no torch, no `safetensors` package).

The header is parsed and checked before anything is read: sizes, dtypes, shapes and byte ranges (in the
file, no overlaps). Tensors are `StoredArray`s read with `pread` through the descriptor the header was read
from, only when asked for, into memory of their own (no memory map): a file replaced by a rename meanwhile is
still read whole and consistent, and a loaded model does not depend on the file afterwards. Frameworks read a
tensor straight into their own buffer (`read_into`), so loading costs no second copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from .files import CorruptCheckpointError

ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
_NUMPY = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32", "I16": "int16",
          "I8": "int8", "U8": "uint8", "BOOL": "bool"}  # fmt: skip
_CODES = {v: k for k, v in _NUMPY.items()} | {"bfloat16": "BF16"}
MAX_HEADER = 100_000_000


def numpy_dtype(code: str) -> np.dtype:
    """The NumPy dtype of a safetensors dtype code (BF16 through ml_dtypes, which JAX and TF install)."""
    if code == "BF16":
        try:
            import ml_dtypes
        except ImportError:
            raise ImportError(
                "reading bfloat16 tensors as NumPy arrays needs ml_dtypes (pip install ml_dtypes)"
            ) from None
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(_NUMPY[code])


@dataclass(frozen=True)
class TensorInfo:
    dtype: str  # a safetensors code ("F32", "BF16", ...)
    shape: tuple[int, ...]
    begin: int  # byte offsets into the data section
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    data_start: int


def read_header(path: str) -> SafetensorsHeader:
    """Parse and check a safetensors header."""
    with open(path, "rb") as f:
        return parse_header(f, path)


def parse_header(f: BinaryIO, path: str) -> SafetensorsHeader:
    """`read_header` on an open file (so that the data is then read from the same file)."""
    size = os.fstat(f.fileno()).st_size
    if size < 8:
        raise CorruptCheckpointError(f"{path} is truncated: {size} bytes, too short for a safetensors header")
    f.seek(0)
    (header_len,) = struct.unpack("<Q", f.read(8))
    if header_len > size - 8 or header_len > MAX_HEADER:
        raise CorruptCheckpointError(
            f"{path} is corrupt or truncated: header says {header_len} bytes, file holds {size}"
        )
    raw = f.read(header_len)
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise CorruptCheckpointError(f"{path} has a corrupt safetensors header: {type(e).__name__}: {e}") from None
    if not isinstance(header, dict):
        raise CorruptCheckpointError(f"{path} has a corrupt safetensors header (not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CorruptCheckpointError(f"{path}: __metadata__ must map names to strings")
    data_len = size - 8 - header_len
    tensors = {name: _tensor_info(path, name, info, data_len) for name, info in header.items()}
    spans = sorted((t.begin, t.end, name) for name, t in tensors.items() if t.end > t.begin)
    for (_, end_a, a), (begin_b, _, b) in zip(spans, spans[1:]):
        if begin_b < end_a:
            raise CorruptCheckpointError(f"{path} is corrupt: the bytes of tensors {a!r} and {b!r} overlap")
    return SafetensorsHeader(tensors, metadata, 8 + header_len)


def _tensor_info(path: str, name: str, info: Any, data_len: int) -> TensorInfo:
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
        raise CorruptCheckpointError(f"{path}: tensor {name!r} has a malformed header entry {info!r:.200}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in ITEMSIZE:
        raise CorruptCheckpointError(
            f"{path}: tensor {name!r} has dtype {dtype!r}, which is not supported (one of {tuple(ITEMSIZE)})"
        )
    if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
        raise CorruptCheckpointError(f"{path}: tensor {name!r} has an invalid shape {shape!r:.200}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
        raise CorruptCheckpointError(f"{path}: tensor {name!r} has invalid data_offsets {offsets!r:.200}")
    begin, end = offsets
    numel = 1
    for s in shape:
        numel *= s
    if begin < 0 or end != begin + numel * ITEMSIZE[dtype] or end > data_len:
        raise CorruptCheckpointError(
            f"{path} is corrupt or truncated: tensor {name!r} ({dtype}, shape {shape}) needs bytes "
            f"{begin}..{end} of the data, the file holds {data_len}"
        )
    return TensorInfo(dtype, tuple(shape), begin, end)


def format_tag(path: str) -> str | None:
    """The `format` a safetensors file's metadata declares ("pt", "tf", "flax"), or None."""
    return read_header(path).metadata.get("format")


# ---------------------------------------------------------------------- reading
class StoredArray:
    """A tensor of a safetensors file, read from the file when it is needed (a tied or unused weight never is)."""

    __slots__ = ("fd", "path", "offset", "nbytes", "shape", "dtype")

    def __init__(self, fd: int, path: str, offset: int, nbytes: int, shape: tuple[int, ...], dtype: str) -> None:
        self.fd, self.path, self.offset, self.nbytes = fd, path, offset, nbytes
        self.shape, self.dtype = shape, dtype  # dtype: the safetensors code

    def read_into(self, buffer: memoryview) -> None:
        """Fill `buffer` (a writable, contiguous byte view of `nbytes`) with the stored bytes."""
        done = 0
        while done < self.nbytes:
            n = os.preadv(self.fd, [buffer[done:]], self.offset + done)
            if n <= 0:
                raise CorruptCheckpointError(f"{self.path} changed or was truncated while it was read")
            done += n

    def numpy(self) -> np.ndarray:
        out = np.empty(self.shape, dtype=numpy_dtype(self.dtype))
        if self.nbytes:
            self.read_into(memoryview(out.reshape(-1).view(np.uint8)))
        return out


def open_safetensors(path: str, files: contextlib.ExitStack) -> tuple[SafetensorsHeader, dict[str, StoredArray]]:
    """The header and the tensors of a file, readable while `files` is open."""
    f = files.enter_context(open(path, "rb"))
    header = parse_header(f, path)
    fd = f.fileno()
    stored = {
        name: StoredArray(fd, path, header.data_start + t.begin, t.end - t.begin, t.shape, t.dtype)
        for name, t in header.tensors.items()
    }
    return header, stored


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file as a NumPy array of its own, by the name it has there."""
    with contextlib.ExitStack() as files:
        return {name: t.numpy() for name, t in open_safetensors(path, files)[1].items()}


# ---------------------------------------------------------------------- writing
def dtype_code(array: np.ndarray) -> str:
    try:
        return _CODES[array.dtype.name]
    except KeyError:
        raise TypeError(f"a tensor of dtype {array.dtype} cannot be stored in safetensors") from None


def write_safetensors(arrays: Mapping[str, np.ndarray], path: str, metadata: Mapping[str, str] | None = None) -> None:
    """Write arrays in the safetensors format, names sorted, flushed to disk (the caller makes it atomic)."""
    header: dict = {"__metadata__": dict(metadata or {})} if metadata else {}
    offset, ordered = 0, []
    for name in sorted(arrays):
        a = np.asarray(arrays[name], order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        header[name] = {"dtype": dtype_code(a), "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        ordered.append(a)
        offset += a.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # align the data to 8 bytes
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for a in ordered:
            if a.nbytes:
                f.write(memoryview(a.reshape(-1).view(np.uint8)))
        f.flush()
        os.fsync(f.fileno())

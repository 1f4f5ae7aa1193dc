"""Weight files on disk: memory-mapped safetensors, sharded indexes, and `pytorch_model.bin` (weights only).

Reading safetensors maps the file copy-on-write and builds tensors straight on the mapping, so loading a
checkpoint costs no copy of its weights. The header is checked against the file size so a truncated or
corrupt file fails with a message naming it.
"""

from __future__ import annotations

import ctypes
import functools
import json
import mmap
import os
import struct
import sys
from collections.abc import Iterator

import torch

from .._io import atomic_write_text
from ..hub import resolve_file

SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
BIN_WEIGHTS = "pytorch_model.bin"
BIN_INDEX = "pytorch_model.bin.index.json"

_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


class CorruptCheckpointError(ValueError):
    """A weight file that cannot be read as what its name says."""


def read_safetensors(path: str) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file, backed by a copy-on-write memory map of it."""
    size = os.path.getsize(path)
    if size < 8:
        raise CorruptCheckpointError(f"{path} is truncated: {size} bytes, too short for a safetensors header")
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        if header_len > size - 8 or header_len > 100_000_000:
            raise CorruptCheckpointError(
                f"{path} is corrupt or truncated: header says {header_len} bytes, file holds {size}"
            )
        try:
            header = json.loads(f.read(header_len))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CorruptCheckpointError(f"{path} has a corrupt safetensors header: {e}") from None
        if not isinstance(header, dict):
            raise CorruptCheckpointError(f"{path} has a corrupt safetensors header (not a JSON object)")
        data_start = 8 + header_len
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) if size > data_start else None
    out: dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _DTYPES[info["dtype"]]
            shape = [int(s) for s in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise CorruptCheckpointError(f"{path}: tensor {name!r} has a malformed header entry {info!r}") from None
        numel = 1
        for s in shape:
            numel *= s
        itemsize = torch.empty((), dtype=dtype).element_size()
        if end - begin != numel * itemsize or begin < 0 or data_start + end > size:
            raise CorruptCheckpointError(
                f"{path} is corrupt or truncated: tensor {name!r} needs bytes "
                f"{begin}..{end} of the data, the file holds {size - data_start}"
            )
        if numel == 0:
            out[name] = torch.empty(shape, dtype=dtype)
            continue
        tensor = torch.frombuffer(buf, dtype=dtype, count=numel, offset=data_start + begin).view(shape)
        tensor._roberta_private_map = True  # see release_pages
        out[name] = tensor
    return out


def release_pages(tensor: torch.Tensor) -> None:
    """Drop the whole memory pages of a tensor read by `read_safetensors` from this process's resident set,
    once it is no longer needed (its contents were copied into a fused tensor). The mapping is private and
    never written, so the pages stay correct: touching them again re-reads the file. Does nothing for any
    other tensor, and off Linux."""
    if not getattr(tensor, "_roberta_private_map", False) or not sys.platform.startswith("linux"):
        return
    madvise = _libc_madvise()
    if madvise is None:
        return
    start = tensor.data_ptr()
    end = start + tensor.numel() * tensor.element_size()
    lo = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE  # only pages the tensor covers whole
    hi = end // mmap.PAGESIZE * mmap.PAGESIZE
    if hi > lo:
        madvise(lo, hi - lo, _MADV_DONTNEED)


_MADV_DONTNEED = 4


@functools.cache
def _libc_madvise():
    try:
        fn = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return fn


def write_safetensors(tensors: dict[str, torch.Tensor], path: str, metadata: dict[str, str] | None = None) -> None:
    """Write tensors in the safetensors format (the caller makes the write atomic)."""
    header: dict = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset, ordered = 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        nbytes = t.numel() * t.element_size()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + nbytes]}
        ordered.append(t)
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # align the data to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for t in ordered:
            if t.numel():
                f.write(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        f.flush()
        os.fsync(f.fileno())


def _read_bin(path: str) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as e:  # unpickling errors come in many types
        raise CorruptCheckpointError(f"{path} could not be read as a weights-only PyTorch checkpoint: {e}") from None
    if not isinstance(state, dict):
        raise CorruptCheckpointError(f"{path} does not hold a state dict")
    return state


def _read_index(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise CorruptCheckpointError(f"{path} is not a valid shard index: {e}") from None
    return sorted(set(weight_map.values()))


def find_weight_files(name_or_path: str, *, use_safetensors: bool | None = None, **hub) -> list[str]:
    """Weight files of a checkpoint, safetensors first."""
    order = []
    if use_safetensors is not False:
        order += [(SAFE_WEIGHTS, False), (SAFE_INDEX, True)]
    if use_safetensors is not True:
        order += [(BIN_WEIGHTS, False), (BIN_INDEX, True)]
    for filename, is_index in order:
        path = resolve_file(name_or_path, filename, required=False, **hub)
        if path is None:
            continue
        if not is_index:
            return [path]
        return [resolve_file(name_or_path, shard, **hub) for shard in _read_index(path)]
    wanted = " or ".join(f for f, _ in order)
    raise FileNotFoundError(f"{name_or_path} holds no model weights ({wanted})")


def read_weight_files(paths: list[str]) -> Iterator[tuple[str, torch.Tensor]]:
    for path in paths:
        state = read_safetensors(path) if path.endswith(".safetensors") else _read_bin(path)
        yield from state.items()


def _parse_size(size: int | str) -> int:
    if isinstance(size, int):
        return size
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "B": 1}
    s = size.upper().strip()
    for unit, mult in units.items():
        if s.endswith(unit):
            return int(float(s[: -len(unit)]) * mult)
    return int(s)


def save_weights(
    tensors: dict[str, torch.Tensor],
    stage_dir: str,
    *,
    max_shard_size: int | str = "5GB",
    safe_serialization: bool = True,
) -> list[str]:
    """Write weights (one file, or shards plus an index) into `stage_dir`; return the file names written."""
    limit = _parse_size(max_shard_size)
    shards: list[dict[str, torch.Tensor]] = [{}]
    current = 0
    for name in sorted(tensors):
        nbytes = tensors[name].numel() * tensors[name].element_size()
        if shards[-1] and current + nbytes > limit:
            shards.append({})
            current = 0
        shards[-1][name] = tensors[name]
        current += nbytes
    single, index_name = (SAFE_WEIGHTS, SAFE_INDEX) if safe_serialization else (BIN_WEIGHTS, BIN_INDEX)
    stem, ext = single.rsplit(".", 1)
    names = (
        [single] if len(shards) == 1 else [f"{stem}-{k + 1:05d}-of-{len(shards):05d}.{ext}" for k in range(len(shards))]
    )
    for fname, shard in zip(names, shards):
        target = os.path.join(stage_dir, fname)
        if safe_serialization:
            write_safetensors(shard, target)
        else:
            torch.save({k: v.detach().cpu().contiguous() for k, v in shard.items()}, target)
    if len(shards) > 1:
        total = sum(t.numel() * t.element_size() for t in tensors.values())
        weight_map = {k: fname for fname, shard in zip(names, shards) for k in shard}
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        atomic_write_text(os.path.join(stage_dir, index_name), json.dumps(index, indent=2) + "\n")
        names.append(index_name)
    return names


def is_weight_file(name: str) -> bool:
    return name.startswith(("model", "pytorch_model")) and name.endswith((".safetensors", ".bin", ".index.json"))

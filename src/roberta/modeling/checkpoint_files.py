"""Weights on disk for PyTorch: reading and writing safetensors and `pytorch_model.bin`, and the atomic save.

Reading copies every tensor into memory of its own (no memory map), so a loaded model does not change or crash
when its files are later overwritten or truncated; tensors are read one by one, so the fused projections built
from them (weights.py) can free their sources as they go. `.bin` files are read with torch's weights-only
unpickler, which admits tensors and plain containers only. `write_checkpoint` is the save protocol described in
`roberta.checkpoint_dir`.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import torch

from .._io import raise_named, staging_directory
from ..checkpoint_dir import (
    BIN_INDEX,
    BIN_WEIGHTS,
    CONFIG_NAME,
    ENTRY_POINTS,
    SAFE_INDEX,
    SAFE_WEIGHTS,
    SAVE_KEY,
    STAGING_PREFIX,
    ZIP_MEMBER,
    CorruptCheckpointError,
    committed,
    config_digest,
    entry_names,
    entry_points,
    header_record,
    parse_safetensors_header,
    read_index,
    remove_temporaries,
    save_record,
)
from ..hub import resolve_file

__all__ = [
    "BIN_INDEX",
    "BIN_WEIGHTS",
    "SAFE_INDEX",
    "SAFE_WEIGHTS",
    "CorruptCheckpointError",
    "find_weight_files",
    "StoredTensor",
    "materialize",
    "open_weight_files",
    "read_safetensors",
    "write_checkpoint",
    "write_safetensors",
]

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


# ---------------------------------------------------------------------- reading
class StoredTensor:
    """A tensor of a safetensors file, read from the file when it is needed (a tied or unused weight never is).

    Reads go through a descriptor opened when the header was parsed, so a file replaced by a rename meanwhile
    is still read whole and consistent; the tensors read own their memory, so the loaded model does not depend
    on the file afterwards.
    """

    __slots__ = ("fd", "path", "offset", "nbytes", "shape", "dtype")

    def __init__(self, fd: int, path: str, offset: int, nbytes: int, shape: tuple[int, ...], dtype: torch.dtype):
        self.fd, self.path, self.offset, self.nbytes = fd, path, offset, nbytes
        self.shape, self.dtype = torch.Size(shape), dtype

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def read_into(self, out: torch.Tensor) -> torch.Tensor:
        """Fill `out` (contiguous, this shape and dtype) with the stored bytes."""
        if self.nbytes:
            view = memoryview(out.view(-1).view(torch.uint8).numpy())
            done = 0
            while done < self.nbytes:
                n = os.preadv(self.fd, [view[done:]], self.offset + done)
                if n <= 0:
                    raise CorruptCheckpointError(f"{self.path} changed or was truncated while it was read")
                done += n
        return out

    def load(self) -> torch.Tensor:
        return self.read_into(torch.empty(self.shape, dtype=self.dtype))


def materialize(tensor: torch.Tensor | StoredTensor) -> torch.Tensor:
    return tensor.load() if isinstance(tensor, StoredTensor) else tensor


def read_safetensors(path: str, save_id: str | None = None) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file, each read into its own memory (checked header; see checkpoint_dir).
    With `save_id`, the file must carry that save's record (it was not replaced since it was chosen)."""
    with contextlib.ExitStack() as files:
        return {k: v.load() for k, v in _stored_safetensors(path, save_id, files).items()}


def _stored_safetensors(path: str, save_id: str | None, files: contextlib.ExitStack) -> dict[str, StoredTensor]:
    f = files.enter_context(open(path, "rb"))
    header = parse_safetensors_header(f, path)
    if save_id is not None:
        _check_id(header_record(header, path), save_id, path)
    fd = f.fileno()
    return {
        name: StoredTensor(fd, path, header.data_start + t.begin, t.end - t.begin, t.shape, _DTYPES[t.dtype])
        for name, t in header.tensors.items()
    }


def _check_id(record: dict | None, save_id: str, path: str) -> None:
    if record is None or record["id"] != save_id:
        raise CorruptCheckpointError(f"{path} was replaced by another save while it was loaded; load again")


def _read_bin(path: str) -> dict[str, torch.Tensor]:
    try:  # not memory-mapped: a loaded model must not depend on the file
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # unpickling errors come in many types
        raise CorruptCheckpointError(f"{path} could not be read as a weights-only PyTorch checkpoint: {e}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CorruptCheckpointError(f"{path} does not hold a state dict of tensors")
    return state


def find_weight_files(name_or_path: str, *, use_safetensors: bool | None = None, **hub: Any) -> list[str]:
    """Weight files of a checkpoint: for a local directory, those of its committed save (checkpoint_dir);
    for a hub id in the local cache, the reference's choice (safetensors first)."""
    if os.path.isdir(name_or_path):
        return committed(name_or_path, use_safetensors).files
    for filename in entry_names(use_safetensors):
        path = resolve_file(name_or_path, filename, required=False, **hub)
        if path is None:
            continue
        if not filename.endswith(".index.json"):
            return [path]
        return [resolve_file(name_or_path, shard, **hub) for shard in sorted(set(read_index(path)[0].values()))]
    raise FileNotFoundError(f"{name_or_path} holds no model weights ({' or '.join(entry_names(use_safetensors))})")


@contextlib.contextmanager
def open_weight_files(paths: list[str], save_id: str | None = None) -> Iterator[dict[str, torch.Tensor | StoredTensor]]:
    """Every tensor of the files, by name: safetensors ones as `StoredTensor`s readable while the context is
    open. With `save_id`, each file must still belong to that save."""
    with contextlib.ExitStack() as files:
        out: dict[str, torch.Tensor | StoredTensor] = {}
        for path in paths:
            if path.endswith(".safetensors"):
                out.update(_stored_safetensors(path, save_id, files))
            else:
                out.update(_read_bin(path))
                if save_id is not None:
                    _check_id(save_record(path), save_id, path)
        yield out


# ---------------------------------------------------------------------- writing
def write_safetensors(tensors: dict[str, torch.Tensor], path: str, metadata: dict[str, str] | None = None) -> None:
    """Write tensors in the safetensors format, flushed to disk (the caller makes the write atomic)."""
    header: dict = {"__metadata__": {"format": "pt", **(metadata or {})}}
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
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for t in ordered:
            if t.numel():
                f.write(memoryview(t.reshape(-1).view(torch.uint8).numpy()))
        f.flush()
        os.fsync(f.fileno())


def _write_bin(tensors: dict[str, torch.Tensor], path: str, record: dict[str, Any]) -> None:
    with open(path, "wb") as f:  # torch.save through our file: a failed write raises its OSError (ENOSPC, ...)
        torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, f)
    with zipfile.ZipFile(path, "a") as z:  # torch.load reads only its own records and ignores this one
        prefix = z.namelist()[0].split("/")[0]
        z.writestr(f"{prefix}/{ZIP_MEMBER}", json.dumps(record))
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def parse_size(size: int | str) -> int:
    """A byte count from an int or a string such as "5GB", "200MiB"."""
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    units = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9, "B": 1}
    s = str(size).upper().strip()
    try:
        for unit, mult in units.items():
            if s.endswith(unit):
                return int(float(s[: -len(unit)]) * mult)
        return int(s)
    except ValueError:
        raise ValueError(f"max_shard_size={size!r} is not a size (e.g. 5GB, 200MB, 10**9)") from None


def _shards(tensors: dict[str, torch.Tensor], limit: int) -> list[dict[str, torch.Tensor]]:
    shards: list[dict[str, torch.Tensor]] = [{}]
    current = 0
    for name in sorted(tensors):
        nbytes = tensors[name].numel() * tensors[name].element_size()
        if shards[-1] and current + nbytes > limit:
            shards.append({})
            current = 0
        shards[-1][name] = tensors[name]
        current += nbytes
    return shards


def write_checkpoint(
    directory: str,
    tensors: dict[str, torch.Tensor],
    config: dict[str, Any],
    *,
    max_shard_size: int | str = "5GB",
    safe_serialization: bool = True,
) -> list[str]:
    """Save `tensors` (reference names) and `config` (config.json's content) into `directory` atomically.

    Files are written into a staging folder, then moved in: shards (under names no file in the folder has), the
    entry point (the commit), config.json; entry points the reference would prefer over the new one are removed
    with the commit, every other file of earlier saves after it. Returns the file names of the new save.
    """
    if os.path.isfile(directory):
        raise ValueError(f"save_directory {directory} is a file, not a directory")
    os.makedirs(directory, exist_ok=True)
    remove_temporaries(directory)
    earlier = _files_of_earlier_saves(directory)
    save_id = uuid.uuid4().hex
    single, index_name = (SAFE_WEIGHTS, SAFE_INDEX) if safe_serialization else (BIN_WEIGHTS, BIN_INDEX)
    shards = _shards(tensors, parse_size(max_shard_size))
    stem, ext = single.rsplit(".", 1)
    names = [single]
    if len(shards) > 1:
        names = [f"{stem}-{k + 1:05d}-of-{len(shards):05d}.{ext}" for k in range(len(shards))]
        if any(os.path.exists(os.path.join(directory, n)) for n in names):  # never overwrite a live shard
            names = [f"{stem}-{save_id[:12]}-{k + 1:05d}-of-{len(shards):05d}.{ext}" for k in range(len(shards))]
    entry = single if len(shards) == 1 else index_name
    record = {
        "id": save_id,
        "config": config,
        "replaces_config": config_digest(os.path.join(directory, CONFIG_NAME)),
    }
    with staging_directory(directory, STAGING_PREFIX) as stage:
        for name, shard in zip(names, shards):
            shard_record = record if name == entry else {"id": save_id}
            with _writing(stage, directory, name) as path:
                if safe_serialization:
                    write_safetensors(shard, path, {SAVE_KEY: json.dumps(shard_record)})
                else:
                    _write_bin(shard, path, shard_record)
        if entry == index_name:
            total = sum(t.numel() * t.element_size() for t in tensors.values())
            weight_map = {k: name for name, shard in zip(names, shards) for k in shard}
            index = {
                "metadata": {"total_size": total, SAVE_KEY: record},
                "weight_map": dict(sorted(weight_map.items())),
            }
            with _writing(stage, directory, index_name) as path:
                _write_text(path, json.dumps(index, indent=2) + "\n")
        with _writing(stage, directory, CONFIG_NAME) as path:
            _write_text(path, json.dumps(config, indent=2, sort_keys=True) + "\n")
        for name in names:
            if name != entry:
                os.replace(os.path.join(stage, name), os.path.join(directory, name))
        os.replace(os.path.join(stage, entry), os.path.join(directory, entry))  # the commit
        for name in ENTRY_POINTS[: ENTRY_POINTS.index(entry)]:  # the reference would prefer these: part of it
            _remove(os.path.join(directory, name))
        os.replace(os.path.join(stage, CONFIG_NAME), os.path.join(directory, CONFIG_NAME))
    written = {*names, entry, CONFIG_NAME}
    for name in earlier - written:
        _remove(os.path.join(directory, name))
    return sorted(written - {CONFIG_NAME})


@contextlib.contextmanager
def _writing(stage: str, directory: str, name: str) -> Iterator[str]:
    """The staging path of the file `name`; a failed write names the file being saved in `directory`."""
    path = os.path.join(stage, name)
    try:
        yield path
    except BaseException as e:
        raise_named(e, path, os.path.join(directory, name), f"the earlier save in {directory} is unchanged")


def _files_of_earlier_saves(directory: str) -> set[str]:
    """Entry points present and the shards their indexes name: the only files a new save may remove."""
    out: set[str] = set()
    for entry in entry_points(directory):
        out.add(os.path.basename(entry))
        if entry.endswith(".index.json"):
            try:
                out.update(read_index(entry)[0].values())
            except CorruptCheckpointError:
                continue  # a broken index still goes, but names nothing we could trust
    for name in os.listdir(directory):  # shards moved in by a save killed before its commit
        path = os.path.join(directory, name)
        if name.startswith(("model-", "pytorch_model-")) and "-of-" in name and os.path.isfile(path):
            try:
                record = save_record(path)
            except (CorruptCheckpointError, OSError, zipfile.BadZipFile):
                continue
            if record is not None and "config" not in record:
                out.add(name)
    return out


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass

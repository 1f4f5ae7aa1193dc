"""PyTorch's edge of `roberta.checkpoint`: its stored tensors and NumPy arrays as torch tensors, and back.

Reading copies every tensor into memory of its own (no memory map), so a loaded model does not change or crash
when its files are later overwritten or truncated; safetensors tensors are read one by one, straight into the
torch tensor, only when asked for (`materialize`), so the loader can free them as it goes. `.bin` files are read
by the checkpoint package's tensors-only unpickler. `write_checkpoint` is the package's save protocol
(`roberta.checkpoint.commit`) with PyTorch's writers.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch

from ..checkpoint.bin_file import read_bin_tensors, tensor_to_numpy
from ..checkpoint.commit import write_save
from ..checkpoint.files import BIN, SAFETENSORS, split_shards
from ..checkpoint.records import ZIP_MEMBER, check_save, header_record, save_record
from ..checkpoint.safetensors_file import StoredArray, open_safetensors
from ..checkpoint.safetensors_file import write_safetensors as write_numpy_safetensors

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


# ---------------------------------------------------------------------- reading
def materialize(tensor: torch.Tensor | StoredArray) -> torch.Tensor:
    """A stored tensor read into a torch tensor of its own (a torch tensor as it is)."""
    if not isinstance(tensor, StoredArray):
        return tensor
    out = torch.empty(tensor.shape, dtype=_DTYPES[tensor.dtype])
    if tensor.nbytes:
        tensor.read_into(memoryview(out.view(-1).view(torch.uint8).numpy()))
    return out


def to_torch(array: np.ndarray) -> torch.Tensor:
    """A writable torch copy of a NumPy array (bfloat16 kept)."""
    if array.dtype.name == "bfloat16":  # NumPy's bfloat16 (ml_dtypes) is not a dtype torch reads
        return torch.from_numpy(np.asarray(array, order="C").view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.array(array))


def read_safetensors(path: str) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file, each read into its own memory."""
    with contextlib.ExitStack() as files:
        return {k: materialize(v) for k, v in open_safetensors(path, files)[1].items()}


@contextlib.contextmanager
def open_weight_files(paths: list[str], save_id: str | None = None) -> Iterator[dict[str, torch.Tensor | StoredArray]]:
    """Every tensor of the files, by name: safetensors ones as `StoredArray`s readable while the context is
    open (`materialize`). With `save_id`, each file must still belong to that save."""
    with contextlib.ExitStack() as files:
        out: dict[str, torch.Tensor | StoredArray] = {}
        for path in paths:
            if path.endswith(".safetensors"):
                header, stored = open_safetensors(path, files)
                check_save(header_record(header, path), save_id, path)
                out.update(stored)
            else:
                out.update(read_bin_tensors(path))
                check_save(save_record(path), save_id, path)
        yield out


# ---------------------------------------------------------------------- writing
def write_safetensors(tensors: Mapping[str, torch.Tensor], path: str, metadata: dict[str, str] | None = None) -> None:
    """Torch tensors as a PyTorch-tagged safetensors file, flushed to disk (the caller makes the write atomic)."""
    arrays = {k: tensor_to_numpy(v) for k, v in tensors.items()}
    write_numpy_safetensors(arrays, path, {"format": "pt", **(metadata or {})})


def _write_bin(path: str, tensors: Mapping[str, torch.Tensor], record: dict[str, Any]) -> None:
    with open(path, "wb") as f:  # torch.save through our file: a failed write raises its OSError (ENOSPC, ...)
        torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, f)
    with zipfile.ZipFile(path, "a") as z:  # torch.load reads only its own records and ignores this one
        prefix = z.namelist()[0].split("/")[0]
        z.writestr(f"{prefix}/{ZIP_MEMBER}", json.dumps(record))


def _write_safetensors_file(path: str, tensors: Mapping[str, torch.Tensor], record: dict[str, Any]) -> None:
    write_safetensors(tensors, path, {"roberta_save": json.dumps(record)})


def write_checkpoint(
    directory: str,
    tensors: dict[str, torch.Tensor],
    config: dict[str, Any],
    *,
    max_shard_size: int | str = "5GB",
    safe_serialization: bool = True,
) -> list[str]:
    """Save `tensors` (the reference's names) and `config` (config.json's content) into `directory` atomically
    (`roberta.checkpoint.commit`); shards of at most `max_shard_size`. Returns the file names of the new save."""
    sizes = {k: t.numel() * t.element_size() for k, t in tensors.items()}
    shards = split_shards(dict(sorted(tensors.items())), sizes, max_shard_size)
    fmt, writer = (SAFETENSORS, _write_safetensors_file) if safe_serialization else (BIN, _write_bin)
    return write_save(os.fspath(directory), fmt, shards, config, writer, framework="pt", sizes=sizes)

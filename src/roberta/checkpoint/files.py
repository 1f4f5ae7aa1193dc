"""The reference's weight-file names, shard indexes and shard sizes: one definition for every framework."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .._io import read_json

CONFIG_NAME = "config.json"
SAFE_WEIGHTS, SAFE_INDEX = "model.safetensors", "model.safetensors.index.json"
BIN_WEIGHTS, BIN_INDEX = "pytorch_model.bin", "pytorch_model.bin.index.json"
TF_WEIGHTS, TF_INDEX = "tf_model.h5", "tf_model.h5.index.json"
FLAX_WEIGHTS, FLAX_INDEX = "flax_model.msgpack", "flax_model.msgpack.index.json"

# Each framework's entry points (a single weights file, or a shard index), in the reference's reading order.
SAFE_ENTRIES = (SAFE_WEIGHTS, SAFE_INDEX)
PT_ENTRIES = SAFE_ENTRIES + (BIN_WEIGHTS, BIN_INDEX)
TF_ENTRIES = (TF_WEIGHTS, TF_INDEX)
FLAX_ENTRIES = (FLAX_WEIGHTS, FLAX_INDEX)
ALL_ENTRIES = PT_ENTRIES + TF_ENTRIES + FLAX_ENTRIES

SAVE_KEY = "roberta_save"  # where a file keeps the record of the save that wrote it (see records.py)

A = TypeVar("A")


class CorruptCheckpointError(ValueError):
    """A checkpoint file that cannot be read as what its name says, or files of two saves mixed."""


@dataclass(frozen=True)
class Format:
    """One on-disk weights format: its single file, its shard index, and how its shards are named."""

    kind: str  # "safetensors", "bin", "h5", "msgpack": which reader reads it
    single: str
    index: str

    def shard_names(self, count: int, tag: str = "") -> list[str]:
        """The reference's shard names (`model-00001-of-00002.safetensors`); `tag` is put in front of the
        numbers when those names are taken by a live save."""
        stem, ext = self.single.rsplit(".", 1)
        tag = f"{tag}-" if tag else ""
        return [f"{stem}-{tag}{k + 1:05d}-of-{count:05d}.{ext}" for k in range(count)]

    def is_shard_name(self, name: str) -> bool:
        stem, ext = self.single.rsplit(".", 1)
        return re.fullmatch(rf"{re.escape(stem)}-(\w+-)?\d{{5}}-of-\d{{5}}\.{re.escape(ext)}", name) is not None


SAFETENSORS = Format("safetensors", SAFE_WEIGHTS, SAFE_INDEX)
BIN = Format("bin", BIN_WEIGHTS, BIN_INDEX)
H5 = Format("h5", TF_WEIGHTS, TF_INDEX)
MSGPACK = Format("msgpack", FLAX_WEIGHTS, FLAX_INDEX)
FORMATS = (SAFETENSORS, BIN, H5, MSGPACK)


def format_of(name: str) -> Format:
    """The format whose single file or index is `name`."""
    for fmt in FORMATS:
        if name in (fmt.single, fmt.index):
            return fmt
    raise ValueError(f"{name} is not a weights file name this library knows ({', '.join(f.single for f in FORMATS)})")


def parse_record(text: str | bytes, path: str) -> Any:
    """A save record's JSON (records.py checks its fields)."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise CorruptCheckpointError(f"{path} holds a corrupt {SAVE_KEY} record: {e}") from None


# ---------------------------------------------------------------------- indexes
def read_index(path: str) -> tuple[dict[str, str], dict[str, Any]]:
    """(weight_map, metadata) of a shard index; every shard must be a plain file name in the same folder."""
    try:
        data = read_json(path)
        weight_map = data["weight_map"]
        metadata = data.get("metadata") or {}
    except (ValueError, KeyError, TypeError) as e:
        raise CorruptCheckpointError(f"{path} is not a valid shard index: {type(e).__name__}: {e}") from None
    if not isinstance(weight_map, dict) or not isinstance(metadata, dict):
        raise CorruptCheckpointError(f"{path} is not a valid shard index: weight_map must be an object")
    for shard in set(weight_map.values()):
        if not isinstance(shard, str) or not _plain_name(shard):
            raise CorruptCheckpointError(
                f"{path} names the shard {shard!r}, which is not a file in the checkpoint folder; "
                f"shards must be plain file names (no folders, no '..', no absolute paths)"
            )
    return weight_map, metadata


def index_shards(path: str) -> list[str]:
    """The shard file names an index lists, in order."""
    return sorted(set(read_index(path)[0].values()))


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and os.path.basename(name) == name and "\\" not in name and "\0" not in name


# ---------------------------------------------------------------------- shard sizes
def parse_size(size: int | str) -> int:
    """A byte count from an int or a string such as "5GB", "200MiB" (the reference's units)."""
    if isinstance(size, int) and not isinstance(size, bool):
        if size <= 0:
            raise ValueError(f"max_shard_size must be positive, got {size}")
        return size
    units = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9, "B": 1}
    s = str(size).upper().strip()
    try:
        for unit, mult in units.items():
            if s.endswith(unit):
                value = int(float(s[: -len(unit)]) * mult)
                break
        else:
            value = int(s)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"max_shard_size={size!r} is not a size (e.g. 5GB, 200MB, 10**9)")
    return value


def split_shards(tensors: Mapping[str, A], sizes: Mapping[str, int], max_shard_size: int | str) -> list[dict[str, A]]:
    """`tensors`, in their order, cut into shards of at most `max_shard_size` bytes (`sizes` gives each one's),
    as the reference shards: a tensor larger than the limit gets a shard of its own."""
    limit = parse_size(max_shard_size)
    shards: list[dict[str, A]] = [{}]
    current = 0
    for name, tensor in tensors.items():
        if shards[-1] and current + sizes[name] > limit:
            shards.append({})
            current = 0
        shards[-1][name] = tensor
        current += sizes[name]
    return shards

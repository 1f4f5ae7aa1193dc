"""A checkpoint directory as the product of one save: which weights and which config belong together.

The reference's layout has several files (config.json, one weights file or shards plus an index), and a save
replaces them one at a time. To make a save atomic across files, every save by this library is tied together:

* each weights file carries the save's random id (safetensors metadata, or a member of the `.bin` zip archive);
* the *entry point* (`model.safetensors`, an index, `pytorch_model.bin`) also carries the saved config and the
  SHA-256 of the config.json it replaces;
* files are moved into place shards first, entry point next (the commit), config.json last; older entry
  points that the reference would prefer over the new one are removed as part of the commit.

A reader takes the entry point the reference would take (`ENTRY_POINTS` order). If a save by this library
wrote it, every shard must carry its id (a mix of two saves is an error, never loaded), and the config comes from
config.json unless that file is missing or is exactly the one the save replaced (a kill fell between the
commit and config.json's move): then the config saved with the weights is used. So after a kill at any point
the directory loads as exactly the old save or exactly the new one.

Nothing here imports torch: TensorFlow and Flax read PyTorch checkpoints through this module too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from ._io import STAGING_PREFIX, read_json, remove_stale_staging

CONFIG_NAME = "config.json"
SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
BIN_WEIGHTS = "pytorch_model.bin"
BIN_INDEX = "pytorch_model.bin.index.json"
# The reference's order of preference when several are present.
ENTRY_POINTS = (SAFE_WEIGHTS, SAFE_INDEX, BIN_WEIGHTS, BIN_INDEX)

SAVE_KEY = "roberta_save"  # metadata key of a save's record
ZIP_MEMBER = "roberta_save.json"  # where a .bin file keeps that record (torch.load ignores it)

SAFETENSORS_DTYPES = ("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL")
ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
MAX_HEADER = 100_000_000


class CorruptCheckpointError(ValueError):
    """A checkpoint file that cannot be read as what its name says, or files of two saves mixed."""


# ---------------------------------------------------------------------- safetensors headers
@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    begin: int  # byte offsets into the data section
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    data_start: int


def read_safetensors_header(path: str) -> SafetensorsHeader:
    """Parse and check a safetensors header: sizes, dtypes, shapes and byte ranges (no overlaps, in the file)."""
    with open(path, "rb") as f:
        return parse_safetensors_header(f, path)


def parse_safetensors_header(f: BinaryIO, path: str) -> SafetensorsHeader:
    """`read_safetensors_header` on an open file (so that the data is then read from the same file)."""
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
            f"{path}: tensor {name!r} has dtype {dtype!r}, which is not supported (one of {SAFETENSORS_DTYPES})"
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


# ---------------------------------------------------------------------- save records
def header_record(header: SafetensorsHeader, path: str) -> dict[str, Any] | None:
    """The save record in a parsed safetensors header (None: written by another tool)."""
    text = header.metadata.get(SAVE_KEY)
    return _checked(_json(text, path), path) if text is not None else None


def _checked(record: Any, path: str) -> dict[str, Any] | None:
    if record is not None and not (isinstance(record, dict) and isinstance(record.get("id"), str)):
        raise CorruptCheckpointError(f"{path} holds a malformed {SAVE_KEY} record")
    return record


def save_record(path: str) -> dict[str, Any] | None:
    """The record a save by this library left in a weights file or an index (None: written by another tool)."""
    if path.endswith(".index.json"):
        _, metadata = read_index(path)
        record = metadata.get(SAVE_KEY)
    elif path.endswith(".safetensors"):
        return header_record(read_safetensors_header(path), path)
    else:
        record = _zip_record(path)
    return _checked(record, path)


def _zip_record(path: str) -> dict | None:
    if not zipfile.is_zipfile(path):
        return None  # torch's legacy (pre-1.6) format: no room for a record
    with zipfile.ZipFile(path) as z:
        member = next((n for n in z.namelist() if n.rsplit("/", 1)[-1] == ZIP_MEMBER), None)
        return None if member is None else _json(z.read(member), path)


def _json(text: str | bytes, path: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise CorruptCheckpointError(f"{path} holds a corrupt {SAVE_KEY} record: {e}") from None


def config_digest(path: str) -> str | None:
    """SHA-256 of a config.json's bytes (None when there is none)."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None


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


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and os.path.basename(name) == name and "\\" not in name and "\0" not in name


# ---------------------------------------------------------------------- what to load
@dataclass(frozen=True)
class Committed:
    """The weights of a checkpoint directory and the config that belongs to them."""

    entry: str  # path of the entry point
    files: list[str]  # weights files (the entry itself, or the shards of an index)
    record: dict[str, Any] | None  # the save's record (None: another tool wrote it)
    config: dict[str, Any] | None  # the config saved with the weights, when config.json is not theirs
    config_path: str | None  # config.json, when it belongs to the weights


def entry_names(use_safetensors: bool | None) -> list[str]:
    return [n for n in ENTRY_POINTS if use_safetensors is None or n.startswith("model") == use_safetensors]


def entry_points(directory: str, use_safetensors: bool | None = None) -> list[str]:
    names = entry_names(use_safetensors)
    return [os.path.join(directory, n) for n in names if os.path.isfile(os.path.join(directory, n))]


def committed(directory: str, use_safetensors: bool | None = None) -> Committed:
    """What a load of `directory` reads; FileNotFoundError when it holds no weights."""
    found = entry_points(directory, use_safetensors)
    if not found:
        wanted = " or ".join(
            n for n in ENTRY_POINTS if use_safetensors is None or n.startswith("model") == use_safetensors
        )
        raise FileNotFoundError(f"{directory} holds no model weights ({wanted})")
    entry = found[0]
    record = save_record(entry)
    files = [entry]
    if entry.endswith(".index.json"):
        files = [os.path.join(directory, s) for s in sorted(set(read_index(entry)[0].values()))]
        for shard in files:
            if not os.path.isfile(shard):
                raise FileNotFoundError(f"{entry} names the shard {os.path.basename(shard)}, which is missing")
            if record is not None:
                got = save_record(shard)
                if got is None or got["id"] != record["id"]:
                    raise CorruptCheckpointError(
                        f"{shard} is not from the save that wrote {os.path.basename(entry)} (a file copied in or "
                        f"left by another save); refusing to load a mix of two saves"
                    )
    config_path = os.path.join(directory, CONFIG_NAME)
    digest = config_digest(config_path)
    if record is None or (digest is not None and digest != record.get("replaces_config")):
        return Committed(entry, files, record, None, config_path if digest is not None else None)
    config = record.get("config")
    if not isinstance(config, dict):
        raise CorruptCheckpointError(f"{entry} holds no config, and {config_path} is missing or stale")
    return Committed(entry, files, record, config, None)


def committed_config(directory: str) -> dict[str, Any] | str | None:
    """The config of the committed save: a dict (saved with the weights), a config.json path, or None."""
    try:
        found = committed(directory)
    except FileNotFoundError:  # a config-only folder
        path = os.path.join(directory, CONFIG_NAME)
        return path if os.path.isfile(path) else None
    return found.config if found.config is not None else found.config_path


# ---------------------------------------------------------------------- crashed saves
_TEMPORARY = re.compile(r"^\..+\.roberta-\w+\.tmp$")  # roberta._io.atomic_path's names


def remove_temporaries(directory: str) -> None:
    """Remove what crashed saves of this library left behind: staging folders that no live save holds
    (`roberta._io.staging_directory`) and temporary files."""
    remove_stale_staging(directory, lambda name: name.startswith(STAGING_PREFIX))
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if _TEMPORARY.match(name) and os.path.isfile(path):
            os.remove(path)

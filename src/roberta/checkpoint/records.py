"""A checkpoint folder as the product of one save: which weights and which config belong together.

The reference's layout has several files (config.json, one weights file or shards plus an index), and a save
replaces them one at a time. To make a save atomic across files, every save by this library (`commit.py`) ties
them together:

* each weights file carries the save's random id (safetensors metadata, a member of the `.bin` zip archive, an
  attribute of the `.h5` file, an empty map in the msgpack tree, which Flax drops when it flattens the tree);
* the *entry point* (the single file, or the index) also carries the saved config and the SHA-256 of the
  config.json it replaces;
* files are moved into place shards first, entry point next (the commit), config.json last.

A reader takes the entry point its framework prefers (`detect.py`). If a save by this library wrote it, every
shard must carry its id (a mix of two saves is an error, never loaded), and the config comes from config.json
unless that file is missing or is exactly the one the save replaced (a kill fell between the commit and
config.json's move): then the config saved with the weights is used. So after a kill at any point the folder
loads as exactly the old save or exactly the new one.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._io import STAGING_PREFIX, remove_stale_staging
from .files import ALL_ENTRIES, CONFIG_NAME, SAVE_KEY, CorruptCheckpointError, index_shards, parse_record, read_index
from .safetensors_file import SafetensorsHeader, read_header

ZIP_MEMBER = "roberta_save.json"  # where a .bin file keeps the record (torch.load ignores it)


def header_record(header: SafetensorsHeader, path: str) -> dict[str, Any] | None:
    """The save record in a parsed safetensors header (None: written by another tool)."""
    text = header.metadata.get(SAVE_KEY)
    return checked_record(parse_record(text, path), path) if text is not None else None


def checked_record(record: Any, path: str) -> dict[str, Any] | None:
    if record is not None and not (isinstance(record, dict) and isinstance(record.get("id"), str)):
        raise CorruptCheckpointError(f"{path} holds a malformed {SAVE_KEY} record")
    return record


def save_record(path: str) -> dict[str, Any] | None:
    """The record a save by this library left in a weights file or an index (None: written by another tool)."""
    if path.endswith(".index.json"):
        record = read_index(path)[1].get(SAVE_KEY)
    elif path.endswith(".safetensors"):
        return header_record(read_header(path), path)
    elif path.endswith(".h5"):
        from .h5_file import h5_record

        record = h5_record(path)
    elif path.endswith(".msgpack"):
        from .msgpack_file import msgpack_record

        record = msgpack_record(path)
    else:
        record = _zip_record(path)
    return checked_record(record, path)


def _zip_record(path: str) -> Any:
    if not zipfile.is_zipfile(path):
        return None  # torch's legacy (pre-1.6) format: no room for a record
    try:
        with zipfile.ZipFile(path) as z:
            member = next((n for n in z.namelist() if n.rsplit("/", 1)[-1] == ZIP_MEMBER), None)
            return None if member is None else parse_record(z.read(member), path)
    except (zipfile.BadZipFile, OSError) as e:
        raise CorruptCheckpointError(f"{path} is not a readable PyTorch zip archive: {e}") from None


def config_digest(path: str) -> str | None:
    """SHA-256 of a config.json's bytes (None when there is none)."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------------- what to load
@dataclass(frozen=True)
class Committed:
    """The weights of a checkpoint and the config that belongs to them."""

    entry: str  # path of the entry point
    files: list[str]  # weights files (the entry itself, or the shards of an index)
    record: dict[str, Any] | None  # the save's record (None: another tool wrote it)
    config: dict[str, Any] | None  # the config saved with the weights, when config.json is not theirs
    config_path: str | None  # config.json, when it belongs to the weights

    @property
    def save_id(self) -> str | None:
        return (self.record or {}).get("id")


def present(directory: str, order: Sequence[str]) -> list[str]:
    """Paths of the entry points in `order` that `directory` holds."""
    return [os.path.join(directory, n) for n in order if os.path.isfile(os.path.join(directory, n))]


def committed(directory: str, order: Sequence[str]) -> Committed:
    """What a load of `directory` reads, taking the first entry point of `order` it holds; FileNotFoundError
    when it holds none."""
    found = present(directory, order)
    if not found:
        raise FileNotFoundError(f"{directory} holds no model weights ({' or '.join(order)})")
    entry = found[0]
    record = save_record(entry)
    files = [entry]
    if entry.endswith(".index.json"):
        files = [os.path.join(directory, s) for s in index_shards(entry)]
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
    """The config of the last committed save: a dict (saved with the weights), a config.json path, or None.

    Of the entry points present (any framework's), the one whose save replaced the config.json now there
    speaks for it; otherwise config.json is the config."""
    path = os.path.join(directory, CONFIG_NAME)
    digest = config_digest(path)
    for entry in present(directory, ALL_ENTRIES):
        if not _readable_here(entry):
            continue  # tf_model.h5 without h5py installed: this process cannot load those weights anyway
        record = save_record(entry)
        if record is not None and (digest is None or digest == record.get("replaces_config")):
            config = record.get("config")
            if isinstance(config, dict):
                return config
    return path if digest is not None else None


def _readable_here(path: str) -> bool:
    import importlib.util

    needs = {".h5": "h5py", ".msgpack": "msgpack"}.get(os.path.splitext(path)[1])
    return needs is None or importlib.util.find_spec(needs) is not None


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


def check_save(record: dict | None, save_id: str | None, path: str) -> None:
    """With `save_id`, the file must still carry that save's record (it was not replaced since it was chosen)."""
    if save_id is not None and (record is None or record["id"] != save_id):
        raise CorruptCheckpointError(f"{path} was replaced by another save while it was loaded; load again")

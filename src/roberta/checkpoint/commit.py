"""The save protocol of every framework: the files of one save land together or not at all.

A save writes each weights file (one, or shards plus an index) and config.json into a staging folder inside the
checkpoint folder, then moves them in: shards first (under names no live file has), the entry point next (the
commit: from here on the folder loads as the new save), config.json last. Entry points that the saving
framework's reader would prefer over the new one are removed together with the commit, every other file of
earlier saves it replaces after it. records.py says how a reader tells, after a kill at any of these steps, which
weights and which config belong together. Files of another framework (a PyTorch `model.safetensors` beside a
TF save's `tf_model.h5`) and files no save wrote are left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .._io import STAGING_PREFIX, raise_named, staging_directory
from .detect import reading_order
from .files import BIN, CONFIG_NAME, H5, MSGPACK, SAFETENSORS, CorruptCheckpointError, Format, read_index
from .records import config_digest, present, remove_temporaries, save_record
from .safetensors_file import format_tag

# The formats each framework writes, in its reader's preference.
WRITES = {"pt": (SAFETENSORS, BIN), "tf": (H5, SAFETENSORS), "flax": (MSGPACK, SAFETENSORS)}

Writer = Callable[[str, Mapping[str, Any], dict], None]  # (path, the file's tensors, the save's record)


def replaced_formats(directory: str, framework: str, fmt: Format) -> tuple[Format, ...]:
    """The formats whose earlier files a save in `fmt` replaces: its own, those its framework's reader would
    prefer over it, and a `model.safetensors` its framework wrote (tagged so); a PyTorch save replaces both
    PyTorch formats."""
    writes = WRITES[framework]
    if framework == "pt":
        return writes
    replaced = writes[: writes.index(fmt) + 1]
    if SAFETENSORS not in replaced and _tagged(directory, framework):
        replaced += (SAFETENSORS,)
    return replaced


def _tagged(directory: str, framework: str) -> bool:
    """Whether the folder's `model.safetensors` (or its first shard) says `framework` wrote it."""
    first = os.path.join(directory, SAFETENSORS.single)
    try:
        if not os.path.isfile(first):
            index = os.path.join(directory, SAFETENSORS.index)
            if not os.path.isfile(index):
                return False
            first = os.path.join(directory, sorted(set(read_index(index)[0].values()))[0])
        return format_tag(first) == framework
    except (CorruptCheckpointError, OSError, IndexError):
        return False  # not readable: not known to be ours, so left alone


def write_save(
    directory: str,
    fmt: Format,
    shards: Sequence[Mapping[str, Any]],
    config: dict[str, Any],
    write: Writer,
    *,
    framework: str,
    sizes: Mapping[str, int],
    index_key: Callable[[str], str] = str,
) -> list[str]:
    """Save `shards` (the tensors of each weights file, in order; one for an unsharded save) in `fmt` and
    `config` (config.json's content) into `directory` atomically; `write` writes one weights file with the
    save's record in it. `sizes` gives each tensor's bytes (the index's total_size); `index_key` names a tensor
    in the index's weight_map. Returns the file names of the new save (config.json aside)."""
    if os.path.isfile(directory):
        raise ValueError(f"save_directory {directory} is a file, not a directory")
    os.makedirs(directory, exist_ok=True)
    remove_temporaries(directory)
    replaced = replaced_formats(directory, framework, fmt)
    earlier = _files_of_earlier_saves(directory, replaced)
    save_id = uuid.uuid4().hex
    names = [fmt.single]
    if len(shards) > 1:
        names = fmt.shard_names(len(shards))
        if any(os.path.exists(os.path.join(directory, n)) for n in names):  # never overwrite a live shard
            names = fmt.shard_names(len(shards), tag=save_id[:12])
    entry = fmt.single if len(shards) == 1 else fmt.index
    record = {"id": save_id, "config": config, "replaces_config": config_digest(os.path.join(directory, CONFIG_NAME))}
    order = reading_order(framework)
    replaced_entries = {n for f in replaced for n in (f.single, f.index)}
    preferred = [n for n in order[: order.index(entry)] if n in replaced_entries]
    with staging_directory(directory, STAGING_PREFIX) as stage:
        for name, shard in zip(names, shards):
            with _writing(stage, directory, name) as path:
                write(path, shard, record if name == entry else {"id": save_id})
                _fsync(path)
        if entry == fmt.index:
            weight_map = {index_key(k): name for name, shard in zip(names, shards) for k in shard}
            index = {
                "metadata": {"total_size": sum(sizes.values()), "roberta_save": record},
                "weight_map": dict(sorted(weight_map.items())),
            }
            with _writing(stage, directory, entry) as path:
                _write_text(path, json.dumps(index, indent=2) + "\n")
        with _writing(stage, directory, CONFIG_NAME) as path:
            _write_text(path, json.dumps(config, indent=2, sort_keys=True) + "\n")
        for name in names:
            if name != entry:
                os.replace(os.path.join(stage, name), os.path.join(directory, name))
        os.replace(os.path.join(stage, entry), os.path.join(directory, entry))  # the commit
        for name in preferred:  # the reader would take these over the new save: they go with the commit
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


def _files_of_earlier_saves(directory: str, formats: Sequence[Format]) -> set[str]:
    """Entry points of `formats` present, the shards their indexes name, and shards of those formats that a
    save killed before its commit moved in: the only files a new save may remove."""
    out: set[str] = set()
    for entry in present(directory, [n for f in formats for n in (f.single, f.index)]):
        out.add(os.path.basename(entry))
        if entry.endswith(".index.json"):
            try:
                out.update(read_index(entry)[0].values())
            except CorruptCheckpointError:
                continue  # a broken index still goes, but names nothing we could trust
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if any(f.is_shard_name(name) for f in formats) and name not in out and os.path.isfile(path):
            try:
                record = save_record(path)
            except (CorruptCheckpointError, OSError, zipfile.BadZipFile):
                continue  # not a file of ours to remove
            if record is not None and "config" not in record:
                out.add(name)
    return out


def _fsync(path: str) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)

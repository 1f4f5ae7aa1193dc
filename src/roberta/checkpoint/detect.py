"""What a checkpoint folder holds and which of it a framework reads: the one detector.

Each framework reads the entry points (a single weights file, or a shard index) in its own order, the
reference's (`reading_order`); `locate` finds the first one present (in a folder, or the cached snapshot of a
hub id), with its shards and the config that belongs to it (records.py), and says how its tensors are named
(`Found.naming`: "pt", "tf" or "flax"; a safetensors file says so in its `format` metadata). `read_arrays` reads
them all as NumPy arrays. Nothing here catches an error: a corrupt file, a missing shard or a mix of two saves is
raised naming the file, never taken for "no weights here".
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..hub import resolve_model_dir
from .files import ALL_ENTRIES, FLAX_ENTRIES, PT_ENTRIES, SAFE_ENTRIES, TF_ENTRIES, Format, format_of
from .names import flatten
from .records import check_save, committed, header_record, present
from .safetensors_file import format_tag, open_safetensors


def reading_order(framework: str, *, source: str | None = None, use_safetensors: bool | None = None) -> tuple[str, ...]:
    """The entry points `framework` ("pt", "tf", "flax") reads, most preferred first. `source` is another
    framework whose files are asked for (`from_tf`, `from_flax`, `from_pt`): they come first."""
    pt = tuple(n for n in PT_ENTRIES if use_safetensors is None or n.startswith("model") == use_safetensors)
    if framework == "pt":
        if source == "tf":
            return TF_ENTRIES + SAFE_ENTRIES  # the safetensors only when TF-tagged
        if source == "flax":
            return FLAX_ENTRIES + SAFE_ENTRIES
        return pt
    own = TF_ENTRIES if framework == "tf" else FLAX_ENTRIES
    return pt + own if source == "pt" else own + pt


@dataclass(frozen=True)
class Found:
    """The weights a load reads."""

    directory: str
    format: Format
    entry: str  # the entry point's path
    files: list[str]  # the weights files (the entry, or the shards its index lists)
    naming: str  # how the tensors are named: "pt", "tf" or "flax"
    save_id: str | None  # the id of the save that wrote them (None: another tool did)
    config: dict[str, Any] | str | None  # their config: saved with them (a dict), a config.json path, or None


def naming_of(fmt: Format, first_file: str) -> str:
    if fmt.kind == "h5":
        return "tf"
    if fmt.kind == "msgpack":
        return "flax"
    if fmt.kind == "safetensors":
        tag = format_tag(first_file)
        return tag if tag in ("tf", "flax") else "pt"
    return "pt"


def locate(name_or_path: str | os.PathLike, order: Sequence[str], hub: dict | None = None) -> Found:
    """The first entry point of `order` in the checkpoint (a folder, or a cached hub id; `hub` as
    `roberta.hub.pop_hub_kwargs` returns it). FileNotFoundError naming what was looked for when there is none."""
    directory = resolve_model_dir(name_or_path, what="model", **(hub or {}))
    if not present(directory, order):
        others = [os.path.basename(p) for p in present(directory, ALL_ENTRIES)]
        hint = f"; it holds {', '.join(others)}" if others else ""
        raise FileNotFoundError(f"{directory} holds no model weights ({' or '.join(order)}){hint}")
    c = committed(directory, order)
    fmt = format_of(os.path.basename(c.entry))
    config = c.config if c.config is not None else c.config_path
    return Found(directory, fmt, c.entry, c.files, naming_of(fmt, c.files[0]), c.save_id, config)


def require_naming(found: Found, naming: str, asked: str) -> None:
    """Fail when `asked` (e.g. "from_tf=True") wants weights named for `naming` and `found` holds others."""
    if found.naming != naming:
        raise FileNotFoundError(
            f"{asked} asks for {naming.upper() if naming != 'flax' else 'Flax'} weights, and {found.directory} holds "
            f"{os.path.basename(found.entry)} with {found.naming} weights"
        )


def read_arrays(found: Found) -> dict[str, np.ndarray]:
    """Every tensor of the found files as a NumPy array, by its name in `found.naming` (TF names without `:0`,
    Flax paths '/'-joined)."""
    from .bin_file import read_bin
    from .h5_file import read_h5
    from .msgpack_file import read_msgpack

    state: dict[str, np.ndarray] = {}
    for path in found.files:
        if found.format.kind == "h5":
            part = read_h5(path)
        elif found.format.kind == "msgpack":
            part = {"/".join(k): v for k, v in flatten(read_msgpack(path)).items()}
        elif found.format.kind == "bin":
            part = read_bin(path)
        else:
            with contextlib.ExitStack() as files:
                header, stored = open_safetensors(path, files)
                check_save(header_record(header, path), found.save_id, path)
                part = {name: t.numpy() for name, t in stored.items()}
            if found.naming == "tf":
                part = {k.removesuffix(":0"): v for k, v in part.items()}
            elif found.naming == "flax":
                part = {k.replace(".", "/"): v for k, v in part.items()}
        state.update(part)
    return state

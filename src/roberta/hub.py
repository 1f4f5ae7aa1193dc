"""Find a checkpoint's files: a local directory, or a hub id already in the `huggingface_hub` cache.

Nothing is downloaded: this library works offline. A hub id whose files are not cached fails with a
message that says how to get them.
"""

from __future__ import annotations

import os
import re

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


class CheckpointNotFoundError(FileNotFoundError):
    """Raised when a checkpoint directory or a cached hub file cannot be found."""


def _cached_hub_file(repo_id: str, filename: str, cache_dir=None, revision=None) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=revision)
    return found if isinstance(found, str) and os.path.isfile(found) else None


def resolve_file(
    name_or_path: str | os.PathLike,
    filename: str,
    *,
    required: bool = True,
    cache_dir=None,
    revision=None,
    local_files_only=None,
    token=None,
) -> str | None:
    """Return the path of `filename` inside checkpoint `name_or_path`, or None if absent and not required."""
    del local_files_only, token  # always offline
    name = os.fspath(name_or_path)
    if os.path.isdir(name):
        path = os.path.join(name, filename)
        if os.path.isfile(path):
            return path
        if required:
            raise CheckpointNotFoundError(f"{name} has no {filename}: it is not a checkpoint folder")
        return None
    if os.path.exists(name) or not _HUB_ID.match(name) or name.startswith((".", "/", "~")):
        raise CheckpointNotFoundError(f"{name!r} is not a checkpoint directory")
    path = _cached_hub_file(name, filename, cache_dir=cache_dir, revision=revision)
    if path is not None:
        return path
    if not required and _cached_hub_file(name, "config.json", cache_dir=cache_dir, revision=revision):
        return None
    if required:
        raise CheckpointNotFoundError(
            f"{name!r} is neither a local directory nor a hub id whose {filename} is in the local "
            f"huggingface_hub cache; roberta never downloads. Fetch it once with "
            f"`huggingface-cli download {name}` where a network is available, or pass a directory."
        )
    return None


def resolve_model_dir(name_or_path: str | os.PathLike, *, what: str = "model") -> str:
    """The local folder of a checkpoint: a directory as given, or the snapshot folder of a hub id whose files
    are in the local huggingface_hub cache. The one resolver every entry point uses (pipelines, the CLI, the
    training recipes), so a hub id works wherever a folder does."""
    name = os.fspath(name_or_path)
    if os.path.isdir(name):
        return name
    if os.path.exists(name):
        raise CheckpointNotFoundError(f"{what} {name!r} is a file, not a folder")
    if _HUB_ID.match(name) and not name.startswith((".", "/", "~")):
        for filename in ("config.json", "tokenizer.json", "vocab.json"):
            found = _cached_hub_file(name, filename)
            if found is not None:
                return os.path.dirname(found)
        raise CheckpointNotFoundError(
            f"{what} {name!r} is neither a folder nor a hub id in the local huggingface_hub cache; roberta never "
            f"downloads. Fetch it once with `huggingface-cli download {name}` where a network is available, or "
            f"pass a folder."
        )
    raise CheckpointNotFoundError(f"{what} folder {name!r} does not exist")

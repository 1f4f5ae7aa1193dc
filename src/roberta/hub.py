"""Find a checkpoint's files: a local directory, or a hub id already in the `huggingface_hub` cache.

Nothing is downloaded: this library works offline. A hub id whose files are not cached fails with a
message that says how to get them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


class CheckpointNotFoundError(FileNotFoundError):
    """Raised when a checkpoint directory or a cached hub file cannot be found."""


# The reference's hub keywords, the one list every `from_pretrained` (models of every framework, configs,
# tokenizers, pipelines) takes them out by. Those that matter here, for finding the files:
HUB_KWARGS = ("cache_dir", "revision", "subfolder", "force_download")
# ...and those that change nothing offline: authentication, transport, telemetry.
OFFLINE_NO_OPS = (
    "local_files_only",
    "token",
    "use_auth_token",
    "proxies",
    "resume_download",
    "user_agent",
    "_commit_hash",
    "_from_auto",
    "_from_pipeline",
    "trust_remote_code",
)
# Keywords that would change what is loaded and that roberta cannot honour.
_UNSUPPORTED = {"gguf_file": "GGUF checkpoints are not supported; convert to safetensors with transformers first"}


def pop_hub_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the reference's hub keywords out of `kwargs` (in place) and return those that matter here:
    `cache_dir`, `revision`, `subfolder`, `force_download`. The ones that change nothing offline (`token`,
    `proxies`, `local_files_only`, ...) are dropped; one that would change what is loaded and cannot be
    honoured (`gguf_file`) is a ValueError."""
    for key in OFFLINE_NO_OPS:
        kwargs.pop(key, None)
    for key, why in _UNSUPPORTED.items():
        if kwargs.pop(key, None) is not None:
            raise ValueError(f"{key}= is not supported: {why}")
    hub = {k: kwargs.pop(k) for k in HUB_KWARGS if k in kwargs}
    subfolder = hub.get("subfolder")
    if subfolder is not None and not isinstance(subfolder, (str, os.PathLike)):
        raise TypeError(f"subfolder must be a str, got {type(subfolder).__name__}")
    return hub


def _in_subfolder(filename: str, subfolder: str | os.PathLike | None) -> str:
    """`filename` inside `subfolder` as a hub path ("sub/config.json"); `filename` itself without one."""
    if not subfolder:
        return filename
    return "/".join([*Path(os.fspath(subfolder)).parts, filename])


def _cached_hub_file(repo_id: str, filename: str, cache_dir=None, revision=None) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=revision)
    return found if isinstance(found, str) and os.path.isfile(found) else None


def _refuse_download(name: str, force_download: bool) -> None:
    if force_download:
        raise CheckpointNotFoundError(
            f"force_download=True asks for a fresh download of {name!r}; roberta never downloads. Fetch it with "
            f"`huggingface-cli download {name} --force-download` where a network is available."
        )


def resolve_file(
    name_or_path: str | os.PathLike,
    filename: str,
    *,
    required: bool = True,
    cache_dir=None,
    revision=None,
    local_files_only=None,
    token=None,
    subfolder=None,
    force_download=False,
) -> str | None:
    """Return the path of `filename` inside checkpoint `name_or_path` (in its `subfolder`, if given), or None
    if absent and not required. A local folder has no revisions: `revision` applies to hub ids only, as in the
    reference."""
    del local_files_only, token  # always offline
    name = os.fspath(name_or_path)
    if os.path.isdir(name):
        path = os.path.join(name, *Path(os.fspath(subfolder or "")).parts, filename)
        if os.path.isfile(path):
            return path
        if required:
            where = os.path.join(name, os.fspath(subfolder)) if subfolder else name
            raise CheckpointNotFoundError(f"{where} has no {filename}: it is not a checkpoint folder")
        return None
    if os.path.exists(name) or not _HUB_ID.match(name) or name.startswith((".", "/", "~")):
        raise CheckpointNotFoundError(f"{name!r} is not a checkpoint directory")
    _refuse_download(name, force_download)
    hub_name = _in_subfolder(filename, subfolder)
    path = _cached_hub_file(name, hub_name, cache_dir=cache_dir, revision=revision)
    if path is not None:
        return path
    if not required and _cached_hub_file(
        name, _in_subfolder("config.json", subfolder), cache_dir=cache_dir, revision=revision
    ):
        return None
    if required:
        raise CheckpointNotFoundError(
            f"{name!r} is neither a local directory nor a hub id whose {hub_name} is in the local "
            f"huggingface_hub cache; roberta never downloads. Fetch it once with "
            f"`huggingface-cli download {name}` where a network is available, or pass a directory."
        )
    return None


def resolve_model_dir(
    name_or_path: str | os.PathLike,
    *,
    what: str = "model",
    cache_dir=None,
    revision=None,
    subfolder=None,
    force_download=False,
) -> str:
    """The local folder of a checkpoint: a directory as given, or the snapshot folder of a hub id (at
    `revision`) whose files are in the local huggingface_hub cache; with `subfolder`, that folder inside it.
    The one resolver every entry point uses (pipelines, the CLI, the training recipes), so a hub id works
    wherever a folder does."""
    name = os.fspath(name_or_path)
    parts = Path(os.fspath(subfolder or "")).parts
    if os.path.isdir(name):
        path = os.path.join(name, *parts)
        if not os.path.isdir(path):
            raise CheckpointNotFoundError(f"{what} folder {name!r} has no subfolder {os.fspath(subfolder)!r}")
        return path
    if os.path.exists(name):
        raise CheckpointNotFoundError(f"{what} {name!r} is a file, not a folder")
    if _HUB_ID.match(name) and not name.startswith((".", "/", "~")):
        _refuse_download(name, force_download)
        for filename in ("config.json", "tokenizer.json", "vocab.json"):
            found = _cached_hub_file(name, _in_subfolder(filename, subfolder), cache_dir=cache_dir, revision=revision)
            if found is not None:
                return os.path.dirname(found)
        raise CheckpointNotFoundError(
            f"{what} {name!r} is neither a folder nor a hub id in the local huggingface_hub cache; roberta never "
            f"downloads. Fetch it once with `huggingface-cli download {name}` where a network is available, or "
            f"pass a folder."
        )
    raise CheckpointNotFoundError(f"{what} folder {name!r} does not exist")

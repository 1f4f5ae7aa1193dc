"""Atomic file writes: a save either fully lands or leaves the old file untouched."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _default_mode() -> int:
    return 0o666 & ~_umask()


def staging_directory(parent: str | os.PathLike, prefix: str) -> str:
    """A new, uniquely named directory in `parent` with the mode `os.mkdir` would give it (mkdtemp makes 0700,
    which a directory renamed into place from it would keep)."""
    stage = tempfile.mkdtemp(prefix=prefix, dir=parent)
    os.chmod(stage, 0o777 & ~_umask())
    return stage


@contextlib.contextmanager
def atomic_path(final_path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside `final_path`; on success rename it over `final_path`.

    On any exception the temporary file is removed and `final_path` keeps its old content.
    """
    final_path = os.fspath(final_path)
    directory = os.path.dirname(os.path.abspath(final_path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(final_path) + ".roberta-", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _default_mode())  # mkstemp makes 0600; a saved file gets what open() would give it
        os.replace(tmp, final_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def atomic_write_with(path: str | os.PathLike, writer: Callable[[str], None]) -> None:
    """Call `writer(tmp_path)` and move the result to `path` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


@contextlib.contextmanager
def atomic_directory(final_dir: str | os.PathLike) -> Iterator[str]:
    """Yield a fresh staging directory; on success move each file it holds into `final_dir`.

    Each file lands whole (`os.replace`), but not all of them at once: the PyTorch classes' saves tie their
    files together with `roberta.checkpoint_dir` instead. The staging directory is removed on error.
    """
    final_dir = os.fspath(final_dir)
    if os.path.isfile(final_dir):
        raise ValueError(f"{final_dir} is a file, not a directory")
    os.makedirs(final_dir, exist_ok=True)
    stage = tempfile.mkdtemp(prefix=".saving-", dir=final_dir)
    try:
        yield stage
        for name in sorted(os.listdir(stage)):
            os.replace(os.path.join(stage, name), os.path.join(final_dir, name))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def atomic_new_directory(final_dir: str | os.PathLike) -> Iterator[str]:
    """Yield a staging directory beside `final_dir`, which must not exist; on success rename it to `final_dir`.

    Readers see no directory or the complete one; on any exception the staging directory is removed and
    nothing is left behind.
    """
    final_dir = os.fspath(final_dir)
    if os.path.lexists(final_dir):
        raise FileExistsError(f"{final_dir} already exists")
    parent = os.path.dirname(os.path.abspath(final_dir))
    os.makedirs(parent, exist_ok=True)
    stage = tempfile.mkdtemp(prefix="." + os.path.basename(os.path.abspath(final_dir)) + ".", dir=parent)
    try:
        yield stage
        for root, _, files in os.walk(stage):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    os.fsync(f.fileno())
        os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700; a saved directory gets what mkdir would give it
        os.rename(stage, final_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def read_json(path: str | os.PathLike) -> Any:
    """The one JSON file reader: a missing file is FileNotFoundError, bad JSON a ValueError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ValueError(f"{os.fspath(path)} is not valid JSON: {e}") from None


def decode_lines(raw_lines: Iterable[bytes], start: int = 1) -> Iterator[tuple[int, str, str | None]]:
    """The one text-line decoder: `(number, text, error)` per line of UTF-8 bytes, numbered from `start` (a
    stream decoded piece by piece goes on counting), the line ending and a leading byte-order mark (of line 1)
    dropped; `error` names an undecodable byte (then `text` is empty)."""
    for number, raw in enumerate(raw_lines, start=start):
        raw = raw.rstrip(b"\n").rstrip(b"\r")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError as e:
            yield number, "", f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1})"

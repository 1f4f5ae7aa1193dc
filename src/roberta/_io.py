"""Atomic file writes: a save either fully lands or leaves the old file untouched."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

try:
    import fcntl
except ImportError:  # no flock (Windows): staging folders are never taken for stale there
    fcntl = None

STAGING_PREFIX = ".saving-"  # staging folders inside a checkpoint folder (roberta.checkpoint.commit)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _default_mode() -> int:
    return 0o666 & ~_umask()


def named_write_error(e: BaseException, staged: str, final: str, note: str) -> BaseException:
    """`e` as raised by a write into `staged` (a temporary file or staging folder), for the user: an OSError
    without a file name (a full disk's `[Errno 28] No space left on device`, `[Errno 27] File too large`) or
    naming a path in `staged` becomes one naming the path in `final`, with `note` (what was kept); anything
    else is returned as it is. The OSError may be the context of `e` (torch.save reports a failed write of
    its file as a RuntimeError while closing the archive)."""
    cause: BaseException | None = e
    for _ in range(4):
        if cause is None or isinstance(cause, OSError):
            break
        cause = cause.__context__
    if not isinstance(cause, OSError) or cause.errno is None:
        return e
    name = cause.filename
    if name is None:
        target = final
    elif isinstance(name, str) and (name == staged or name.startswith(staged + os.sep)):
        target = final + name[len(staged) :]
    else:
        return e
    return OSError(cause.errno, f"{cause.strerror} while saving; {note}", target)


def raise_named(e: BaseException, staged: str, final: str, note: str) -> None:
    """Raise `named_write_error(...)` (from `e`), or `e` itself."""
    named = named_write_error(e, staged, final, note)
    if named is e:
        raise e
    raise named from e


def new_directory(parent: str | os.PathLike, prefix: str) -> str:
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
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise_named(e, tmp, final_path, "nothing was replaced")


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def atomic_write_with(path: str | os.PathLike, writer: Callable[[str], None]) -> None:
    """Call `writer(tmp_path)` and move the result to `path` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


def _hold(stage: str) -> int | None:
    """A descriptor of the folder `stage` holding its lock; None when another process holds the lock (the
    folder is in use) or the folder went away meanwhile (a cleaner removed it)."""
    if fcntl is None:
        return -1
    try:
        fd = os.open(stage, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.fstat(fd), os.stat(stage, follow_symlinks=False)):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


@contextlib.contextmanager
def staging_directory(parent: str, prefix: str) -> Iterator[str]:
    """A new folder `parent/<prefix><random>`, locked (flock) while the context runs and removed at its end if
    still there. The lock tells later runs that the folder is in use: a killed process's lock goes with it, so
    `remove_stale_staging` then removes the folder."""
    for _ in range(100):
        stage = tempfile.mkdtemp(prefix=prefix, dir=parent)
        fd = _hold(stage)
        if fd is not None:
            break
    else:
        raise OSError(f"could not create a staging folder in {parent}: each new one was taken by another process")
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if fd >= 0:
            os.close(fd)


def remove_stale_staging(parent: str, is_stage: Callable[[str], bool]) -> None:
    """Remove the folders in `parent` that `is_stage` names as staging folders of ours and that no process
    holds (`staging_directory`'s lock): what killed writes left. Folders in use, links and files are kept."""
    if fcntl is None:
        return
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        path = os.path.join(parent, name)
        if not is_stage(name) or os.path.islink(path) or not os.path.isdir(path):
            continue
        fd = _hold(path)
        if fd is not None:
            try:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                os.close(fd)


def _new_directory_stage(final_dir: str) -> tuple[str, str, Callable[[str], bool]]:
    """(parent, prefix, is_stage) of atomic_new_directory's staging folders for `final_dir`: `.NAME.roberta-*`."""
    parent, base = os.path.split(os.path.abspath(final_dir))
    prefix = f".{base}.roberta-"
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]+")
    return parent, prefix, lambda name: pattern.fullmatch(name) is not None


@contextlib.contextmanager
def atomic_new_directory(final_dir: str | os.PathLike) -> Iterator[str]:
    """Yield a staging directory beside `final_dir`, which must not exist; on success rename it to `final_dir`.

    Readers see no directory or the complete one; on any exception the staging directory is removed and
    nothing is left behind. Staging directories for the same `final_dir` that killed runs left are removed
    first.
    """
    final_dir = os.fspath(final_dir)
    if os.path.lexists(final_dir):
        raise FileExistsError(f"{final_dir} already exists")
    parent, prefix, is_stage = _new_directory_stage(final_dir)
    os.makedirs(parent, exist_ok=True)
    remove_stale_staging(parent, is_stage)
    with staging_directory(parent, prefix) as stage:
        try:
            yield stage
        except BaseException as e:
            raise_named(e, stage, final_dir, "nothing was left behind")
        for root, _, files in os.walk(stage):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    os.fsync(f.fileno())
        os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700; a saved directory gets what mkdir would give it
        os.rename(stage, final_dir)


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

"""Atomic writes: all or nothing, with the permissions a plain open() would give."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from roberta import _io
from roberta._io import (
    STAGING_PREFIX,
    atomic_new_directory,
    atomic_write_text,
    atomic_write_with,
    remove_stale_staging,
    staging_directory,
)
from roberta_testing import failing_writes, killed_when


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "config.json"
    atomic_write_text(path, "old")

    def broken(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write_with(path, broken)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["config.json"]


def test_written_file_gets_the_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        with open(tmp_path / "b.json", "w") as f:
            f.write("{}")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == (tmp_path / "b.json").stat().st_mode & 0o777 == 0o644


def _hidden(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


def test_a_killed_writer_leaves_a_staging_folder_that_only_the_next_run_for_it_removes(tmp_path):
    target = tmp_path / "out"

    def write():
        with atomic_new_directory(target) as stage:
            (Path(stage) / "model.onnx").write_bytes(b"half")  # killed at the fsync before the rename

    assert killed_when(os, "fsync", write)
    (stale,) = _hidden(tmp_path)
    assert stale.startswith(".out.roberta-") and not target.exists()
    # what is not ours stays: another output's staging folder, a user's folder or file of a similar name
    (tmp_path / ".other.roberta-abc123").mkdir()
    (tmp_path / ".out.backup").mkdir()
    (tmp_path / ".out.roberta-notes.txt").write_text("mine")
    with atomic_new_directory(target) as stage:
        (Path(stage) / "model.onnx").write_bytes(b"whole")
    assert (target / "model.onnx").read_bytes() == b"whole"
    assert _hidden(tmp_path) == [".other.roberta-abc123", ".out.backup", ".out.roberta-notes.txt"]


def test_a_staging_folder_in_use_by_a_live_process_is_kept(tmp_path):
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    model = tmp_path / "model"
    model.mkdir()
    pid = os.fork()
    if pid == 0:  # a slow save: holds its staging folder until told to stop
        with staging_directory(str(model), STAGING_PREFIX):
            os.write(ready_w, b"x")
            os.read(done_r, 1)
        os._exit(0)
    try:
        assert os.read(ready_r, 1) == b"x"
        (live,) = _hidden(model)
        remove_stale_staging(str(model), lambda name: name.startswith(STAGING_PREFIX))  # a second save's cleanup
        with staging_directory(str(model), STAGING_PREFIX) as stage:  # ...and its own staging folder
            (Path(stage) / "config.json").write_text("{}")
        assert _hidden(model) == [live]
    finally:
        os.write(done_w, b"x")
        os.waitpid(pid, 0)
    assert _hidden(tmp_path / "model") == []  # it removed its own on the way out


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EFBIG])
def test_a_failed_write_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch, error):
    path = tmp_path / "config.json"
    atomic_write_text(path, "old")
    with monkeypatch.context() as m:
        failing_writes(m, _io, error, room=2)
        with pytest.raises(OSError) as info:
            atomic_write_text(path, "new content")
        with pytest.raises(OSError) as in_folder:
            with atomic_new_directory(tmp_path / "new") as stage, _io.open(os.path.join(stage, "weights"), "wb") as f:
                f.write(b"too much")  # _io.open: the patched open, as a writer in _io would call it
    assert info.value.errno == error and info.value.filename == str(path) and "nothing was replaced" in str(info.value)
    assert in_folder.value.errno == error and in_folder.value.filename == str(tmp_path / "new")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["config.json"]

"""Atomic writes: all or nothing, with the permissions a plain open() would give."""

from __future__ import annotations

import os

import pytest

from roberta._io import atomic_write_text, atomic_write_with


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

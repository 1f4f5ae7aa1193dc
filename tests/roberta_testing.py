"""Helpers shared by the test modules (imported by name: `tests/` is on pytest's pythonpath)."""

from __future__ import annotations

import builtins
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch

import roberta
from roberta import registry

# The real roberta-base tokenizer files (no weights), in the shared/ folder beside the repository.
SHARED = Path(
    os.environ.get("ROBERTA_TEST_SHARED") or Path(__file__).resolve().parents[1].parent / "shared" / "roberta-base"
)


def shared_dir() -> Path:
    """The roberta-base tokenizer files; a test that needs them and finds none fails saying where they go.
    Tests of tiny random models need no files and run without them."""
    import pytest

    if not (SHARED / "vocab.json").is_file():
        pytest.fail(
            f"this test reads the roberta-base tokenizer files (vocab.json, merges.txt, tokenizer.json, dict.txt), "
            f"expected in {SHARED}: put the shared/ folder beside the repository",
            pytrace=False,
        )
    return SHARED


TOL = 2e-4  # the parity bound the project promises in fp32
# every head of the registry (the bare model is one), by its PyTorch class name (RobertaModel, RobertaForMaskedLM,
# ...): the parity tests of every framework run over these
HEAD_ROWS = {registry.class_name(row): row for row in registry.HEADS}
HEADS = list(HEAD_ROWS)


def head_config(cls_name: str) -> dict:
    """The config fields the head of `cls_name` needs (is_decoder for the causal LM), from the registry."""
    row = registry.parse_class_name(cls_name)
    return dict(row[2].config) if row is not None and row[2] is not None else {}


TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
    type_vocab_size=2,
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.1,
)


def tiny_config(**overrides):
    """A tiny reference config (transformers.RobertaConfig) with overrides."""
    import transformers

    return transformers.RobertaConfig(**{**TINY, **overrides})


def reference_config(cls_name: str, **overrides):
    """A tiny reference config of the family of `cls_name` (XLMRobertaConfig for "TFXLMRobertaModel", ...), with
    the config fields its head needs and `overrides`."""
    import transformers

    parsed = registry.parse_class_name(cls_name)
    config_class = getattr(transformers, parsed[1].config_class_name if parsed else "RobertaConfig")
    return config_class(**{**TINY, **head_config(cls_name), **overrides})


def make_reference(cls_name: str, path: Path, **overrides):
    """Build a random-weight reference model (of any family, with the config fields its head needs), save it
    to `path`, return it in eval mode."""
    import transformers

    model = getattr(transformers, cls_name)(reference_config(cls_name, **overrides)).eval()
    model.save_pretrained(path)
    return model


def batch(side: str, b: int = 3, t: int = 12, vocab: int = 99):
    """Random ids with rows padded by 0, 4 and 7 tokens on `side` ("left" or "right")."""
    ids = torch.randint(3, vocab, (b, t))
    ids[:, 0] = 0
    mask = torch.ones_like(ids)
    for row, n_pad in enumerate([0, 4, 7][:b]):
        if n_pad:
            if side == "right":
                ids[row, t - n_pad :], mask[row, t - n_pad :] = 1, 0
            else:
                ids[row, :n_pad], mask[row, :n_pad] = 1, 0
    return ids, mask


def assert_close(a, b, mask=None, what=""):
    """Max |a - b| <= TOL, over real (mask == 1) positions when a mask is given."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b), what
        for x, y in zip(a, b):
            assert_close(x, y, mask, what)
        return
    assert a.shape == b.shape, f"{what}: {a.shape} vs {b.shape}"
    if mask is not None and a.dim() >= 2 and a.shape[:2] == mask.shape:
        a, b = a[mask.bool()], b[mask.bool()]
    diff = (a - b).abs().max().item() if a.numel() else 0.0
    assert diff <= TOL, f"{what}: max |diff| {diff:.3e}"


def onednn_calls(monkeypatch) -> list:
    """Spy on the oneDNN products of `modeling.linear`: each call appends (rows, whether the weight was prepacked), so a
    test knows which path really ran."""
    from roberta.modeling import linear

    calls = []
    real = linear._onednn

    def spy(x, weight, bias):
        calls.append((x.numel() // x.size(-1), weight.is_mkldnn))
        return real(x, weight, bias)

    monkeypatch.setattr(linear, "_onednn", spy)
    return calls


class _Kill:
    """Patches every file operation; the k-th one ends the process on the spot (no cleanup code runs)."""

    OPS = [
        (os, "replace"),
        (os, "rename"),
        (os, "remove"),
        (os, "unlink"),
        (os, "rmdir"),
        (os, "mkdir"),
        (os, "makedirs"),
        (os, "fsync"),
        (tempfile, "mkdtemp"),
        (tempfile, "mkstemp"),
        (shutil, "rmtree"),
    ]

    def __init__(self, k: int) -> None:
        self.k, self.count = k, 0

    def _tick(self) -> None:
        self.count += 1
        if self.count == self.k:
            os._exit(KILLED)

    def install(self) -> None:
        for module, name in self.OPS:
            setattr(module, name, self._wrap(getattr(module, name)))
        real_open = builtins.open

        def opener(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+"):
                self._tick()
            return real_open(file, mode, *args, **kwargs)

        builtins.open = opener

    def _wrap(self, real):
        def op(*args, **kwargs):
            self._tick()
            return real(*args, **kwargs)

        return op


KILLED = 77


def killed_at(k: int, fn) -> bool:
    """Run `fn` in a forked child killed at its k-th file operation (os._exit: no cleanup handlers run).
    True when the kill happened, False when `fn` completed first."""
    return _in_child(lambda: _Kill(k).install(), fn, f"at file operation {k}")


def file_operations(fn) -> int:
    """How many file operations (as `killed_at` counts them) `fn` does, counted in a forked child: `killed_at(k,
    fn)` for k from 1 to this number kills it, at every point of its work."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        counter = _Kill(0)  # never kills: the count starts at 1
        try:
            counter.install()
            fn()
            os.write(write, str(counter.count).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    assert data, "the forked child failed before it finished"
    return int(data)


def killed_when(obj, name: str, fn) -> bool:
    """Run `fn` in a forked child killed (os._exit: no cleanup runs) when it calls `obj.name`. True when the
    kill happened, False when `fn` completed without calling it."""

    def kill(*args, **kwargs):
        os._exit(KILLED)

    return _in_child(lambda: setattr(obj, name, kill), fn, f"before {name}")


def _in_child(install, fn, where: str) -> bool:
    pid = os.fork()
    if pid == 0:
        try:
            install()
            fn()
            os._exit(0)
        except BaseException:
            os._exit(1)
    deadline = time.monotonic() + 120  # a child that never finishes (a deadlock after fork) fails the test
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError(f"the forked child hung {where}")
        time.sleep(0.002)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, KILLED), f"the child failed (exit {code}) {where}"
    return code == KILLED


class _FailingFile:
    """A file opened for writing whose writes fail with `errno` once `room` bytes have been written."""

    def __init__(self, f, error: int, room: int) -> None:
        self._f, self._error, self._room = f, error, room

    def write(self, data) -> int:
        n = len(data.encode()) if isinstance(data, str) else memoryview(data).nbytes
        if n > self._room:
            raise OSError(self._error, os.strerror(self._error))  # as the kernel reports it: no file name
        self._room -= n
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._f.close()


def failing_writes(monkeypatch, module, error: int, *, room: int = 100, only: str = "") -> None:
    """Make the files that `module` opens for writing (those whose name ends with `only`) fail with `error`
    (ENOSPC, EFBIG) after `room` bytes, as a full disk or a file-size limit does."""
    real = builtins.open

    def opener(file, mode="r", *args, **kwargs):
        f = real(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+") and os.fspath(file).endswith(only):
            return _FailingFile(f, error, room)
        return f

    monkeypatch.setattr(module, "open", opener, raising=False)


TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")

# vocab_size fits the real roberta-base tokenizer; a large initializer_range makes the random heads confident
# enough that rankings are not decided by float noise.
PIPE_CONFIG = dict(
    vocab_size=50265,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=514,
    type_vocab_size=1,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    initializer_range=0.4,
)

NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def save_pipeline_checkpoint(
    root: Path, name: str, cls_name: str, seed: int, roberta_base_dir: Path, **overrides
) -> Path:
    """A random-weight tiny checkpoint of `cls_name` (PIPE_CONFIG) with the real roberta-base tokenizer files."""
    path = root / name
    torch.manual_seed(seed)
    config = roberta.RobertaConfig(**{**PIPE_CONFIG, **overrides})
    model = getattr(roberta, cls_name)(config).eval()
    model.save_pretrained(path)
    for f in TOKENIZER_FILES:
        shutil.copy(roberta_base_dir / f, path / f)
    return path

"""Reading a pickled checkpoint without running it: a restricted unpickler for fairseq's `model.pt`.

A pickle names functions by module and name and calls them while loading; that is how a plain `torch.load`
runs code from a file. This unpickler resolves only the names in `unpickle_names.ALLOWED` (torch's tensor
rebuild functions, containers, numbers, `argparse.Namespace`) and recreates the config classes fairseq pickled
(omegaconf's `DictConfig` and its nodes, fairseq's dataclasses and enums, `typing` annotations) as inert
`Record`s, without importing omegaconf or fairseq. Any other name is refused before it is looked up, so nothing
in the file runs.

Nor may a file change anything outside the values it builds. BUILD (the opcode that sets an object's state) is
applied only to objects this load created, of the types that pickle state (records, Namespaces, OrderedDicts,
numpy arrays and dtypes), and only with the state such an object has; never to a class, a function or a
stand-in, which are shared with the rest of the process. A persistent id must be a storage reference in the
layout torch writes, of at most the file's size; zip records must be stored uncompressed, as torch writes them
(a compressed one could inflate a small file into gigabytes).

`load_checkpoint` passes it to `torch.load` as the pickle module: torch's zip format (torch >= 1.6) and the
older format of the 2019 release files (`_use_new_zipfile_serialization=False`) both go through it; the tar
format of torch < 0.4 is refused. `to_plain` turns what was read into dicts, lists and values.
"""

from __future__ import annotations

import _compat_pickle
import argparse
import os
import pickle
import tarfile
import types
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

import torch

from .unpickle_names import (
    ALLOWED,
    BUILDABLE,
    UNTYPED_STORAGE,
    Record,
    StandIn,
    UnsafeCheckpointError,
    is_record_module,
    record_class,
    set_state,
)

__all__ = ["Record", "RestrictedUnpickler", "UnsafeCheckpointError", "load_checkpoint", "to_plain"]

MAX_DEPTH = 100  # containers inside containers in a stored config; fairseq's nest about 10 deep


def _describe(obj: Any, created: bool) -> str:
    if isinstance(obj, type):
        return f"the class {obj.__module__}.{obj.__qualname__}"
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return f"the function {getattr(obj, '__module__', '?')}.{obj.__qualname__}"
    if isinstance(obj, StandIn):
        return f"the {obj.name} stand-in"
    return f"a {type(obj).__module__}.{type(obj).__qualname__}" + ("" if created else " it did not create")


def _creates(handler: Callable[[Any], None]) -> Callable[[Any], None]:
    """An opcode handler that leaves a new object on the stack, noting the object as this load's own."""

    def load(self: RestrictedUnpickler) -> None:
        handler(self)
        obj = self.stack[-1]
        self.created[id(obj)] = obj  # the reference keeps it alive, so its id is not reused during the load

    return load


class RestrictedUnpickler(pickle._Unpickler):
    """`pickle`'s Python unpickler, resolving only the admitted names and applying BUILD only to objects it
    created; see the module docstring. (The C unpickler's opcodes cannot be overridden; checkpoint pickles
    are small, the tensor data lies outside them.)"""

    max_storage_bytes = 0  # set per file by `load_checkpoint`: a storage may not claim more than the file holds
    # Set per load by `load_checkpoint(admit=...)`: a narrower test of the names a pickle may look up (a weights
    # file admits its tensors only), with the reason given when it refuses one.
    admit: Callable[[str, str], bool] | None = None
    refusal = "a weights file is read as a state dict of tensors only, and this object is not one"

    def __init__(self, file: BinaryIO, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self.created: dict[int, Any] = {}

    def find_class(self, module: str, name: str) -> Any:
        # Protocol-2 pickles use Python 2 names (`__builtin__.long`); translate them as pickle's own find_class does.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        else:
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if self.admit is not None and not self.admit(module, name):
            raise UnsafeCheckpointError(
                f"refused to load {module}.{name}: {self.refusal} (it could run code; nothing was run)"
            )
        found = ALLOWED.get((module, name))
        if found is not None:
            return found
        if is_record_module(module):
            return record_class(module, name)
        raise UnsafeCheckpointError(
            f"refused to load {module}.{name}: a fairseq checkpoint is read as tensors, containers, numbers and "
            f"its stored config only, and this object is none of those (it could run code; nothing was run)"
        )

    def load_build(self) -> None:
        state = self.stack.pop()
        obj = self.stack[-1]
        created = self.created.get(id(obj)) is obj
        if not created or not isinstance(obj, BUILDABLE):
            raise UnsafeCheckpointError(
                f"refused the BUILD opcode on {_describe(obj, created)}: BUILD sets an object's state, and a "
                f"checkpoint may set it only on the records, Namespaces, OrderedDicts and numpy arrays it creates, "
                f"never on anything shared with the running program (nothing was changed)"
            )
        set_state(obj, state, self.created)

    def load_binpersid(self) -> None:
        self.append(self.persistent_load(self.storage_reference(self.stack.pop())))

    def load_persid(self) -> None:
        self.append(self.persistent_load(self.storage_reference(self.readline()[:-1])))

    def storage_reference(self, pid: Any) -> tuple:
        """A persistent id checked to be a storage reference as torch writes it: zip format ('storage', type,
        key, location, numel), pre-1.6 format the same and a view (None or (key, offset, numel)); the real
        storage class in place of its stand-in."""
        layout = isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] in ("storage", b"storage")
        storage_type = pid[1] if layout else None
        if storage_type is UNTYPED_STORAGE:
            storage_type, itemsize = torch.UntypedStorage, 1
        elif isinstance(storage_type, torch.serialization.StorageType):  # torch's stand-in for FloatStorage & co.
            itemsize = torch._utils._element_size(storage_type.dtype)
        else:
            layout = False
        if layout:
            _, _, key, location, numel, *view = pid
            layout = isinstance(key, str) and isinstance(location, (str, bytes)) and _count(numel)
            if layout and view and view[0] is not None:
                v = view[0]
                layout = isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], str) and _count(v[1])
                layout = layout and _count(v[2]) and v[1] + v[2] <= numel
        if not layout:
            raise UnsafeCheckpointError(
                f"the persistent id {pid!r:.120} is not a storage reference (('storage', storage type, key, "
                f"location, size) as torch writes them); nothing else is read through persistent ids"
            )
        if numel * itemsize > self.max_storage_bytes:
            raise UnsafeCheckpointError(
                f"storage {key} claims {numel * itemsize} bytes, more than the whole file ({self.max_storage_bytes})"
            )
        return (pid[0], storage_type, *pid[2:])

    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.BINPERSID[0]] = load_binpersid
    dispatch[pickle.PERSID[0]] = load_persid
    for _op in (pickle.REDUCE, pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.OBJ, pickle.INST):
        dispatch[_op[0]] = _creates(dispatch[_op[0]])
    del _op


def _count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _pickle_module(max_storage_bytes: int, admit: Callable[[str, str], bool] | None) -> types.SimpleNamespace:
    """What torch.load needs of a pickle module, for one file."""
    fields = {"max_storage_bytes": max_storage_bytes, "admit": staticmethod(admit) if admit else None}
    unpickler = type("RestrictedUnpickler", (RestrictedUnpickler,), fields)
    return types.SimpleNamespace(
        __name__=__name__, Unpickler=unpickler, load=lambda file, **kwargs: unpickler(file, **kwargs).load()
    )


def _check_container(f: BinaryIO) -> None:
    """Refuse what torch would read without our unpickler's checks: compressed zip records, the tar format."""
    if f.read(4) == b"PK\x03\x04":  # torch's test for its zip format
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as z:
                records = z.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise ValueError(f"it is not a readable zip archive ({e})") from None
        for r in records:
            if r.compress_type != zipfile.ZIP_STORED or r.compress_size != r.file_size:
                raise UnsafeCheckpointError(
                    f"the record {r.filename} is compressed ({r.compress_size} bytes that inflate to {r.file_size}); "
                    f"torch stores every record uncompressed, and a compressed one could inflate a small file into "
                    f"gigabytes: refused"
                )
    else:
        f.seek(0)
        try:
            tarfile.open(fileobj=f, mode="r:").close()
        except tarfile.TarError:
            pass
        else:
            raise UnsafeCheckpointError("it is in the tar format of torch < 0.4, which is not read")
    f.seek(0)


def load_checkpoint(path: str | os.PathLike, admit: Callable[[str, str], bool] | None = None) -> Any:
    """Read a torch checkpoint (zip or pre-1.6 format) through `RestrictedUnpickler`, tensors on the CPU;
    `admit(module, name)` narrows the names it may look up further (`roberta.checkpoint.bin_file`: tensors only).
    `UnsafeCheckpointError` (naming the file) for what it refuses, ValueError for what cannot be read."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    try:
        with open(path, "rb") as f:  # checked and read through one descriptor: the same bytes
            _check_container(f)
            size = os.fstat(f.fileno()).st_size
            return torch.load(f, map_location="cpu", pickle_module=_pickle_module(size, admit), weights_only=False)
    except UnsafeCheckpointError as e:
        raise UnsafeCheckpointError(f"{path}: {e}") from None
    except ValueError as e:
        raise ValueError(f"{path} could not be read as a PyTorch checkpoint: {e}") from None
    except Exception as e:  # a malformed pickle fails in many ways (stack underflow, bad memo, wrong arguments)
        raise ValueError(f"{path} could not be read as a PyTorch checkpoint: {type(e).__name__}: {e}") from None


def to_plain(obj: Any, depth: int = 0) -> Any:
    """Stored configs as plain data: `Namespace` -> dict, omegaconf containers -> dict / list, omegaconf value
    nodes -> their value; other records stay records. UnsafeCheckpointError past MAX_DEPTH levels (a crafted
    file nesting deeper, or in a cycle, would otherwise end in a RecursionError)."""
    if depth > MAX_DEPTH:
        raise UnsafeCheckpointError(f"its stored config nests deeper than {MAX_DEPTH} levels (or in a cycle)")
    depth += 1
    if isinstance(obj, argparse.Namespace):
        return {k: to_plain(v, depth) for k, v in vars(obj).items()}
    if isinstance(obj, Record):
        state = obj.state if isinstance(obj.state, dict) else {}
        if "_content" in state:  # omegaconf DictConfig / ListConfig
            return to_plain(state["_content"], depth)
        if "_val" in state:  # omegaconf value node
            return to_plain(state["_val"], depth)
        return obj
    if isinstance(obj, dict):
        return {to_plain(k, depth): to_plain(v, depth) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v, depth) for v in obj]
    if isinstance(obj, tuple):
        return tuple(to_plain(v, depth) for v in obj)
    return obj

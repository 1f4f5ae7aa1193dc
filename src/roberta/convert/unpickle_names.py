"""What the restricted unpickler (`unpickle.py`) gives a pickle for each name it may look up, and the checks on
the state a pickle may set.

A name resolves to a function that builds fresh values (tensors, containers, numbers), to a class whose
instances the pickle then creates (`argparse.Namespace`, `OrderedDict`), or to a *stand-in*: a plain marker
that takes the place of a class a pickle only names (torch's `UntypedStorage` in a storage reference, numpy's
`ndarray` as `_reconstruct`'s first argument), so that the real class never reaches the pickle. Nothing here
is ever changed by a pickle: `unpickle.py` applies BUILD only to objects the load itself created.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
from typing import Any

import numpy as np
import torch


class UnsafeCheckpointError(ValueError):
    """The checkpoint asks for an object this reader does not create, or to change one it did not create (it
    could run code or alter the running process)."""


class StandIn:
    """A named marker handed to a pickle in place of a real class; it cannot be called or changed."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __setattr__(self, key: str, value: Any) -> None:
        raise UnsafeCheckpointError(f"the {self.name} stand-in cannot be changed")

    def __repr__(self) -> str:
        return f"<{self.name} stand-in>"


UNTYPED_STORAGE = StandIn("torch.UntypedStorage")  # unpickle.py swaps it for the class in a storage reference
NDARRAY = StandIn("numpy.ndarray")


class Record:
    """An object of a class that is never imported (fairseq, omegaconf, typing): its pickled data only.

    Subclasses are made per pickled name (`record_class`); `name` says which. Calling one with a single value
    returns the value: that is how an `Enum` member is pickled (`EnumClass(value)`), so enums come out as values.
    """

    name = "?"

    def __new__(cls, *args: Any) -> Any:
        if len(args) == 1:
            return args[0]
        obj = super().__new__(cls)
        obj.args, obj.state = args, None
        return obj

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"<{self.name} record>"


@functools.cache
def record_class(module: str, name: str) -> type[Record]:
    return type(name, (Record,), {"name": f"{module}.{name}", "__module__": __name__})


# Modules whose classes appear in fairseq's stored configs; they become records and are never imported.
_RECORD_MODULES = ("omegaconf", "fairseq", "typing")


def is_record_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in _RECORD_MODULES)


def _subscript(obj: Any, key: Any) -> Any:
    """`operator.getitem` as pickled typing annotations use it (`Optional[X]` = getitem(Union, (X, None)))."""
    if not (isinstance(obj, type) and issubclass(obj, Record)):
        raise UnsafeCheckpointError(f"operator.getitem is only read on typing annotations, not on {obj!r}")
    return record_class("typing", f"{obj.name}[...]")


def _none_type(obj: Any) -> type:
    """`type(None)` is how NoneType is pickled; no other use of `type` is admitted (it would reach classes)."""
    if obj is not None:
        raise UnsafeCheckpointError(f"builtins.type is only read as type(None), not on {type(obj).__name__}")
    return type(None)


def _plain_dict(default_factory: Any = None) -> dict:
    return {}  # a defaultdict's items follow as plain SETITEMS


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    if encoding not in ("latin1", "latin-1"):
        raise UnsafeCheckpointError(f"_codecs.encode is only read with latin1 (how bytes are pickled), not {encoding}")
    return text.encode("latin-1")


def _bytes(*args: Any) -> bytes:
    """`bytes()` (protocol 2's empty bytes) or a copy of bytes; never `bytes(n)`, n zero bytes out of nothing."""
    if args and not isinstance(args[0], (bytes, bytearray)):
        raise UnsafeCheckpointError(f"builtins.bytes is only read on bytes, not on {type(args[0]).__name__}")
    return bytes(*args[:1])


def _bytearray(*args: Any) -> bytearray:
    """`bytearray(b"...")` as protocols 2-4 pickle one; never `bytearray(n)`."""
    if args and not isinstance(args[0], (bytes, bytearray)):
        raise UnsafeCheckpointError(f"builtins.bytearray is only read on bytes, not on {type(args[0]).__name__}")
    return bytearray(*args[:1])


def _numpy_dtype(name: Any, align: bool = False, copy: bool = False) -> np.dtype:
    """A numeric dtype of its own (copied: numpy shares one object per built-in dtype, and BUILD sets its state)."""
    dtype = np.dtype(name) if isinstance(name, str) else None
    if dtype is None or dtype.kind not in "biufc":
        raise UnsafeCheckpointError(f"numpy dtype {name!r} is not a number type; only numbers are read")
    return np.dtype(name, copy=True)


def _numpy_scalar(dtype: Any, data: bytes) -> int | float | complex | bool:
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biufc":
        raise UnsafeCheckpointError(f"a numpy scalar of dtype {dtype!r} is not a number; only numbers are read")
    return np.frombuffer(data, dtype=dtype, count=1)[0].item()  # a plain Python number


def _numpy_array(subtype: Any, shape: Any, typecode: Any) -> np.ndarray:
    if subtype is not NDARRAY:
        raise UnsafeCheckpointError(f"only plain numpy arrays are read, not {subtype!r}")
    return np.ndarray((0,), dtype=np.uint8)  # an empty array of its own; dtype and data follow in BUILD


def _path(*parts: str) -> str:
    return os.path.join(*parts) if parts else ""


_TORCH_DTYPES = {name for name in dir(torch) if isinstance(getattr(torch, name, None), torch.dtype)}

# (module, name) -> what a pickle gets for it.
ALLOWED: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): getattr(torch._utils, "_rebuild_tensor_v3", None),
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch", "Size"): torch.Size,
    ("torch", "device"): torch.device,
    ("torch", "UntypedStorage"): UNTYPED_STORAGE,
    ("torch.storage", "UntypedStorage"): UNTYPED_STORAGE,
    **{("torch", name): getattr(torch, name) for name in _TORCH_DTYPES},
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "defaultdict"): _plain_dict,
    ("_codecs", "encode"): _latin1_bytes,
    ("argparse", "Namespace"): argparse.Namespace,
    ("operator", "getitem"): _subscript,
    ("_operator", "getitem"): _subscript,
    ("builtins", "type"): _none_type,
    ("builtins", "bytes"): _bytes,
    ("builtins", "bytearray"): _bytearray,
    **{
        ("builtins", t.__name__): t
        for t in (dict, list, tuple, set, frozenset, int, float, complex, bool, str, slice, object)
    },
    **{("pathlib", n): _path for n in ("Path", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath")},
    ("numpy", "dtype"): _numpy_dtype,
    ("numpy", "ndarray"): NDARRAY,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_array,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_array,
}


# ---------------------------------------------------------------------- BUILD: the state a pickle may set
# Objects of these types, created by the load itself, are the only ones BUILD may set the state of.
BUILDABLE = (Record, argparse.Namespace, collections.OrderedDict, np.ndarray, np.dtype)
_BYTE_ORDERS = ("<", ">", "|", "=")


def set_state(obj: Any, state: Any, created: dict[int, Any]) -> None:
    """Apply a BUILD's `state` to `obj` (one of `BUILDABLE`, created by this load), after checking it is the
    state such an object pickles: attributes for a Namespace / OrderedDict, numpy's own state for numpy."""
    if isinstance(obj, Record):
        Record.__setstate__(obj, state)
    elif isinstance(obj, np.dtype):
        # numpy writes (3, byte order, None, None, None, -1, -1, 0) for a plain number type; other states
        # (fields, flags) would make it describe something else than the number type it was checked as.
        plain = isinstance(state, tuple) and len(state) == 8 and state[0] == 3 and state[1] in _BYTE_ORDERS
        if not (plain and state[2:] == (None, None, None, -1, -1, 0)):
            raise UnsafeCheckpointError(f"BUILD gives numpy dtype {obj} the state {state!r:.100}, not a number type's")
        np.dtype.__setstate__(obj, state)
    elif isinstance(obj, np.ndarray):
        _set_array_state(obj, state, created)
    else:
        if not (isinstance(state, dict) and all(isinstance(k, str) and not k.startswith("__") for k in state)):
            raise UnsafeCheckpointError(
                f"BUILD gives a {type(obj).__name__} the state {state!r:.100}; only attributes (a dict of plain "
                f"names, no slot state) are set on one"
            )
        vars(obj).update(state)


def _set_array_state(obj: np.ndarray, state: Any, created: dict[int, Any]) -> None:
    """numpy's array state: (1, shape, dtype, is_fortran, C-order bytes), with a dtype this load made."""
    ok = isinstance(state, tuple) and len(state) == 5 and state[0] == 1
    if ok:
        _, shape, dtype, fortran, data = state
        ok = (
            isinstance(shape, tuple)
            and all(type(s) is int and s >= 0 for s in shape)
            and created.get(id(dtype)) is dtype
            and isinstance(dtype, np.dtype)
            and dtype.kind in "biufc"
            and isinstance(fortran, bool)
            and isinstance(data, (bytes, bytearray))
            and len(data) == int(np.prod(shape, dtype=object)) * dtype.itemsize
        )
    if not ok:
        raise UnsafeCheckpointError(f"BUILD gives a numpy array the state {state!r:.100}, not a numeric array's")
    np.ndarray.__setstate__(obj, state)
